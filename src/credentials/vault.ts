import crypto from 'node:crypto';
import { z } from 'zod';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import type { AccountKey } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import { DomainError, invalidArgumentFromIssues } from '../domain/errors.ts';
import { apiKeyHint, createHmacSigner, type Signer } from './signer.ts';

export { loadMasterKey } from './master-key.ts';

export interface Credentials {
  apiKey: string;
  apiSecret: string;
  /** Fields some exchanges want besides key and secret (ccxt's requiredCredentials), encrypted with the secret. */
  extra?: CredentialExtras;
}
export interface CredentialExtras {
  password?: string;
  uid?: string;
}
export interface CredentialInfo {
  apiKeyHint: string;
  setAt: string;
}

/** Printable ASCII without whitespace: what exchange keys look like; anything else is a paste error. */
const TOKEN_RE = /^[\x21-\x7e]*$/; // emptiness is reported by min(1)
/** Shapes of an API key id and secret; exported so edges name their own fields (api_key, api_secret). */
export const apiKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(TOKEN_RE, 'must be printable characters without spaces');
export const apiSecretSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .regex(TOKEN_RE, 'must be printable characters without spaces');
const credentialsSchema = z
  .object({ apiKey: apiKeySchema, apiSecret: apiSecretSchema, extra: z.object({ password: apiSecretSchema.optional(), uid: apiKeySchema.optional() }).strict().optional() })
  .strict();
/**
 * Secrets with extras are stored as this prefix + JSON. A plain secret never starts with it (NUL is
 * not a printable token character), so records written before extras existed read unchanged.
 */
const ENVELOPE = '\u0000exec-mcp-credentials-v2\u0000';

function sealedText(c: z.infer<typeof credentialsSchema>): string {
  const extra = c.extra ?? {};
  if (extra.password === undefined && extra.uid === undefined) return c.apiSecret;
  return ENVELOPE + JSON.stringify({ secret: c.apiSecret, ...extra });
}

function openedText(text: string): { secret: string; extra: CredentialExtras } {
  if (!text.startsWith(ENVELOPE)) return { secret: text, extra: {} };
  const v = JSON.parse(text.slice(ENVELOPE.length)) as { secret: string; password?: string; uid?: string };
  const extra: CredentialExtras = {};
  if (typeof v.password === 'string') extra.password = v.password;
  if (typeof v.uid === 'string') extra.uid = v.uid;
  return { secret: v.secret, extra };
}

const KEY_MISMATCH =
  'EXEC_MCP_MASTER_KEY (or data/master.key) does not match the key that encrypted the stored credentials (if that key is lost: "exec-mcp accounts forget-credentials --all" deletes them, then set them again)';
const KEY_CHECK_LABEL = 'exec-mcp/credentials/key-check/v1';
const IV_BYTES = 12; // 96-bit IV, the GCM standard size

interface CredentialRow {
  api_key: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  key_check: string;
  created_at: string;
  updated_at: string;
  ref: string;
}

/** Binds a ciphertext to its account: moving it to another account's row fails authentication. */
function associatedData(key: AccountKey): Buffer {
  return Buffer.from(`account:${key}`, 'utf8');
}

/**
 * The only holder of API secrets. Each secret is stored AES-256-GCM encrypted with a random IV, the
 * account's identity as associated data, and a fingerprint of the master key (key_check) so that a
 * wrong key is reported clearly instead of producing garbage. The master key lives in a private
 * field (invisible to JSON.stringify and loggers); secrets leave only as a Signer's closure.
 */
export class CredentialVault {
  readonly #db: Db;
  readonly #masterKey: Buffer;
  readonly #clock: Clock;
  readonly #keyCheck: string;
  readonly #signers = new Map<AccountKey, Signer>();
  #selectRow: Statement | undefined;

  constructor(db: Db, masterKey: Buffer, clock: Clock) {
    if (masterKey.length !== 32) throw new DomainError('INTERNAL', 'the credential master key must be 32 bytes');
    this.#db = db;
    this.#masterKey = Buffer.from(masterKey);
    this.#clock = clock;
    this.#keyCheck = crypto.createHmac('sha256', this.#masterKey).update(KEY_CHECK_LABEL).digest('hex');
  }

  /** Stores or rotates (replaces, keeping created_at) an account's key pair. Joins the caller's transaction. */
  set(key: AccountKey, creds: Credentials): void {
    const parsed = credentialsSchema.safeParse(creds);
    if (!parsed.success) throw invalidArgumentFromIssues(parsed.error.issues);
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#masterKey, iv);
    cipher.setAAD(associatedData(key));
    const ciphertext = Buffer.concat([cipher.update(sealedText(parsed.data), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const now = isoAt(this.#clock.now());
    this.#db
      .prepare(
        `INSERT INTO credentials (account_id, api_key, iv, ciphertext, tag, key_check, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET api_key = excluded.api_key, iv = excluded.iv,
           ciphertext = excluded.ciphertext, tag = excluded.tag, key_check = excluded.key_check,
           updated_at = excluded.updated_at`,
      )
      .run(key, parsed.data.apiKey, iv, ciphertext, tag, this.#keyCheck, now, now);
  }

  has(key: AccountKey): boolean {
    return this.#db.prepare('SELECT 1 FROM credentials WHERE account_id = ?').get(key) !== undefined;
  }

  /** What may be shown about stored credentials: a hint of the key id and when it was set. */
  info(key: AccountKey): CredentialInfo | undefined {
    const row = this.#db.prepare('SELECT api_key, updated_at FROM credentials WHERE account_id = ?').get(key) as
      | { api_key: string; updated_at: string }
      | undefined;
    return row && { apiKeyHint: apiKeyHint(row.api_key), setAt: row.updated_at };
  }

  /** Returns whether there was anything to remove. */
  remove(key: AccountKey): boolean {
    return this.#db.prepare('DELETE FROM credentials WHERE account_id = ?').run(key).changes > 0;
  }

  /**
   * A Signer for the account, or undefined without credentials. It reads the current record on
   * each use (so a rotation takes effect at once) and decrypts only when the record changed; the
   * decrypted secret stays in this closure.
   */
  signer(key: AccountKey): Signer | undefined {
    return this.has(key) ? this.lazySigner(key) : undefined;
  }

  /** Like signer(), for adapters built before credentials exist: using it without them fails with NO_CREDENTIALS. */
  lazySigner(key: AccountKey): Signer {
    // One signer per account, so callers that ask per request still reuse its decrypted cache.
    let signer = this.#signers.get(key);
    if (!signer) this.#signers.set(key, (signer = this.#makeSigner(key)));
    return signer;
  }

  /**
   * The decrypted key pair, for exchange adapters whose library signs requests itself (ccxt): it
   * needs the secret, not a Signer. Only exchanges/ code may hold what this returns.
   */
  keyPair(key: AccountKey): ({ apiKey: string; secret: string } & CredentialExtras) | undefined {
    const row = this.#row(key);
    if (!row) return undefined;
    const { secret, extra } = openedText(this.#decrypt(key, row));
    return { apiKey: row.api_key, secret, ...extra };
  }

  /** Throws a clear error at start if any stored record was encrypted under another master key. */
  checkMasterKey(): void {
    const rows = this.#db.prepare('SELECT key_check FROM credentials').all() as Array<{ key_check: string }>;
    const bad = rows.filter((r) => !safeEqualHex(r.key_check, this.#keyCheck)).length;
    if (bad > 0) throw new DomainError('INTERNAL', `${KEY_MISMATCH} (${bad} of ${rows.length} stored credential records)`);
  }

  toJSON(): { vault: string } {
    return { vault: 'CredentialVault' };
  }

  #makeSigner(key: AccountKey): Signer {
    let cached: { iv: string; apiKey: string; secret: string } | undefined;
    const source = (): { apiKey: string; secret: string } => {
      const row = this.#row(key);
      if (!row) {
        cached = undefined;
        const account = this.#db.prepare("SELECT exchange || ':' || exchange_account_id AS ref FROM accounts WHERE id = ?").get(key) as
          | { ref: string }
          | undefined;
        throw new DomainError(
          'NO_CREDENTIALS',
          `account ${account?.ref ?? '(removed)'} has no API credentials; set them in the dashboard or with exec-mcp accounts set-credentials`,
        );
      }
      const iv = row.iv.toString('hex');
      if (cached?.iv !== iv) cached = { iv, apiKey: row.api_key, secret: openedText(this.#decrypt(key, row)).secret };
      return { apiKey: cached.apiKey, secret: cached.secret };
    };
    return createHmacSigner(source);
  }

  /** Read on every signature (rotation check), so prepared once. */
  #row(key: AccountKey): CredentialRow | undefined {
    this.#selectRow ??= this.#db.prepare(
      `SELECT c.api_key, c.iv, c.ciphertext, c.tag, c.key_check, c.created_at, c.updated_at,
              a.exchange || ':' || a.exchange_account_id AS ref
       FROM credentials c JOIN accounts a ON a.id = c.account_id WHERE c.account_id = ?`,
    );
    return this.#selectRow.get(key) as CredentialRow | undefined;
  }

  #decrypt(key: AccountKey, row: CredentialRow): string {
    if (!safeEqualHex(row.key_check, this.#keyCheck)) throw new DomainError('INTERNAL', KEY_MISMATCH);
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.#masterKey, row.iv);
      decipher.setAAD(associatedData(key));
      decipher.setAuthTag(row.tag);
      return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // GCM authentication failed: the record was altered (or moved) — never return garbage.
      throw new DomainError(
        'INTERNAL',
        `the stored credentials of account ${row.ref} failed integrity checks (the record was altered or encrypted with another key); set them again`,
      );
    }
  }
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
