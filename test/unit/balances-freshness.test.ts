/** BalancesServiceImpl freshness on a real SQLite file: order changes invalidate a live cache, refresh is throttled, history only on change. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountRepository } from '../../src/accounts/repository.ts';
import { openDb, closeDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock, isoAt } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { Account, AccountRecord } from '../../src/domain/account.ts';
import type { BalanceReport, ExchangeAdapter } from '../../src/exchanges/adapter.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BalancesServiceImpl, REFRESH_THROTTLE_MS } from '../../src/services/balances.ts';

class ScriptedAdapter {
  readonly exchange = 'bitstamp';
  calls = 0;
  fail: Error | undefined;
  gate: Promise<void> | undefined;
  balances: BalanceReport[] = [{ currency: 'USD', total: '1000', available: '1000', reserved: '0' }];
  async getBalances(): Promise<BalanceReport[]> {
    this.calls++;
    const snapshot = this.balances.map((b) => ({ ...b }));
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    return snapshot;
  }
}

let dir: string;
let db: Db;
let clock: ManualClock;
let live: ScriptedAdapter;
let local: ScriptedAdapter;
let balances: BalancesServiceImpl;
let listeners: Array<(a: Account) => void>;
let liveAccount: Account;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-balfresh-'));
  db = openDb(path.join(dir, 'db.sqlite'));
  migrate(db);
  clock = new ManualClock(Date.UTC(2026, 0, 10, 12));
  const repo = new AccountRepository(db);
  repo.insert({ name: 'live', exchange: 'bitstamp', exchange_account_id: '1', mode: 'live', enabled: true, limits: {} }, isoAt(clock.now()));
  repo.insert({ name: 'pap', exchange: 'paper', exchange_account_id: 'p', mode: 'paper', enabled: true, limits: {} }, isoAt(clock.now()));
  liveAccount = repo.resolve('live').account;
  live = new ScriptedAdapter();
  local = new ScriptedAdapter();
  listeners = [];
  balances = new BalancesServiceImpl({
    db,
    clock,
    directory: repo,
    adapterFor: (r: AccountRecord) => (r.account.exchange === 'paper' ? local : live) as unknown as ExchangeAdapter,
    logger: silentLogger(),
    localVenue: (r) => r.account.exchange === 'paper',
    onOrderChange: (l) => {
      listeners.push(l);
      return () => void listeners.splice(listeners.indexOf(l), 1);
    },
  });
});
afterEach(() => {
  balances.close();
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

const historyRows = (account: string): number => balances.history(account, { limit: 1000 }).snapshots.length;
const orderChanged = (a: Account): void => listeners.forEach((l) => l(a));

describe('live account', () => {
  it('serves the cache until one of its orders changes, then asks the exchange once', async () => {
    await balances.get('live', false);
    live.balances[0]!.reserved = '100';
    live.balances[0]!.available = '900';
    clock.advance(1000);
    expect((await balances.get('live', false)).balances[0]!.reserved).toBe('0');
    expect(live.calls).toBe(1);
    orderChanged(liveAccount);
    const fresh = await balances.get('live', false);
    expect(fresh).toMatchObject({ as_of: isoAt(clock.now()), balances: [{ currency: 'USD', reserved: '100' }] });
    await balances.get('live', false);
    expect(live.calls).toBe(2);
    expect(historyRows('live')).toBe(2); // first fetch, then the change
  });

  it('throttles refresh per account and records history only when the balances changed', async () => {
    await balances.get('live', true);
    clock.advance(REFRESH_THROTTLE_MS - 1);
    const served = await balances.get('live', true);
    expect(live.calls).toBe(1);
    expect(served.as_of).toBe(isoAt(Date.UTC(2026, 0, 10, 12))); // the answer it is, not now
    clock.advance(1);
    const again = await balances.get('live', true);
    expect(live.calls).toBe(2);
    expect(again.as_of).toBe(isoAt(clock.now()));
    expect(historyRows('live')).toBe(1); // unchanged: no second row
    live.balances[0]!.total = '1001';
    clock.advance(REFRESH_THROTTLE_MS);
    await balances.get('live', true);
    expect(historyRows('live')).toBe(2);
  });

  it('an order change beats the throttle; concurrent callers share one exchange call', async () => {
    await balances.get('live', true);
    orderChanged(liveAccount);
    let open!: () => void;
    live.gate = new Promise((r) => (open = r));
    const both = Promise.all([balances.get('live', true), balances.get('live', false)]);
    await new Promise((r) => setImmediate(r));
    // A change while the call is in flight: that answer may predate it, so a later caller asks again.
    orderChanged(liveAccount);
    const third = balances.get('live', false);
    open();
    live.gate = undefined;
    await both;
    await third;
    expect(live.calls).toBe(3);
  });

  it('serves the stale cache when the exchange fails, but refresh reports the failure', async () => {
    await balances.get('live', false);
    orderChanged(liveAccount);
    live.fail = new DomainError('EXCHANGE_UNAVAILABLE', 'down');
    clock.advance(60_000);
    expect((await balances.get('live', false)).as_of).toBe(isoAt(Date.UTC(2026, 0, 10, 12)));
    await expect(balances.get('live', true)).rejects.toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
  });
});

describe('local venue', () => {
  it('is read on every get; only refresh writes, and only changes make history', async () => {
    await balances.get('pap', false);
    local.balances[0]!.reserved = '5';
    expect((await balances.get('pap', false)).balances[0]!.reserved).toBe('5');
    expect(local.calls).toBe(2);
    expect(historyRows('pap')).toBe(0);
    await balances.get('pap', true);
    await balances.get('pap', true);
    expect(historyRows('pap')).toBe(1);
  });
});
