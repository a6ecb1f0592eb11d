import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Admin password hashing for the dashboard login. Format (self-describing, so the cost can change):
 *   scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
 * Comparison is constant-time over the derived key.
 */
const PREFIX = 'scrypt';
const KEY_LEN = 32;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };

function scryptOptions(cost: ScryptCost): ScryptOptions {
  return { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
}

/** Async on the libuv pool: a login attempt does not block other requests while scrypt runs. */
function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, scryptOptions(cost), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Synchronous (done once at startup, ~50 ms): returns the self-describing hash string. */
export function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): string {
  if (password.length === 0) throw new Error('the admin password must not be empty');
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, KEY_LEN, scryptOptions(cost));
  return [PREFIX, cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || key.length !== KEY_LEN) return undefined;
  return { cost: { N, r, p }, salt, key };
}

/** Checks that a stored hash string is well-formed (call at startup so a bad config fails fast). */
export function isPasswordHash(stored: string): boolean {
  return parseHash(stored) !== undefined;
}

/** True when `password` matches `stored`. Never throws on a wrong password; throws on a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) throw new Error('admin password hash is malformed (expected scrypt$N$r$p$salt$hash)');
  const key = await derive(password, parsed.salt, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}
