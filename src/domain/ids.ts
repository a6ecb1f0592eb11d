import crypto from 'node:crypto';
import { monotonicFactory, type ULIDFactory } from 'ulid';

/** Public ids (ULIDs). The PRNG is injectable so tests and the simulator stay deterministic. */
export type IdFactory = () => string;

/**
 * Cryptographic randomness drawn in blocks: ulid's default asks the OS once per character. Each
 * value is a byte / 256, exactly uniform over ulid's 32 symbols (256 is a multiple of 32).
 */
export function bufferedCryptoRandom(blockBytes = 4096): () => number {
  let block = crypto.randomBytes(blockBytes);
  let i = 0;
  return () => {
    if (i === block.length) {
      block = crypto.randomBytes(blockBytes);
      i = 0;
    }
    return block[i++]! / 256;
  };
}

export function createIdFactory(clock: () => number, random?: () => number): IdFactory {
  const factory: ULIDFactory = monotonicFactory(random ?? bufferedCryptoRandom());
  return () => factory(clock());
}
