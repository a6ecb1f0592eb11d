/**
 * The paper exchange persists per order (paper-store.ts): the state row stays small whatever the
 * number of open orders, open orders are rows that follow their fills and closing, a state saved
 * by the older single-JSON layout is read and rewritten, and open-order rows left by a removed
 * account whose key is reused do not come back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock, seededRandom } from '../../src/domain/clock.ts';
import { PaperExchangeAdapter, type PaperAdapterDeps } from '../../src/exchanges/paper.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { MatchingEngine } from '../../sim/engine.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';

const T0 = Date.UTC(2026, 0, 5, 12);
let dir: string;
let db: Db;
let clock: ManualClock;
let prices: FixedPriceSource;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paper-rows-'));
  db = openDb(path.join(dir, 'x.sqlite'));
  migrate(db);
  clock = new ManualClock(T0);
  prices = new FixedPriceSource({ btcusd: '60000' });
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

const REF = 'paper:p1';
function adapter(over: Partial<PaperAdapterDeps> = {}): PaperExchangeAdapter {
  return new PaperExchangeAdapter({ db, accountRef: REF, clock, random: seededRandom(1), priceSource: prices, getMarket: bundledMarket, pollIntervalMs: 0, ...over });
}
const cmd = (i: number, p: Partial<PlaceOrderCommand> = {}): PlaceOrderCommand => ({
  clientOrderId: `c${i}`, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: String(50000 + (i % 7) * 100), timeInForce: 'gtc', postOnly: false, ...p,
});
const stateJson = (): string => (db.prepare('SELECT state_json FROM paper_state WHERE account_key = ?').get(REF) as { state_json: string }).state_json;
const rows = (state: string): number => (db.prepare('SELECT COUNT(*) AS n FROM paper_orders WHERE account_key = ? AND state = ?').get(REF, state) as { n: number }).n;

describe('paper exchange persistence per order', () => {
  it('keeps the state row small, open orders as rows that follow fills and cancels, and restores them', async () => {
    const a = adapter();
    a.fund({ USD: '100000' });
    await a.placeOrder(cmd(0));
    const small = stateJson().length;
    for (let i = 1; i < 60; i++) await a.placeOrder(cmd(i));
    expect(stateJson().length).toBeLessThan(small + 200); // does not grow with open orders
    expect(JSON.parse(stateJson()).orders).toEqual([]);
    expect(rows('open')).toBe(60);
    await a.cancelOrder({ clientOrderId: 'c5', market: 'btcusd' });
    prices.set('btcusd', '50550'); // crosses the bids at 50600 (i % 7 === 6)
    await a.tick();
    const open = await a.listOpenOrders();
    const balances = await a.getBalances();
    expect(rows('open')).toBe(open.length);
    expect(rows('cancelled')).toBe(1);
    expect(rows('filled')).toBe(60 - 1 - open.length);
    const b = adapter({ random: seededRandom(5) });
    expect(await b.listOpenOrders()).toEqual(open);
    expect(await b.getBalances()).toEqual(balances);
    expect(await b.queryOrder({ clientOrderId: 'c6' })).toMatchObject({ state: 'filled', filledAmount: '0.01' });
    expect(await b.queryOrder({ clientOrderId: 'c5' })).toMatchObject({ state: 'cancelled' });
    // the restored exchange goes on where it was
    expect((await b.placeOrder(cmd(100))).exchangeOrderId).toBe('sim-o-61');
    expect((await b.listFills()).map((f) => f.fillId)).toEqual((await a.listFills()).map((f) => f.fillId));
  });

  it('reads a state saved by the single-JSON layout and rewrites it as rows', async () => {
    const e = new MatchingEngine({ getMarket: bundledMarket, startAt: T0, seed: 3 });
    e.fund({ USD: '10000' });
    e.onTrade({ kind: 'trade', ts: T0, market: 'btcusd', price: '60000', key: 6000000000000, amount: null, side: 'buy' });
    e.place(cmd(1, { price: '59000' }));
    e.place(cmd(2, { price: '59000' }));
    e.place(cmd(3, { price: '59100' }));
    const old = e.toState(false);
    expect(old.orders).toHaveLength(3);
    db.prepare('INSERT INTO paper_state (account_key, state_json, updated_at) VALUES (?, ?, ?)').run(REF, JSON.stringify(old), 'then');
    const a = adapter();
    expect((await a.listOpenOrders()).map((o) => o.clientOrderId)).toEqual(['c1', 'c2', 'c3']);
    expect(JSON.parse(stateJson()).orders).toEqual([]);
    expect(rows('open')).toBe(3);
    const b = adapter();
    expect(await b.listOpenOrders()).toEqual(await a.listOpenOrders());
    prices.set('btcusd', '58000');
    await b.tick();
    expect((await b.listFills()).map((f) => f.clientOrderId)).toEqual(['c3', 'c1', 'c2']); // price, then time priority
  });

  it('a new exchange under a reused key does not inherit open-order rows of a removed one', async () => {
    const a = adapter();
    a.fund({ USD: '10000' });
    await a.placeOrder(cmd(1));
    db.prepare('DELETE FROM paper_state WHERE account_key = ?').run(REF); // what removing the account does
    const b = adapter();
    expect(await b.listOpenOrders()).toEqual([]);
    expect(await adapter().listOpenOrders()).toEqual([]);
  });
});
