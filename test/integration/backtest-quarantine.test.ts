/**
 * The fill sanity check and backtests: the simulator fills at most at a limit order's limit (taker
 * prices are capped, sim/taker-price.ts) and on the order's own market and side, so a backtest's
 * fills all pass the check and none is kept aside. (An ended backtest has nothing to check: its
 * ClosedVenueAdapter holds no orders and no fills.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { createApp, type App } from '../../src/main.ts';

const trades = [
  { timestamp: '2026-01-01T00:00:00Z', price: '60000', amount: '0.5', side: 'buy' },
  { timestamp: '2026-01-01T00:01:00Z', price: '59900', amount: '0.2', side: 'sell' },
  { timestamp: '2026-01-01T00:02:00Z', price: '59800', amount: '1', side: 'sell' },
  { timestamp: '2026-01-01T00:02:30Z', price: '59800', amount: '1', side: 'sell' },
  { timestamp: '2026-01-01T00:03:00Z', price: '60100', amount: '0.3', side: 'buy' },
  { timestamp: '2026-01-01T00:04:00Z', price: '60300', amount: '1', side: 'buy' },
];

let dir: string;
let app: App;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-quarantine-'));
  app = await createApp(loadConfig({}, { 'data-dir': dir, offline: true, 'log-level': 'silent' }), { priceSource: new FixedPriceSource({ btcusd: '60000' }) });
  await app.start();
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('backtest fills and the quarantine', () => {
  it('limit (maker and taker, near the limit) and market fills of a backtest are all applied, none kept aside', async () => {
    const { backtests, orders } = app.services;
    const created = await backtests.create({ data: { trades }, initial_balances: { USD: '100000', BTC: '1' }, seed: 7, name: 'sanity' }, 'test');
    await orders.place(created.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '59850', client_order_id: 'maker-buy' }, 'test');
    await orders.place(created.account, { market: 'btcusd', side: 'sell', type: 'limit', amount: '0.05', price: '60099', client_order_id: 'maker-sell' }, 'test');
    await orders.place(created.account, { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01', client_order_id: 'mkt' }, 'test');
    const first = await backtests.advance({ backtest_id: created.backtest_id, until: '2026-01-01T00:02:00Z' }, 'test');
    // Crosses the last price: a taker on the next print, whose slipped price (59800 + 5 bps) is past its limit, so capped at it.
    await orders.place(created.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.05', price: '59810', client_order_id: 'taker-buy' }, 'test');
    const rest = await backtests.advance({ backtest_id: created.backtest_id }, 'test');
    const done = { done: rest.done, fills: [...first.fills, ...rest.fills] };
    expect(done.done).toBe(true);
    expect(done.fills.length).toBeGreaterThanOrEqual(4);
    const taker = orders.get(created.account, { client_order_id: 'taker-buy' });
    expect(done.fills.filter((f) => f.order_id === taker.order_id).map((f) => [f.price, f.liquidity])).toEqual([['59810', 'taker']]);
    for (const f of done.fills) {
      const o = orders.get(created.account, { order_id: f.order_id });
      if (o.type === 'limit' && o.side === 'buy') expect(Number(f.price)).toBeLessThanOrEqual(Number(o.price));
      if (o.type === 'limit' && o.side === 'sell') expect(Number(f.price)).toBeGreaterThanOrEqual(Number(o.price));
    }
    expect(app.runtime.quarantinedFills()).toEqual([]);
    const counted = await app.metrics.fillsQuarantined.get();
    expect(counted.values.reduce((a, v) => a + v.value, 0)).toBe(0);
    expect(app.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'fill.quarantined'").get()).toEqual({ n: 0 });
    expect(app.services.status.quarantinedFills()).toEqual([]);
  }, 30_000);
});
