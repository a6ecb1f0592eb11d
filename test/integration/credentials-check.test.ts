/**
 * Issue 21 "Identity", when credentials are set: the service asks Bitstamp (the emulator) whose
 * key it is with one signed read-only call (websockets_token/), refuses a key of another user
 * without storing anything, and otherwise stores it and says what the exchange answered.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { CredentialVault } from '../../src/credentials/vault.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock, seededRandom, systemClock } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { fetchKeyUserId } from '../../src/exchanges/bitstamp/identity.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { AccountsServiceImpl } from '../../src/services/accounts.ts';
import { AuditServiceImpl } from '../../src/services/audit.ts';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';

const MAIN = { apiKey: 'mainkey0001', secret: 'PLANTED-main-secret-0001', userId: '100001' };

let dir: string;
let db: Db;
let audit: AuditLog;
let emulator: BitstampEmulator;
let service: AccountsServiceImpl;
let apiUrl: string;
let changed: string[];

beforeEach(async () => {
  emulator = await BitstampEmulator.start({ accounts: [{ ...MAIN, balances: { USD: '100' } }] });
  apiUrl = emulator.apiUrl;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-creds-check-'));
  db = openDb(path.join(dir, 'exec-mcp.sqlite'));
  migrate(db);
  const clock = new ManualClock(Date.UTC(2026, 0, 2, 10));
  audit = new AuditLog(db, clock);
  changed = [];
  service = new AccountsServiceImpl({
    db,
    clock,
    audit,
    vault: new CredentialVault(db, crypto.randomBytes(32), clock),
    openOrderCount: () => 0,
    onConnectionSettingsChanged: (r) => changed.push(r.ref),
    verifyCredentials: {
      bitstamp: (_record, signer) =>
        fetchKeyUserId({ apiUrl, clock: systemClock, random: seededRandom(1), logger: silentLogger(), readRetries: 0 }, signer),
    },
  });
});
afterEach(async () => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
  await emulator.close();
});

const credentialAudit = () => new AuditServiceImpl(audit).page({ limit: 100 }).filter((r) => r.action === 'account.credentials.set');
const creds = (secret = MAIN.secret) => ({ api_key: MAIN.apiKey, api_secret: secret });

describe('setting credentials checks whose key it is', () => {
  it("the account's own key: verified with one websockets_token/ call, stored, audited with the answer", async () => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100001' }, 'cli');
    expect(await service.setCredentialsChecked('main', creds(), 'cli')).toEqual({ verified: true, user_id: '100001', message: 'verified as user 100001' });
    expect(emulator.requests.map((r) => r.endpoint)).toEqual(['websockets_token/']);
    expect(service.get('main').has_credentials).toBe(true);
    expect(credentialAudit().map((r) => r.payload)).toEqual([expect.objectContaining({ check: 'verified as user 100001', replaced: false })]);
    expect(changed).toEqual(['bitstamp:100001']);
  });

  it('the impostor (account 999999, key of user 100001) is refused: nothing stored, nothing audited, no stream change', async () => {
    service.create({ name: 'impostor', exchange: 'bitstamp', exchange_account_id: '999999' }, 'cli');
    const e = await service.setCredentialsChecked('impostor', creds(), 'cli').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: ['api_key'] } });
    expect((e as DomainError).message).toContain('belongs to Bitstamp user 100001');
    expect((e as DomainError).message).not.toContain(MAIN.secret);
    expect(service.get('impostor').has_credentials).toBe(false);
    expect(credentialAudit()).toEqual([]);
    expect(changed).toEqual([]);
    expect(emulator.requests.map((r) => r.endpoint)).toEqual(['websockets_token/']);
  });

  it("a stored non-numeric id (from before ids were checked) can never match a key's user", async () => {
    service.repository.insert({ name: 'old', exchange: 'bitstamp', exchange_account_id: 'abc', mode: 'live', enabled: true, limits: {} }, '2026-01-01T00:00:00.000Z');
    await expect(service.setCredentialsChecked('old', creds(), 'cli')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(service.get('old').has_credentials).toBe(false);
  });

  it("the exchange's error (wrong secret) is shown; the key is stored unverified and checked again at connection start", async () => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100001' }, 'cli');
    const check = await service.setCredentialsChecked('main', creds('not-the-secret'), 'cli');
    expect(check.verified).toBe(false);
    expect(check.message).toMatch(/^not verified: EXCHANGE_REJECTED: .*API0005/);
    expect(service.get('main').has_credentials).toBe(true);
  });

  it('an exchange that cannot be reached: stored, not verified, saying why', async () => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100001' }, 'cli');
    await emulator.close();
    emulator = await BitstampEmulator.start({});
    apiUrl = 'http://127.0.0.1:9'; // discard port: connection refused
    const check = await service.setCredentialsChecked('main', creds(), 'cli');
    expect(check).toMatchObject({ verified: false, message: expect.stringMatching(/^not verified: EXCHANGE_UNAVAILABLE/) });
    expect(service.get('main').has_credentials).toBe(true);
  });
});
