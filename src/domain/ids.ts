import { monotonicFactory, type ULIDFactory } from 'ulid';

/** Public ids (ULIDs). The PRNG is injectable so tests and the simulator stay deterministic. */
export type IdFactory = () => string;

export function createIdFactory(clock: () => number, random?: () => number): IdFactory {
  const factory: ULIDFactory = random ? monotonicFactory(random) : monotonicFactory();
  return () => factory(clock());
}
