import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { CredentialVault } from '../../src/credentials/vault.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { AccountKey, AccountRecord } from '../../src/domain/account.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { DomainError } from '../../src/domain/errors.ts';
import { AccountsServiceImpl, DEFAULT_PAPER_ACCOUNT, ensureDefaultPaperAccount } from '../../src/services/accounts.ts';
import { AuditServiceImpl } from '../../src/services/audit.ts';

let dir: string;
let db: Db;
let clock: ManualClock;
let audit: AuditLog;
let service: AccountsServiceImpl;
let openOrders: Map<AccountKey, number>;
let funded: Array<{ ref: string; mode: string; balances: Record<string, string> }>;
let removed: string[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-accounts-'));
  db = openDb(path.join(dir, 'exec-mcp.sqlite'));
  migrate(db);
  clock = new ManualClock(Date.UTC(2026, 0, 2, 10));
  audit = new AuditLog(db, clock);
  openOrders = new Map();
  funded = [];
  removed = [];
  service = new AccountsServiceImpl({
    db,
    clock,
    audit,
    vault: new CredentialVault(db, crypto.randomBytes(32), clock),
    openOrderCount: (key) => openOrders.get(key) ?? 0,
    onPaperAccountCreated: (rec: AccountRecord, balances) => funded.push({ ref: rec.ref, mode: rec.account.mode, balances }),
    onAccountRemoved: (rec) => removed.push(rec.ref),
  });
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
}
const auditRows = () => new AuditServiceImpl(audit).page({ limit: 500 }).reverse();
const keyOf = (ref: string) => service.repository.resolve(ref).key;

describe('AccountsService: create and read', () => {
  it('creates accounts with defaults, resolves by name or exchange ref, never exposes the integer key', () => {
    const a = service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '123456' }, 'cli');
    expect(a).toEqual({
      name: 'main',
      exchange: 'bitstamp',
      exchange_account_id: '123456',
      mode: 'live',
      enabled: true,
      created_at: '2026-01-02T10:00:00.000Z',
      updated_at: '2026-01-02T10:00:00.000Z',
      limits: {},
    });
    expect(service.get('main')).toMatchObject({ name: 'main', has_credentials: false });
    expect(service.get('bitstamp:123456').name).toBe('main');
    expect(JSON.stringify(service.get('main'))).not.toMatch(/"(id|key|parent_id)"/);
    expect(errorOf(() => service.get('nope')).code).toBe('ACCOUNT_NOT_FOUND');
    expect(errorOf(() => service.get('bitstamp:999')).code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('writes an audit row for the creation, in the same transaction', () => {
    service.create({ name: 'p', exchange: 'paper', exchange_account_id: 'p1', initial_balances: { USD: '500' } }, 'dashboard:admin');
    const [row] = auditRows();
    expect(row).toMatchObject({
      seq: 1,
      actor: 'dashboard:admin',
      action: 'account.create',
      subject: 'paper:p1',
      payload: { name: 'p', exchange: 'paper', exchange_account_id: 'p1', mode: 'paper', enabled: true, initial_balances: { USD: '500' } },
    });
    // A failure inside the transaction (the funding hook throws) leaves neither account nor audit row.
    const failing = new AccountsServiceImpl({
      db,
      clock,
      audit,
      vault: new CredentialVault(db, crypto.randomBytes(32), clock),
      openOrderCount: () => 0,
      onPaperAccountCreated: () => {
        throw new Error('funding failed');
      },
    });
    expect(() => failing.create({ name: 'q', exchange: 'paper', exchange_account_id: 'q1' }, 'x')).toThrow('funding failed');
    expect(service.list().map((a) => a.name)).toEqual(['p']);
    expect(auditRows()).toHaveLength(1);
  });

  it('funds paper accounts through the hook with their starting balances', () => {
    service.create({ name: 'p', exchange: 'paper', exchange_account_id: 'p1', initial_balances: { USD: '10000', BTC: '0.5' } }, 'cli');
    service.create({ name: 'bt', exchange: 'paper', exchange_account_id: 'bt1', mode: 'backtest' }, 'cli');
    service.create({ name: 'live', exchange: 'bitstamp', exchange_account_id: '1' }, 'cli');
    expect(funded).toEqual([
      { ref: 'paper:p1', mode: 'paper', balances: { USD: '10000', BTC: '0.5' } },
      { ref: 'paper:bt1', mode: 'backtest', balances: {} },
    ]);
  });

  it('validates names, exchange, ids, modes and balances with messages naming the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: '', exchange: 'paper', exchange_account_id: 'a' }, /^name:/],
      [{ name: 'x:y', exchange: 'paper', exchange_account_id: 'a' }, /^name: must start with a letter/],
      [{ name: 'x', exchange: 'kraken', exchange_account_id: 'a' }, /^exchange: must be one of bitstamp, paper/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a b' }, /^exchange_account_id:/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', mode: 'live' }, /mode live is not allowed on exchange paper; allowed: paper, backtest/],
      [{ name: 'x', exchange: 'bitstamp', exchange_account_id: 'abc' }, /^exchange_account_id: a Bitstamp exchange_account_id is the account's numeric user id/],
      [{ name: 'x', exchange: 'bitstamp', exchange_account_id: '1', mode: 'paper' }, /mode paper is not allowed on exchange bitstamp; allowed: live/],
      [{ name: 'x', exchange: 'bitstamp', exchange_account_id: '1', initial_balances: { USD: '1' } }, /only for paper accounts/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', initial_balances: { USD: '-1' } }, /^initial_balances\.USD:/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', initial_balances: { usd: '1' } }, /currency codes/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', id: 7 }, /Unrecognized key/i],
      [{ name: 'x', exchange: 'bitstamp', exchange_account_id: '1', simulation: { participation: 0.5 } }, /^simulation settings are only for paper accounts/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', simulation: { participation: 0 } }, /^simulation\.participation:/],
      [{ name: 'x', exchange: 'paper', exchange_account_id: 'a', simulation: { queue: 'fifo' } }, /^simulation\.queue:/],
    ];
    for (const [input, message] of cases) {
      const e = errorOf(() => service.create(input as never, 'cli'));
      expect(e.code, JSON.stringify(input)).toBe('INVALID_ARGUMENT');
      expect(e.message, JSON.stringify(input)).toMatch(message);
    }
    expect(service.list()).toEqual([]);
    expect(auditRows()).toEqual([]);
  });

  it('refuses duplicate names (ignoring case) and duplicate exchange references', () => {
    service.create({ name: 'Main', exchange: 'bitstamp', exchange_account_id: '1' }, 'cli');
    expect(errorOf(() => service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '2' }, 'cli')).message).toBe(
      'an account named Main already exists; names are unique (ignoring case)',
    );
    const e = errorOf(() => service.create({ name: 'other', exchange: 'bitstamp', exchange_account_id: '1' }, 'cli'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('an account for bitstamp:1 already exists (named Main)');
    // The same id on another exchange is a different account.
    expect(service.create({ name: 'p1', exchange: 'paper', exchange_account_id: '1' }, 'cli').exchange).toBe('paper');
  });
});

describe('AccountsService: parents', () => {
  beforeEach(() => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100' }, 'cli');
    service.create({ name: 'paper', exchange: 'paper', exchange_account_id: 'paper' }, 'cli');
  });

  it('stores the parent and exposes it as "<exchange>:<id>"', () => {
    const sub = service.create({ name: 'sub', exchange: 'bitstamp', exchange_account_id: '101', parent: 'main' }, 'cli');
    expect(sub.parent).toBe('bitstamp:100');
    expect(service.create({ name: 'sub2', exchange: 'bitstamp', exchange_account_id: '102', parent: 'bitstamp:101' }, 'cli').parent).toBe(
      'bitstamp:101',
    );
  });

  it('requires an existing parent on the same exchange', () => {
    expect(errorOf(() => service.create({ name: 's', exchange: 'bitstamp', exchange_account_id: '9', parent: 'ghost' }, 'cli')).message).toBe(
      'parent account "ghost" does not exist',
    );
    expect(errorOf(() => service.create({ name: 's', exchange: 'bitstamp', exchange_account_id: '9', parent: 'paper' }, 'cli')).message).toBe(
      'parent paper:paper is on exchange paper; a subaccount must be on the same exchange (bitstamp)',
    );
  });

  it('refuses self-parenting and cycles on update; "" clears the parent', () => {
    service.create({ name: 'sub', exchange: 'bitstamp', exchange_account_id: '101', parent: 'main' }, 'cli');
    service.create({ name: 'subsub', exchange: 'bitstamp', exchange_account_id: '102', parent: 'sub' }, 'cli');
    expect(errorOf(() => service.update('main', { parent: 'main' }, 'cli')).message).toBe('an account cannot be its own parent');
    expect(errorOf(() => service.update('main', { parent: 'subsub' }, 'cli')).message).toMatch(/would create a cycle/);
    const cleared = service.update('subsub', { parent: '' }, 'cli');
    expect(cleared.parent).toBeUndefined();
    expect(auditRows().at(-1)).toMatchObject({ action: 'account.update', payload: { changes: { parent: { from: 'bitstamp:101', to: null } } } });
  });

  it('refuses to remove a parent while it has subaccounts', () => {
    service.create({ name: 'sub', exchange: 'bitstamp', exchange_account_id: '101', parent: 'main' }, 'cli');
    expect(errorOf(() => service.remove('main', 'cli')).message).toBe(
      'account main (bitstamp:100) is the parent of bitstamp:101; remove them or change their parent first',
    );
  });
});

describe('AccountsService: updates and audit', () => {
  beforeEach(() => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100' }, 'cli');
    clock.advance(1000);
  });

  it('records old → new values of each changed field and nothing for a no-op', () => {
    const a = service.update('main', { name: 'primary', limits: { max_order_value: '1000' } }, 'dashboard:admin');
    expect(a).toMatchObject({ name: 'primary', limits: { max_order_value: '1000' }, updated_at: '2026-01-02T10:00:01.000Z' });
    expect(auditRows().at(-1)).toMatchObject({
      actor: 'dashboard:admin',
      action: 'account.update',
      subject: 'bitstamp:100',
      payload: { changes: { name: { from: 'main', to: 'primary' }, limits: { from: {}, to: { max_order_value: '1000' } } } },
    });
    const before = auditRows().length;
    service.update('primary', { name: 'primary' }, 'cli');
    service.setEnabled('primary', true, 'cli');
    expect(auditRows()).toHaveLength(before);
  });

  it('enable/disable and limits each write an audit row', () => {
    expect(service.setEnabled('main', false, 'cli').enabled).toBe(false);
    expect(service.list({ enabled: false }).map((a) => a.name)).toEqual(['main']);
    expect(service.list({ enabled: true })).toEqual([]);
    service.setEnabled('main', true, 'cli');
    service.setLimits('main', { max_open_orders: 5, allowed_markets: ['btcusd'] }, 'cli');
    expect(auditRows().slice(1).map((r) => r.action)).toEqual(['account.disable', 'account.enable', 'account.limits']);
    expect(auditRows().at(-1)!.payload).toEqual({ changes: { limits: { from: {}, to: { max_open_orders: 5, allowed_markets: ['btcusd'] } } } });
    expect(errorOf(() => service.setLimits('main', { max_open_orders: -1 } as never, 'cli')).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => service.list({ exchange: 'kraken' })).message).toMatch(/exchange: must be one of/);
  });

  it('changing the exchange id is refused while orders are open, with order history, and for paper accounts', () => {
    openOrders.set(keyOf('main'), 2);
    expect(errorOf(() => service.update('main', { exchange_account_id: '200' }, 'cli')).message).toMatch(/has 2 open orders/);
    openOrders.clear();
    expect(service.update('main', { exchange_account_id: '200' }, 'cli').exchange_account_id).toBe('200');
    expect(service.get('bitstamp:200').name).toBe('main');
    db.prepare(
      `INSERT INTO orders (order_id, account_id, client_order_id, market, side, type, time_in_force, amount, status, filled_amount, fee_total, created_at, updated_at, terminal, machine_version, snapshot)
       VALUES ('o1', ?, 'c1', 'btcusd', 'buy', 'limit', 'gtc', '1', 'cancelled', '0', '0', 'x', 'x', 1, 1, '{}')`,
    ).run(keyOf('main'));
    expect(errorOf(() => service.update('main', { exchange_account_id: '300' }, 'cli')).message).toMatch(/has order history; its exchange_account_id cannot change/);
    service.create({ name: 'p', exchange: 'paper', exchange_account_id: 'p1' }, 'cli');
    expect(errorOf(() => service.update('p', { exchange_account_id: 'p2' }, 'cli')).message).toMatch(/create a new paper account instead/);
  });

  it('a Bitstamp id can only change to a numeric user id', () => {
    const e = errorOf(() => service.update('main', { exchange_account_id: 'main-account' }, 'cli'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^exchange_account_id: a Bitstamp exchange_account_id is the account's numeric user id/);
    expect(service.get('main').exchange_account_id).toBe('100');
  });

  it('mode changes must fit the exchange', () => {
    expect(errorOf(() => service.update('main', { mode: 'paper' }, 'cli')).message).toMatch(/mode paper is not allowed on exchange bitstamp/);
  });
});

describe('AccountsService: credentials', () => {
  it('sets and replaces credentials with an audit row that carries only a hint', () => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100' }, 'cli');
    service.setCredentials('main', { api_key: 'abcdEFGH12345678wxyz', api_secret: 'S3CRET-VALUE-1' }, 'cli');
    clock.advance(5000);
    service.setCredentials('main', { api_key: 'zzzzEFGH12345678yyyy', api_secret: 'S3CRET-VALUE-2' }, 'cli');
    const rows = auditRows().filter((r) => r.action === 'account.credentials.set');
    expect(rows.map((r) => r.payload)).toEqual([
      { change: 'api key set, hint abcd…wxyz', api_key_hint: 'abcd…wxyz', replaced: false },
      { change: 'api key replaced, hint zzzz…yyyy', api_key_hint: 'zzzz…yyyy', replaced: true },
    ]);
    expect(JSON.stringify(auditRows())).not.toMatch(/S3CRET/);
    expect(service.get('main')).toMatchObject({ has_credentials: true, api_key_hint: 'zzzz…yyyy', credentials_set_at: '2026-01-02T10:00:05.000Z' });
  });

  it('refuses credentials for paper accounts and invalid values', () => {
    service.create({ name: 'p', exchange: 'paper', exchange_account_id: 'p' }, 'cli');
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100' }, 'cli');
    expect(errorOf(() => service.setCredentials('p', { api_key: 'k', api_secret: 's' }, 'cli')).message).toMatch(/paper account/);
    expect(errorOf(() => service.setCredentials('main', { api_key: 'k', api_secret: '' }, 'cli')).message).toBe('api_secret: must not be empty');
  });
});

describe('AccountsService: remove', () => {
  beforeEach(() => {
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '100' }, 'cli');
  });

  it('refuses while orders are open, naming how many', () => {
    openOrders.set(keyOf('main'), 3);
    const e = errorOf(() => service.remove('main', 'cli'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('account main (bitstamp:100) has 3 open orders; cancel them first');
    expect(service.list()).toHaveLength(1);
  });

  it('refuses an account with order history and suggests disabling it', () => {
    db.prepare(
      `INSERT INTO orders (order_id, account_id, client_order_id, market, side, type, time_in_force, amount, status, filled_amount, fee_total, created_at, updated_at, terminal, machine_version, snapshot)
       VALUES ('o1', ?, 'c1', 'btcusd', 'buy', 'limit', 'gtc', '1', 'filled', '1', '0', 'x', 'x', 1, 1, '{}')`,
    ).run(keyOf('main'));
    expect(errorOf(() => service.remove('main', 'cli')).message).toMatch(/has order history .* cannot be removed; disable it instead/);
  });

  it('removes the account and its credentials with an audit row', () => {
    service.setCredentials('main', { api_key: 'abcdEFGH12345678wxyz', api_secret: 'secret' }, 'cli');
    service.remove('bitstamp:100', 'cli');
    expect(service.list()).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM credentials').get()).toEqual({ n: 0 });
    expect(removed).toEqual(['bitstamp:100']);
    expect(auditRows().at(-1)).toMatchObject({ action: 'account.remove', subject: 'bitstamp:100', payload: { name: 'main', credentials_removed: true } });
    expect(errorOf(() => service.remove('main', 'cli')).code).toBe('ACCOUNT_NOT_FOUND');
  });
});

describe('AccountsService: global kill switch and default account', () => {
  it('persists the kill switch in settings and audits each change', () => {
    expect(service.globalKillSwitch()).toBe(false);
    service.setGlobalKillSwitch(true, 'dashboard:admin');
    expect(service.globalKillSwitch()).toBe(true);
    expect(db.prepare("SELECT value FROM settings WHERE key = 'kill_switch'").get()).toEqual({ value: '1' });
    service.setGlobalKillSwitch(true, 'dashboard:admin'); // no-op
    service.setGlobalKillSwitch(false, 'cli');
    expect(service.globalKillSwitch()).toBe(false);
    expect(auditRows().map((r) => [r.action, r.subject])).toEqual([
      ['kill_switch.on', 'global'],
      ['kill_switch.off', 'global'],
    ]);
  });

  it('ensureDefaultPaperAccount creates the funded paper account only when no account exists', () => {
    const created = ensureDefaultPaperAccount(service, 'system');
    expect(created).toMatchObject({ name: 'paper', exchange: 'paper', exchange_account_id: 'paper', mode: 'paper' });
    expect(funded).toEqual([{ ref: 'paper:paper', mode: 'paper', balances: DEFAULT_PAPER_ACCOUNT.initial_balances }]);
    expect(ensureDefaultPaperAccount(service, 'system')).toBeUndefined();
    service.remove('paper', 'cli');
    service.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '1' }, 'cli');
    expect(ensureDefaultPaperAccount(service, 'system')).toBeUndefined();
    expect(new AuditServiceImpl(audit).verify()).toEqual({ ok: true, rows: 3 });
  });
});
