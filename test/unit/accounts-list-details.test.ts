/**
 * The batch reads behind the dashboard's accounts table: AccountsService.listDetails() and
 * BalancesService.latestForAll(). They must answer exactly what the per-account reads (get(ref),
 * balances.get(ref, false)) answer, in a number of SQL statements that does not grow with the
 * number of accounts, without touching the credentials ciphertext or the exchange.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountRepository } from '../../src/accounts/repository.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { CredentialVault } from '../../src/credentials/vault.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { accountRef } from '../../src/domain/account.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { BalanceReport, ExchangeAdapter } from '../../src/exchanges/adapter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { AccountsServiceImpl } from '../../src/services/accounts.ts';
import { BalancesServiceImpl } from '../../src/services/balances.ts';

const EXECUTE = new Set(['get', 'all', 'run', 'iterate']);

/** The db as the services see it, counting every statement execution and keeping its SQL. */
function countingDb(real: Db): { db: Db; executed: string[] } {
  const executed: string[] = [];
  const wrap = (statement: Statement): Statement => {
    const proxy: Statement = new Proxy(statement, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (typeof prop === 'string' && EXECUTE.has(prop)) executed.push(target.source);
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? proxy : result; // pluck()/raw() return the statement itself
        };
      },
    });
    return proxy;
  };
  const db = new Proxy(real, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, executed };
}

class ScriptedAdapter {
  calls = 0;
  balances: BalanceReport[] = [
    { currency: 'USD', total: '1000', available: '900', reserved: '100' },
    { currency: 'BTC', total: '1.5', available: '1.5', reserved: '0' },
  ];
  async getBalances(): Promise<BalanceReport[]> {
    this.calls++;
    return this.balances.map((b) => ({ ...b }));
  }
}

let dir: string;
let realDb: Db;
let executed: string[];
let clock: ManualClock;
let adapter: ScriptedAdapter;
let accounts: AccountsServiceImpl;
let balances: BalancesServiceImpl;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-list-details-'));
  realDb = openDb(path.join(dir, 'exec-mcp.sqlite'));
  migrate(realDb);
  const counting = countingDb(realDb);
  executed = counting.executed;
  const db = counting.db;
  clock = new ManualClock(Date.UTC(2026, 0, 2, 10));
  adapter = new ScriptedAdapter();
  const repository = new AccountRepository(db);
  accounts = new AccountsServiceImpl({
    db,
    clock,
    audit: new AuditLog(db, clock),
    vault: new CredentialVault(db, crypto.randomBytes(32), clock),
    openOrderCount: () => 0,
    repository,
  });
  balances = new BalancesServiceImpl({
    db,
    clock,
    directory: repository,
    adapterFor: () => adapter as unknown as ExchangeAdapter,
    logger: silentLogger(),
  });
});
afterEach(() => {
  closeDb(realDb);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A mix of every case the table shows: credentials or not, parent, limits, disabled, balances or not. */
async function seedMix(): Promise<void> {
  accounts.create({ name: 'main', exchange: 'bitstamp', exchange_account_id: '1001' }, 'test');
  accounts.create({ name: 'sub', exchange: 'bitstamp', exchange_account_id: '1002', parent: 'main', limits: { max_open_orders: 3, kill_switch: true } }, 'test');
  accounts.create({ name: 'Off', exchange: 'bitstamp', exchange_account_id: '1003', enabled: false, limits: { max_open_orders: 3, kill_switch: true } }, 'test');
  accounts.create({ name: 'paper-a', exchange: 'paper', exchange_account_id: 'pa' }, 'test');
  accounts.create({ name: 'paper-empty', exchange: 'paper', exchange_account_id: 'pe' }, 'test');
  accounts.create({ name: 'paper-none', exchange: 'paper', exchange_account_id: 'pn' }, 'test');
  accounts.setCredentials('main', { api_key: 'ABCDEFGHIJKLMNOPQRST1234', api_secret: 'secret-main-0123456789abcdef' }, 'test');
  clock.advance(60_000);
  accounts.setCredentials('sub', { api_key: 'subkey0123456789', api_secret: 'secret-sub-0123456789abcdef' }, 'test');
  clock.advance(60_000);
  await balances.snapshot('paper-a');
  clock.advance(60_000);
  await balances.snapshot('main');
  // Replaced credentials: the table shows the newer date.
  clock.advance(60_000);
  accounts.setCredentials('main', { api_key: 'ZYXWVUTSRQPONMLKJIH98765', api_secret: 'secret-main-rotated-0123456789' }, 'test');
  // A fetch that found no currencies: a history point, no latest-balance rows.
  adapter.balances = [];
  clock.advance(60_000);
  await balances.snapshot('paper-empty');
}

describe('AccountsService.listDetails', () => {
  it('answers for every account exactly what get(ref) answers, ordered by name', async () => {
    await seedMix();
    const list = accounts.listDetails();
    expect(list.map((d) => d.name)).toEqual(accounts.list().map((a) => a.name));
    expect(list.map((d) => d.name)).toEqual(['Off', 'main', 'paper-a', 'paper-empty', 'paper-none', 'sub']);
    for (const d of list) expect(d).toEqual(accounts.get(accountRef(d)));

    const byName = new Map(list.map((d) => [d.name, d]));
    expect(byName.get('main')).toMatchObject({ has_credentials: true, api_key_hint: 'ZYXW…8765', credentials_set_at: '2026-01-02T10:04:00.000Z', last_balance_at: '2026-01-02T10:03:00.000Z' });
    expect(byName.get('sub')).toMatchObject({ has_credentials: true, api_key_hint: 'subk…6789', parent: 'bitstamp:1001', limits: { max_open_orders: 3, kill_switch: true } });
    expect(byName.get('Off')).toMatchObject({ enabled: false, has_credentials: false });
    expect(byName.get('Off')).not.toHaveProperty('api_key_hint');
    expect(byName.get('paper-a')?.last_balance_at).toBe('2026-01-02T10:02:00.000Z');
    expect(byName.get('paper-empty')?.last_balance_at).toBe('2026-01-02T10:05:00.000Z'); // from the history point alone
    expect(byName.get('paper-none')).not.toHaveProperty('last_balance_at');
    expect(JSON.stringify(list)).not.toMatch(/secret|ABCDEFGHIJKL|ZYXWVUTSRQPONML/);
  });

  it('filters by exchange and enabled like list(), and refuses unknown filters', async () => {
    await seedMix();
    const names = (f: { exchange?: string; enabled?: boolean }) => accounts.listDetails(f).map((d) => d.name);
    expect(names({ exchange: 'paper' })).toEqual(['paper-a', 'paper-empty', 'paper-none']);
    expect(names({ enabled: false })).toEqual(['Off']);
    expect(names({ exchange: 'bitstamp', enabled: true })).toEqual(['main', 'sub']);
    for (const f of [{ exchange: 'kraken' }, { enabled: 'yes' }, { other: 1 }]) {
      const e = (() => {
        try {
          accounts.listDetails(f as { exchange?: string });
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('runs one SQL statement whatever the number of accounts, never reading the ciphertext', async () => {
    await seedMix();
    const run = () => {
      executed.length = 0;
      accounts.listDetails();
      return [...executed];
    };
    const few = run();
    for (let i = 0; i < 40; i++) {
      accounts.create({ name: `more-${i}`, exchange: 'bitstamp', exchange_account_id: String(5000 + i) }, 'test');
      accounts.setCredentials(`more-${i}`, { api_key: `KEY${i}abcdefghijkl`, api_secret: `SECRET${i}abcdefghijklmnop` }, 'test');
    }
    const many = run();
    expect(accounts.listDetails()).toHaveLength(46);
    expect(few).toHaveLength(1);
    expect(many).toHaveLength(1);
    for (const sql of many) expect(sql).not.toMatch(/ciphertext|\biv\b|\btag\b|key_check|c\.\*/);
  });

  it('gives each account its own limits object, and reads a damaged limits column as no limits', async () => {
    await seedMix();
    const [off, sub] = [accounts.listDetails().find((d) => d.name === 'Off')!, accounts.listDetails().find((d) => d.name === 'sub')!];
    off.limits.max_open_orders = 99;
    expect(sub.limits.max_open_orders).toBe(3);
    expect(accounts.listDetails().find((d) => d.name === 'Off')?.limits.max_open_orders).toBe(3);
    realDb.prepare("UPDATE accounts SET limits_json = '{\"max_open_orders\": -1}' WHERE name = 'Off'").run();
    realDb.prepare("UPDATE accounts SET limits_json = 'not json' WHERE name = 'sub'").run();
    const list = accounts.listDetails();
    expect(list.find((d) => d.name === 'Off')?.limits).toEqual({});
    expect(list.find((d) => d.name === 'sub')?.limits).toEqual({});
    for (const d of list) expect(d).toEqual(accounts.get(accountRef(d)));
  });
});

describe('BalancesService.latestForAll', () => {
  it('answers what get(ref, false) answers for every account with stored balances, without calling the exchange', async () => {
    await seedMix();
    const calls = adapter.calls;
    const latest = balances.latestForAll();
    expect([...latest.keys()].sort()).toEqual(['bitstamp:1001', 'paper:pa']);
    for (const [ref, result] of latest) expect(result).toEqual(await balances.get(ref, false));
    expect(latest.get('paper:pa')?.balances.map((b) => b.currency)).toEqual(['BTC', 'USD']);
    expect(adapter.calls).toBe(calls);
  });

  it('is fresh on every call and runs one statement whatever the number of accounts', async () => {
    await seedMix();
    executed.length = 0;
    balances.latestForAll();
    expect(executed).toHaveLength(1);
    adapter.balances = [{ currency: 'EUR', total: '5', available: '5', reserved: '0' }];
    clock.advance(1000);
    for (let i = 0; i < 30; i++) {
      accounts.create({ name: `p-${i}`, exchange: 'paper', exchange_account_id: `p${i}` }, 'test');
      await balances.snapshot(`p-${i}`);
    }
    await balances.snapshot('paper-a');
    executed.length = 0;
    const latest = balances.latestForAll();
    expect(executed).toHaveLength(1);
    expect(latest.size).toBe(32);
    expect(latest.get('paper:pa')).toEqual({ account: 'paper-a', as_of: '2026-01-02T10:05:01.000Z', balances: [{ currency: 'EUR', total: '5', available: '5', reserved: '0' }] });
  });
});
