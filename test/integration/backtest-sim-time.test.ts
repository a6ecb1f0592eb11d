/**
 * Everything a backtest account shows is on the backtest's simulated clock, never the wall clock:
 * order created_at / updated_at (ack, fill, cancel, expiry), fills, get_balances.as_of, the balance
 * history and the audit rows of its orders. The data is in January 2026, the wall clock is not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main.ts';
import { loadConfig } from '../../src/config.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { ManualClock } from '../../src/domain/clock.ts';

const WALL = Date.UTC(2030, 5, 1, 12, 0, 0);
const trades = [
  { timestamp: '2026-01-01T00:00:00Z', price: '60000', amount: '0.5', side: 'buy' },
  { timestamp: '2026-01-01T00:01:00Z', price: '59900', amount: '0.2', side: 'sell' },
  { timestamp: '2026-01-01T00:02:00Z', price: '59800', amount: '1', side: 'sell' },
  { timestamp: '2026-01-01T00:03:00Z', price: '60100', amount: '0.3', side: 'buy' },
];

let dir: string;
let app: App;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-time-'));
  app = await createApp(loadConfig({}, { 'data-dir': dir, offline: true, 'log-level': 'silent' }), {
    clock: new ManualClock(WALL),
    priceSource: new FixedPriceSource({ btcusd: '60000' }),
  });
  await app.start();
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a backtest account lives on simulated time', () => {
  it('orders, fills, balances, balance history and audit rows carry the backtest clock', async () => {
    const { backtests, orders, balances, audit } = app.services;
    const c = await backtests.create({ data: { trades }, initial_balances: { USD: '20000', BTC: '0' } }, 'test');
    const id = c.backtest_id;
    const dip = await orders.place(c.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '59850', client_order_id: 'dip' }, 'test');
    const gtd = await orders.place(
      c.account,
      { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '50000', time_in_force: 'gtd', expire_time: '2026-01-01T00:02:30Z', client_order_id: 'gtd' },
      'test',
    );
    const gone = await orders.place(c.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '50000', client_order_id: 'gone' }, 'test');
    const big = await orders.place(c.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '59000', client_order_id: 'big' }, 'test');
    expect([big.status, big.updated_at]).toEqual(['rejected', '2026-01-01T00:00:00.000Z']); // the simulator refused it: not enough USD
    for (const o of [dip, gtd, gone]) expect([o.status, o.created_at, o.updated_at]).toEqual(['open', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);

    await backtests.advance({ backtest_id: id, until: '2026-01-01T00:01:30Z' }, 'test');
    const cancelled = await orders.cancel(c.account, { client_order_id: 'gone' }, 'test');
    expect([cancelled.status, cancelled.updated_at]).toEqual(['cancelled', '2026-01-01T00:01:30.000Z']);
    const mid = await balances.get(c.account, true);
    expect(mid.as_of).toBe('2026-01-01T00:01:30.000Z');

    await backtests.advance({ backtest_id: id }, 'test');
    const filled = orders.get(c.account, { client_order_id: 'dip' });
    expect([filled.status, filled.created_at, filled.updated_at]).toEqual(['filled', '2026-01-01T00:00:00.000Z', '2026-01-01T00:02:00.000Z']);
    const expired = orders.get(c.account, { client_order_id: 'gtd' });
    expect([expired.status, expired.updated_at]).toEqual(['expired', '2026-01-01T00:02:30.000Z']);
    expect(orders.listFills(c.account, {}).map((f) => f.at)).toEqual(['2026-01-01T00:02:00.000Z']);
    const end = await balances.get(c.account, true);
    expect(end.as_of).toBe('2026-01-01T00:03:00.000Z');
    const history = balances.history(c.account, {}).snapshots.map((s) => s.at);
    expect(history).toContain('2026-01-01T00:01:30.000Z');
    expect(history).toContain('2026-01-01T00:03:00.000Z');
    expect(history.every((at) => at.startsWith('2026-01-01T'))).toBe(true);

    // Audit rows of its orders: every one at a simulated time (the chain still verifies).
    const ids = new Set([dip.order_id, gtd.order_id, gone.order_id, big.order_id]);
    const rows = audit.page({ limit: 500 }).filter((r) => ids.has(r.subject));
    expect(rows.length).toBeGreaterThanOrEqual(9);
    expect(rows.filter((r) => !r.at.startsWith('2026-01-01T'))).toEqual([]);
    const dipRows = rows.filter((r) => r.subject === dip.order_id).reverse();
    expect(dipRows[0]!.at).toBe('2026-01-01T00:00:00.000Z');
    expect(dipRows.at(-1)!.at).toBe('2026-01-01T00:02:00.000Z');
    expect(audit.verify().ok).toBe(true);
  });

  it('with latency a cancel stays cancelling until it reaches the simulator; a fill meanwhile is kept', async () => {
    const { backtests, orders } = app.services;
    const longer = [...trades, { timestamp: '2026-01-01T00:04:00Z', price: '60300', amount: '1', side: 'buy' }];
    const c = await backtests.create({ data: { trades: longer }, initial_balances: { USD: '40000' }, latency_ms: 40_000 }, 'test');
    const o = await orders.place(c.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.5', price: '59950', client_order_id: 'slow' }, 'test');
    await backtests.advance({ backtest_id: c.backtest_id, until: '2026-01-01T00:01:30Z' }, 'test'); // arrived at 00:00:40, rests
    const cancelling = await orders.cancel(c.account, { client_order_id: 'slow' }, 'test');
    expect(cancelling.status).toBe('cancelling');
    // The 00:02:00 sell print (1 BTC at 59800) fills it before the cancel lands at 00:02:10.
    await backtests.advance({ backtest_id: c.backtest_id, until: '2026-01-01T00:02:30Z' }, 'test');
    const after = orders.get(c.account, { order_id: o.order_id });
    expect([after.status, after.filled_amount, after.updated_at]).toEqual(['filled', '0.5', '2026-01-01T00:02:00.000Z']);
    // A resting one: cancelled when its cancel lands, not filled by a later print.
    const p = await orders.place(c.account, { market: 'btcusd', side: 'sell', type: 'limit', amount: '0.4', price: '60050', client_order_id: 'part' }, 'test');
    await backtests.advance({ backtest_id: c.backtest_id, until: '2026-01-01T00:02:59Z' }, 'test'); // arrives at 00:03:10: after the 00:03 print
    expect((await orders.cancel(c.account, { client_order_id: 'part' }, 'test')).status).toBe('cancelling');
    // It lands at 00:03:39, before the 00:04 print at 60300 that would have filled it.
    await backtests.advance({ backtest_id: c.backtest_id }, 'test');
    const part = orders.get(c.account, { order_id: p.order_id });
    expect([part.status, part.filled_amount, part.updated_at]).toEqual(['cancelled', '0', '2026-01-01T00:03:39.000Z']);
  });
});
