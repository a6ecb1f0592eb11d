/** BalancesServiceImpl and FeesServiceImpl on a real SQLite file with a scripted adapter. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountRepository } from '../../src/accounts/repository.ts';
import { openDb, closeDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock, isoAt } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { AccountRecord } from '../../src/domain/account.ts';
import type { BalanceReport, ExchangeAdapter, FeeReport } from '../../src/exchanges/adapter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BalancesServiceImpl } from '../../src/services/balances.ts';
import { FeesServiceImpl } from '../../src/services/fees.ts';

class ScriptedAdapter {
  readonly exchange = 'paper';
  balanceCalls = 0;
  feeCalls = 0;
  balances: BalanceReport[] = [
    { currency: 'USD', total: '1000', available: '900', reserved: '100' },
    { currency: 'BTC', total: '1', available: '1', reserved: '0' },
  ];
  fees: FeeReport[] = [
    { market: 'btcusd', maker: '0.003', taker: '0.004' },
    { market: 'ethusd', maker: '0.002', taker: '0.003' },
  ];
  failFees: Error | undefined;
  async getBalances(): Promise<BalanceReport[]> {
    this.balanceCalls++;
    return this.balances.map((b) => ({ ...b }));
  }
  async getFees(): Promise<FeeReport[]> {
    this.feeCalls++;
    if (this.failFees) throw this.failFees;
    return this.fees.map((f) => ({ ...f }));
  }
}

let dir: string;
let db: Db;
let clock: ManualClock;
let adapter: ScriptedAdapter;
let repo: AccountRepository;
let balances: BalancesServiceImpl;
let fees: FeesServiceImpl;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bal-'));
  db = openDb(path.join(dir, 'db.sqlite'));
  migrate(db);
  clock = new ManualClock(Date.UTC(2026, 0, 10, 12));
  repo = new AccountRepository(db);
  repo.insert({ name: 'paper', exchange: 'paper', exchange_account_id: 'default', mode: 'paper', enabled: true, limits: {} }, isoAt(clock.now()));
  repo.insert({ name: 'off', exchange: 'paper', exchange_account_id: 'off', mode: 'paper', enabled: false, limits: {} }, isoAt(clock.now()));
  adapter = new ScriptedAdapter();
  const deps = { db, clock, directory: repo, adapterFor: (_r: AccountRecord) => adapter as unknown as ExchangeAdapter, logger: silentLogger() };
  balances = new BalancesServiceImpl(deps);
  fees = new FeesServiceImpl(deps);
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

const count = (table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('BalancesServiceImpl', () => {
  it('fetches when nothing is cached, then serves the cache until refresh', async () => {
    const first = await balances.get('paper:default', false);
    expect(first).toEqual({
      account: 'paper',
      as_of: '2026-01-10T12:00:00.000Z',
      balances: [
        { currency: 'BTC', total: '1', available: '1', reserved: '0' },
        { currency: 'USD', total: '1000', available: '900', reserved: '100' },
      ],
    });
    expect(adapter.balanceCalls).toBe(1);
    clock.advance(60_000);
    adapter.balances[1]!.total = '2';
    expect((await balances.get('paper', false)).as_of).toBe('2026-01-10T12:00:00.000Z');
    expect(adapter.balanceCalls).toBe(1);
    const fresh = await balances.get('paper', true);
    expect(fresh.as_of).toBe('2026-01-10T12:01:00.000Z');
    expect(fresh.balances[0]).toMatchObject({ currency: 'BTC', total: '2' });
    expect(count('balance_snapshots')).toBe(2);
    expect(count('balances')).toBe(2);
  });

  it('history filters by currency/since/until, keeps the newest `limit`, and returns them oldest first', async () => {
    for (let i = 0; i < 5; i++) {
      adapter.balances[0]!.total = String(1000 + i);
      await balances.snapshot('paper');
      clock.advance(60_000);
    }
    const all = balances.history('paper', {});
    expect(all.snapshots.map((s) => s.at)).toEqual([0, 1, 2, 3, 4].map((i) => isoAt(Date.UTC(2026, 0, 10, 12, i))));
    const last2 = balances.history('paper', { limit: 2, currency: 'usd' });
    expect(last2.snapshots.map((s) => s.balances)).toEqual([
      [{ currency: 'USD', total: '1003', available: '900', reserved: '100' }],
      [{ currency: 'USD', total: '1004', available: '900', reserved: '100' }],
    ]);
    const window = balances.history('paper', { since: '2026-01-10T14:01:00+02:00', until: '2026-01-10T12:03:00Z' });
    expect(window.snapshots.map((s) => s.at)).toEqual([isoAt(Date.UTC(2026, 0, 10, 12, 1)), isoAt(Date.UTC(2026, 0, 10, 12, 2)), isoAt(Date.UTC(2026, 0, 10, 12, 3))]);
  });

  it('validates the history filter and resolves accounts', async () => {
    expect(() => balances.history('paper', { limit: 1001 })).toThrow(DomainError);
    expect(() => balances.history('paper', { since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })).toThrow(/is after until/);
    expect(() => balances.history('nobody', {})).toThrow(/./);
    await expect(balances.get('off', true)).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
    expect(adapter.balanceCalls).toBe(0);
  });
});

describe('FeesServiceImpl', () => {
  it('caches for 24 h, then refreshes; filters by market', async () => {
    expect((await fees.get('paper')).fees).toHaveLength(2);
    expect((await fees.get('paper', 'BTCUSD')).fees).toEqual([{ market: 'btcusd', maker: '0.003', taker: '0.004' }]);
    expect(adapter.feeCalls).toBe(1);
    clock.advance(24 * 3600_000 - 1);
    adapter.fees[0]!.maker = '0.001';
    expect((await fees.get('paper', 'btcusd')).fees[0]!.maker).toBe('0.003');
    clock.advance(1);
    expect((await fees.get('paper', 'btcusd')).fees[0]!.maker).toBe('0.001');
    expect(adapter.feeCalls).toBe(2);
  });

  it('a damaged as_of makes the cached schedule stale (fetched again), not fresh for ever', async () => {
    await fees.get('paper');
    db.prepare("UPDATE fees SET as_of = 'not a date' WHERE market = 'btcusd'").run();
    adapter.fees[0]!.maker = '0.001';
    expect((await fees.get('paper', 'btcusd')).fees[0]!.maker).toBe('0.001');
    expect(adapter.feeCalls).toBe(2);
  });

  it('MARKET_NOT_FOUND when the account has no fee for the market', async () => {
    await expect(fees.get('paper', 'dogeusd')).rejects.toMatchObject({ code: 'MARKET_NOT_FOUND', message: expect.stringMatching(/no fee schedule for market dogeusd.*btcusd/) });
  });

  it('serves a stale schedule when the refresh fails, fails when nothing is cached', async () => {
    adapter.failFees = new DomainError('EXCHANGE_UNAVAILABLE', 'down');
    await expect(fees.get('paper')).rejects.toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
    adapter.failFees = undefined;
    await fees.get('paper');
    clock.advance(48 * 3600_000);
    adapter.failFees = new DomainError('EXCHANGE_UNAVAILABLE', 'down');
    expect((await fees.get('paper')).fees).toHaveLength(2);
  });

  it('refresh() fetches regardless of age', async () => {
    await fees.get('paper');
    await fees.refresh('paper');
    expect(adapter.feeCalls).toBe(2);
  });
});
