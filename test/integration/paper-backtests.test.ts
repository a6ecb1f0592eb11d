/**
 * Backtests through the whole service (composition root): the backtest account, ordinary orders
 * placed through OrdersService, fills flowing back through the order runtime.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main.ts';
import { loadConfig } from '../../src/config.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { parseInlineMarketData } from '../../sim/market-data/parse.ts';
import { runScript, type ScriptStep } from '../../sim/orders-script.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';

const trades = [
  { timestamp: '2026-01-01T00:00:00Z', price: '60000', amount: '0.5', side: 'buy' },
  { timestamp: '2026-01-01T00:01:00Z', price: '59900', amount: '0.2', side: 'sell' },
  { timestamp: '2026-01-01T00:02:00Z', price: '59800', amount: '1', side: 'sell' },
  { timestamp: '2026-01-01T00:03:00Z', price: '60100', amount: '0.3', side: 'buy' },
  { timestamp: '2026-01-01T00:04:00Z', price: '60300', amount: '1', side: 'buy' },
];
const limitBuy = { market: 'btcusd', side: 'buy' as const, type: 'limit' as const, amount: '0.1', price: '59850', client_order_id: 'dip' };
const marketBuy = { market: 'btcusd', side: 'buy' as const, type: 'market' as const, amount: '0.01', client_order_id: 'now' };

let dir: string;
let app: App;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paper-bt-'));
  app = await createApp(loadConfig({}, { 'data-dir': dir, offline: true, 'log-level': 'silent' }), {
    priceSource: new FixedPriceSource({ btcusd: '60000' }), // the service values market orders with it (should be the backtest's own price)
  });
  await app.start();
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rejects = rejectedDomainError;

async function scenario() {
  const { backtests, orders } = app.services;
  const created = await backtests.create({ data: { trades }, initial_balances: { USD: '10000', BTC: '0' }, seed: 3, name: 'known answers' }, 'test');
  const id = created.backtest_id;
  await orders.place(created.account, limitBuy, 'test');
  const a1 = await backtests.advance({ backtest_id: id, steps: 1 }, 'test');
  const a2 = await backtests.advance({ backtest_id: id, until: '2026-01-01T00:01:30Z' }, 'test');
  await orders.place(created.account, marketBuy, 'test');
  const a3 = await backtests.advance({ backtest_id: id, until: '2026-01-01T00:01:30Z' }, 'test'); // the market order reaches the simulator
  const a4 = await backtests.advance({ backtest_id: id }, 'test');
  const report = await backtests.report({ backtest_id: id });
  return { created, a1, a2, a3, a4, report };
}

describe('backtests through the service', () => {
  it('create → place → advance → report gives the known answers', async () => {
    const { created, a1, a2, a3, a4, report } = await scenario();
    expect(created).toMatchObject({ clock: '2026-01-01T00:00:00.000Z', markets: ['btcusd'] });
    expect(created.account).toBe(`backtest-${created.backtest_id}`);
    expect(app.services.accounts.get(created.account)).toMatchObject({ exchange: 'paper', exchange_account_id: `bt-${created.backtest_id}`, mode: 'backtest' });
    expect(a1).toEqual({ clock: '2026-01-01T00:00:00.000Z', events_processed: 1, done: false, fills: [] });
    expect(a2).toMatchObject({ clock: '2026-01-01T00:01:30.000Z', events_processed: 1, done: false, fills: [] });
    expect(a3.fills).toEqual([]); // the market order arrived after the 00:01:00 print: it waits for the next one

    expect(a4).toMatchObject({ clock: '2026-01-01T00:04:00.000Z', events_processed: 3, done: true });
    expect(a4.fills.map((f) => [f.fill_id, f.amount, f.price, f.fee, f.liquidity, f.at])).toEqual([
      ['sim-1', '0.01', '59830', '2.4', 'taker', '2026-01-01T00:02:00.000Z'], // the 59800 print + 5 bps, up to the tick
      ['sim-2', '0.1', '59850', '17.96', 'maker', '2026-01-01T00:02:00.000Z'], // a sell print below the resting buy
    ]);
    const order = app.services.orders.get(created.account, { client_order_id: 'dip' });
    expect(a4.fills[1]!.order_id).toBe(order.order_id); // the service's public id
    expect(order).toMatchObject({ status: 'filled', filled_amount: '0.1' });
    expect(report.balances).toEqual([
      { currency: 'BTC', total: '0.11', available: '0.11', reserved: '0' },
      { currency: 'USD', total: '3396.34', available: '3396.34', reserved: '0' }, // 10000 - 598.3 - 2.4 - 5985 - 17.96
    ]);
    expect(report.fees_paid).toEqual({ USD: '20.36' });
    expect(report.pnl).toEqual({ quote_currency: 'USD', value: '29.34' }); // 3396.34 + 0.11 * 60300 - 10000
    expect(report.equity_curve.at(-1)).toEqual({ at: '2026-01-01T00:04:00.000Z', equity: '10029.34' });
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
    const row = app.db.prepare('SELECT config_json FROM backtests WHERE backtest_id = ?').get(created.backtest_id) as { config_json: string };
    expect(JSON.parse(row.config_json)).toMatchObject({ name: 'known answers', seed: 3, data: { inline: 'trades', rows: 5 } });
  });

  it('identical inputs give identical digests, equal to the simulator alone given the same commands', async () => {
    const one = await scenario();
    const two = await scenario();
    expect(two.report.digest).toBe(one.report.digest);
    expect(two.report.balances).toEqual(one.report.balances);
    const steps: ScriptStep[] = [
      { line: 1, at: Date.parse('2026-01-01T00:00:00Z'), place: limitBuy },
      { line: 2, at: Date.parse('2026-01-01T00:01:30Z'), place: marketBuy },
    ];
    const alone = runScript(new BacktestSession(parseInlineMarketData('trades', trades, 'btcusd'), { getMarket: bundledMarket, seed: 3 }, { USD: '10000', BTC: '0' }), steps);
    expect(alone.report.digest).toBe(one.report.digest);
  });

  it('participation bounds taker fills to that share of each print', async () => {
    const { backtests, orders } = app.services;
    const created = await backtests.create({ data: { trades }, initial_balances: { USD: '10000' }, participation: 0.004 }, 'test');
    await backtests.advance({ backtest_id: created.backtest_id, until: '2026-01-01T00:01:30Z' }, 'test');
    await orders.place(created.account, marketBuy, 'test');
    const a = await backtests.advance({ backtest_id: created.backtest_id, until: '2026-01-01T00:03:00Z' }, 'test');
    // 0.004 × 1 at 00:02 (59800 + 5 bps), then 0.004 × 0.3 = 0.0012 at 00:03 (60100 + 5 bps)
    expect(a.fills.map((f) => [f.amount, f.price, f.at])).toEqual([
      ['0.004', '59830', '2026-01-01T00:02:00.000Z'],
      ['0.0012', '60131', '2026-01-01T00:03:00.000Z'],
    ]);
    expect((await rejects(backtests.create({ data: { trades }, initial_balances: {}, participation: 0 }, 't'))).message).toMatch(/^participation: /);
  });

  it('queue at_touch: a resting bid fills only from what prints at its price beyond the volume ahead', async () => {
    const { backtests, orders } = app.services;
    const tape = [
      { timestamp: '2026-01-01T00:00:00Z', price: '60000', amount: '0.5', side: 'buy' },
      { timestamp: '2026-01-01T00:01:00Z', price: '59850', amount: '0.2', side: 'sell' },
      { timestamp: '2026-01-01T00:01:20Z', price: '59900', amount: '0.1', side: 'buy' },
      { timestamp: '2026-01-01T00:02:00Z', price: '59850', amount: '0.25', side: 'sell' },
      { timestamp: '2026-01-01T00:03:00Z', price: '59850', amount: '0.1', side: 'sell' },
    ];
    const created = await backtests.create({ data: { trades: tape }, initial_balances: { USD: '10000' }, queue: 'at_touch' }, 'test');
    await backtests.advance({ backtest_id: created.backtest_id, until: '2026-01-01T00:01:30Z' }, 'test');
    await orders.place(created.account, limitBuy, 'test'); // 0.2 printed at 59850 in the last 60 s: ahead of it
    const a = await backtests.advance({ backtest_id: created.backtest_id }, 'test');
    expect(a.fills.map((f) => [f.amount, f.price, f.at])).toEqual([
      ['0.05', '59850', '2026-01-01T00:02:00.000Z'],
      ['0.05', '59850', '2026-01-01T00:03:00.000Z'],
    ]);
    expect((await rejects(backtests.create({ data: { trades }, initial_balances: {}, queue: 'fifo' }, 't'))).message).toMatch(/^queue: /);
    expect((await rejects(backtests.create({ data: { trades }, initial_balances: {}, queue_touch_fraction: -1 }, 't'))).message).toMatch(/^queue_touch_fraction: /);
  });

  it('validates every input with INVALID_ARGUMENT naming the field', async () => {
    const { backtests } = app.services;
    const bad = async (p: Promise<unknown>) => (await rejects(p)).message;
    expect(await bad(backtests.create({ data: { trades }, initial_balances: { USD: '1' }, colour: 'red' }, 't'))).toMatch(/colour/);
    expect(await bad(backtests.create({ data: { trades }, initial_balances: { USD: '-1' } }, 't'))).toMatch(/^initial_balances\.USD: /);
    expect(await bad(backtests.create({ data: { trades }, initial_balances: {}, fees: { maker: '0.5', taker: '0.001' } }, 't'))).toMatch(/^fees\.maker: must be a fraction below 0\.1/);
    expect(await bad(backtests.create({ data: { bars: [] }, initial_balances: {} }, 't'))).toMatch(/^data: must be a file path or an object/);
    expect(await bad(backtests.create({ data: { trades: [trades[0], { ...trades[1], side: 'up' }] }, initial_balances: {} }, 't'))).toBe(
      'data.trades[1]: field "side": expected "buy" or "sell" (the taker\'s side) (got "up")',
    );
    expect((await rejects(backtests.create({ data: { trades }, initial_balances: {}, market: 'nosuch' }, 't'))).code).toBe('MARKET_NOT_FOUND');
    const { backtest_id } = await backtests.create({ data: { trades }, initial_balances: { USD: '100' } }, 't');
    await backtests.advance({ backtest_id, until: '2026-01-01T00:02:00Z' }, 't');
    expect(await bad(backtests.advance({ backtest_id, until: '2026-01-01T00:01:00Z' }, 't'))).toMatch(/^until: 2026-01-01T00:01:00Z is before the backtest clock/);
    expect(await bad(backtests.advance({ backtest_id, until: '2026-01-01T00:03:00Z', steps: 1 }, 't'))).toMatch(/^steps: give until or steps, not both/);
    expect(await bad(backtests.advance({ backtest_id: 'nope' }, 't'))).toMatch(/^backtest_id: no backtest nope/);
    expect(await bad(backtests.report({ backtest_id, extra: 1 }))).toMatch(/extra/);
  });

  it('reads a data file; the market comes from the file name', async () => {
    const file = path.join(dir, 'ethusd-candles.csv');
    fs.writeFileSync(file, 'timestamp,open,high,low,close,volume\n2026-01-02T00:00:00Z,3000,3010,2990,3005,4\n2026-01-02T00:01:00Z,3005,3020,3000,3015,2\n');
    const c = await app.services.backtests.create({ data: file, initial_balances: { USD: '1000', ETH: '1' } }, 't');
    expect(c).toMatchObject({ clock: '2026-01-02T00:00:00.000Z', markets: ['ethusd'] });
    const a = await app.services.backtests.advance({ backtest_id: c.backtest_id }, 't');
    expect(a).toMatchObject({ events_processed: 8, done: true });
    const r = await app.services.backtests.report({ backtest_id: c.backtest_id });
    expect(r.pnl).toEqual({ quote_currency: 'USD', value: '15' }); // 1 ETH from 3000 (first print) to 3015
  });
});
