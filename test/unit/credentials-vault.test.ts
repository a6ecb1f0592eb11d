import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { ConfigError } from '../../src/config.ts';
import { CredentialVault, loadMasterKey } from '../../src/credentials/vault.ts';
import { apiKeyHint } from '../../src/credentials/signer.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { AccountKey } from '../../src/domain/account.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { AccountsServiceImpl } from '../../src/services/accounts.ts';

const PLANTED_SECRET = 'PLANTED-SECRET-abc123XYZ789-do-not-leak';
const API_KEY = 'APIKEYabcd1234efgh5678wxyz';
const WRONG_KEY_MESSAGE = 'EXEC_MCP_MASTER_KEY (or data/master.key) does not match the key that encrypted the stored credentials';

let dir: string;
let dbFile: string;
let db: Db;
const clock = new ManualClock(Date.UTC(2026, 0, 2));
const masterKey = crypto.randomBytes(32);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-vault-'));
  dbFile = path.join(dir, 'exec-mcp.sqlite');
  db = openDb(dbFile);
  migrate(db);
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function addAccount(name = 'main', id = '123456'): AccountKey {
  const info = db
    .prepare("INSERT INTO accounts (name, exchange, exchange_account_id, mode, created_at, updated_at) VALUES (?, 'bitstamp', ?, 'live', 'x', 'x')")
    .run(name, id);
  return Number(info.lastInsertRowid) as AccountKey;
}

/** Collects every line a pino logger writes. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      cb();
    },
  });
  return { logger: createLogger({ level: 'trace', destination: stream }), lines };
}

function hmac(secret: string, msg: string): string {
  return crypto.createHmac('sha256', secret).update(msg).digest('hex');
}

describe('CredentialVault: a planted secret appears nowhere', () => {
  it('is absent from the SQLite file and its WAL, from every log line and from the audit rows', async () => {
    const { logger, lines } = capturingLogger();
    const audit = new AuditLog(db, clock);
    const vault = new CredentialVault(db, masterKey, clock);
    const accounts = new AccountsServiceImpl({ db, clock, audit, vault, openOrderCount: () => 0 });
    const account = accounts.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '123456' }, 'test');
    const input = { api_key: API_KEY, api_secret: PLANTED_SECRET };
    // What careless code around it might log: the input itself, the vault, a signer, the detail view, errors.
    logger.info({ creds: input, account }, 'setting credentials');
    logger.info({ api_secret: PLANTED_SECRET, apiSecret: PLANTED_SECRET, secret: PLANTED_SECRET }, 'top-level secret fields');
    accounts.setCredentials('main', input, 'test');
    const key = accounts.repository.resolve('main').key;
    const signer = vault.signer(key)!;
    expect(signer.sign('hello')).toBe(hmac(PLANTED_SECRET, 'hello'));
    logger.info({ vault, signer, detail: accounts.get('main') }, 'credentials stored');
    logger.info({ inspected: util.inspect(signer, { showHidden: true, depth: 10, getters: true }) }, 'inspect signer');
    logger.info({ inspected: util.inspect(vault, { showHidden: true, depth: 10 }) }, 'inspect vault');
    let rejected: unknown;
    try {
      accounts.setCredentials('main', { api_key: API_KEY, api_secret: `${PLANTED_SECRET} with space` }, 'test');
    } catch (e) {
      rejected = e;
      logger.warn({ err: e }, 'rejected credentials');
    }
    expect((rejected as DomainError).code).toBe('INVALID_ARGUMENT');
    expect((rejected as DomainError).message).toContain('api_secret');
    expect((rejected as DomainError).message).not.toContain(PLANTED_SECRET);
    await new Promise((r) => setImmediate(r));

    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).not.toContain(PLANTED_SECRET);
    // The redaction did act on the secret-shaped fields (not merely absent by luck).
    expect(lines.join('\n')).toContain('[redacted]');

    const auditRows = db.prepare('SELECT * FROM audit_log').all();
    expect(auditRows.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(auditRows)).not.toContain(PLANTED_SECRET);
    expect(JSON.stringify(auditRows)).toContain(apiKeyHint(API_KEY));

    const needle = Buffer.from(PLANTED_SECRET, 'utf8');
    const walFile = `${dbFile}-wal`;
    expect(fs.existsSync(walFile)).toBe(true);
    expect(fs.statSync(walFile).size).toBeGreaterThan(0);
    for (const f of [dbFile, walFile]) expect(fs.readFileSync(f).includes(needle), f).toBe(false);
    // Sanity: the same scan does find a value stored in clear (the api key id), so it can fail.
    expect(fs.readFileSync(walFile).includes(Buffer.from(API_KEY))).toBe(true);

    closeDb(db); // checkpoint: everything now in the main file
    expect(fs.readFileSync(dbFile).includes(needle)).toBe(false);
    db = openDb(dbFile);
  });

  it('signer and vault print no secret through JSON.stringify or util.inspect', () => {
    const key = addAccount();
    const vault = new CredentialVault(db, masterKey, clock);
    vault.set(key, { apiKey: API_KEY, apiSecret: PLANTED_SECRET });
    const signer = vault.signer(key)!;
    signer.sign('warm the cache');
    for (const text of [
      JSON.stringify(signer),
      JSON.stringify({ vault }),
      util.inspect(signer, { showHidden: true, depth: Infinity, getters: true }),
      util.inspect(vault, { showHidden: true, depth: Infinity }),
    ]) {
      expect(text).not.toContain(PLANTED_SECRET);
      expect(text).not.toContain(masterKey.toString('base64'));
      expect(text).not.toContain(masterKey.toString('hex'));
    }
    expect(signer.apiKey).toBe(API_KEY);
  });
});

describe('CredentialVault: wrong or tampered keys give clear errors', () => {
  it('checkMasterKey and signing with a wrong master key fail with the clear message, never garbage', () => {
    const key = addAccount();
    new CredentialVault(db, masterKey, clock).set(key, { apiKey: API_KEY, apiSecret: PLANTED_SECRET });
    const wrong = new CredentialVault(db, crypto.randomBytes(32), clock);
    expect(() => wrong.checkMasterKey()).toThrow(WRONG_KEY_MESSAGE);
    expect(() => wrong.checkMasterKey()).toThrow(expect.objectContaining({ name: 'DomainError', code: 'INTERNAL' }));
    const signer = wrong.signer(key)!;
    expect(() => signer.sign('x')).toThrow(WRONG_KEY_MESSAGE);
    expect(() => new CredentialVault(db, masterKey, clock).checkMasterKey()).not.toThrow();
  });

  it('a ciphertext altered in the file, or moved to another account, fails authentication clearly', () => {
    const a = addAccount('a', '1');
    const b = addAccount('b', '2');
    const vault = new CredentialVault(db, masterKey, clock);
    vault.set(a, { apiKey: API_KEY, apiSecret: PLANTED_SECRET });
    vault.set(b, { apiKey: 'otherkey12345678', apiSecret: 'other-secret' });
    // Move a's ciphertext into b's row: the associated data (account identity) no longer matches.
    db.prepare('UPDATE credentials SET iv = (SELECT iv FROM credentials WHERE account_id = ?), ciphertext = (SELECT ciphertext FROM credentials WHERE account_id = ?), tag = (SELECT tag FROM credentials WHERE account_id = ?) WHERE account_id = ?').run(a, a, a, b);
    expect(() => vault.signer(b)!.sign('x')).toThrow(/bitstamp:2 failed integrity checks/);
    // Flip one ciphertext bit of a's row.
    const row = db.prepare('SELECT ciphertext FROM credentials WHERE account_id = ?').get(a) as { ciphertext: Buffer };
    row.ciphertext[0] = row.ciphertext[0]! ^ 1;
    db.prepare('UPDATE credentials SET ciphertext = ? WHERE account_id = ?').run(row.ciphertext, a);
    expect(() => vault.signer(a)!.sign('x')).toThrow(/failed integrity checks/);
  });
});

describe('CredentialVault: storage behaviour', () => {
  it('uses a fresh IV per record, rotates in place keeping created_at, and signers follow the rotation', () => {
    const key = addAccount();
    const vault = new CredentialVault(db, masterKey, clock);
    expect(vault.has(key)).toBe(false);
    expect(vault.signer(key)).toBeUndefined();
    expect(() => vault.lazySigner(key).sign('x')).toThrow(/bitstamp:123456 has no API credentials/);

    vault.set(key, { apiKey: API_KEY, apiSecret: 's1' });
    const signer = vault.signer(key)!;
    expect(signer.sign('m')).toBe(hmac('s1', 'm'));
    const first = db.prepare('SELECT iv, created_at, updated_at FROM credentials').get() as { iv: Buffer; created_at: string; updated_at: string };
    expect(first.iv.length).toBe(12);

    clock.advance(60_000);
    vault.set(key, { apiKey: 'NEWKEY0000001111', apiSecret: 's2' });
    const second = db.prepare('SELECT iv, created_at, updated_at FROM credentials').get() as { iv: Buffer; created_at: string; updated_at: string };
    expect(second.iv.equals(first.iv)).toBe(false);
    expect(second.created_at).toBe(first.created_at);
    expect(second.updated_at).not.toBe(first.updated_at);
    expect(signer.sign('m')).toBe(hmac('s2', 'm'));
    expect(signer.apiKey).toBe('NEWKEY0000001111');
    expect(vault.info(key)).toEqual({ apiKeyHint: 'NEWK…1111', setAt: second.updated_at });

    expect(vault.remove(key)).toBe(true);
    expect(vault.has(key)).toBe(false);
    expect(() => signer.sign('m')).toThrow(/no API credentials/);
  });

  it('rejects empty or whitespace-bearing values without echoing them', () => {
    const key = addAccount();
    const vault = new CredentialVault(db, masterKey, clock);
    expect(() => vault.set(key, { apiKey: '', apiSecret: 'x' })).toThrow(/apiKey: must not be empty/);
    expect(() => vault.set(key, { apiKey: 'k', apiSecret: 'has space' })).toThrow(/apiSecret: must be printable/);
  });

  it('hints show a few characters of the key id only', () => {
    expect(apiKeyHint('abcdefghijklmnopwxyz')).toBe('abcd…wxyz');
    expect(apiKeyHint('abcdefg')).toBe('ab…fg');
    expect(apiKeyHint('abc')).toBe('…');
  });
});

describe('loadMasterKey', () => {
  it('uses EXEC_MCP_MASTER_KEY when given and creates nothing', () => {
    const k = crypto.randomBytes(32);
    expect(loadMasterKey({ masterKey: k, dataDir: dir }).equals(k)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'master.key'))).toBe(false);
    expect(() => loadMasterKey({ masterKey: Buffer.alloc(16), dataDir: dir })).toThrow(ConfigError);
  });

  it('creates a 0600 key file on first run and reads the same key afterwards', () => {
    const dataDir = path.join(dir, 'fresh');
    const k1 = loadMasterKey({ dataDir });
    const file = path.join(dataDir, 'master.key');
    expect(k1.length).toBe(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64').equals(k1)).toBe(true);
    expect(loadMasterKey({ dataDir }).equals(k1)).toBe(true);
  });

  it('refuses a key file readable by group/others, naming the file and the fix', () => {
    const file = path.join(dir, 'master.key');
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64'), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(() => loadMasterKey({ dataDir: dir })).toThrow(/mode 0644.*chmod 600/);
    expect(() => loadMasterKey({ dataDir: dir })).toThrow(expect.objectContaining({ name: 'ConfigError', variable: 'EXEC_MCP_MASTER_KEY' }));
  });

  it('refuses a key file of the wrong length', () => {
    const file = path.join(dir, 'master.key');
    fs.writeFileSync(file, crypto.randomBytes(16).toString('base64'), { mode: 0o600 });
    expect(() => loadMasterKey({ dataDir: dir })).toThrow(/exactly 32 bytes/);
    fs.writeFileSync(file, 'not base64 !!!', { mode: 0o600 });
    expect(() => loadMasterKey({ dataDir: dir })).toThrow(/exactly 32 bytes/);
  });
});
