import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock, seededRandom } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { PaperExchangeAdapter, type PaperAdapterDeps } from '../../src/exchanges/paper.ts';
import { FixedPriceSource, type PriceSource } from '../../src/exchanges/paper-price-sources.ts';
import type { ExchangeEvent, PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';
import { limitCommand } from '../fixtures/adapter-commands.ts';

const T0 = Date.UTC(2026, 0, 5, 12);
let dir: string;
let file: string;
let db: Db;
let clock: ManualClock;
let prices: FixedPriceSource;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paper-'));
  file = path.join(dir, 'x.sqlite');
  db = openDb(file);
  migrate(db);
  clock = new ManualClock(T0);
  prices = new FixedPriceSource({ btcusd: '60000' });
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function adapter(over: Partial<PaperAdapterDeps> = {}): PaperExchangeAdapter {
  return new PaperExchangeAdapter({ db, accountRef: 'paper:p1', clock, random: seededRandom(1), priceSource: prices, getMarket: bundledMarket, pollIntervalMs: 0, ...over });
}
const cmd = (p: Partial<PlaceOrderCommand>): PlaceOrderCommand => limitCommand({ clientOrderId: 'c1', ...p });
const rejects = rejectedDomainError;
const nextMacrotask = () => new Promise<void>((r) => setImmediate(r));

describe('PaperExchangeAdapter', () => {
  it('persists balances and open orders: a new adapter on the same db file sees the same exchange', async () => {
    const a = adapter();
    a.fund({ USD: '20000', BTC: '1' });
    await a.placeOrder(cmd({}));
    await a.placeOrder(cmd({ clientOrderId: 'c2', side: 'sell', amount: '0.5', price: '61000' }));
    const open = await a.listOpenOrders();
    const balances = await a.getBalances();
    expect(balances).toEqual([
      { currency: 'BTC', total: '1', available: '0.5', reserved: '0.5' },
      { currency: 'USD', total: '20000', available: '14076.4', reserved: '5923.6' }, // 0.1 * 59000 + 0.4 % fee reserve
    ]);
    const b = adapter({ random: seededRandom(999) });
    expect(await b.listOpenOrders()).toEqual(open);
    expect(await b.getBalances()).toEqual(balances);
    // and it keeps going: numbering continues, a price crossing fills the restored order
    expect((await b.placeOrder(cmd({ clientOrderId: 'c3', price: '58000' }))).exchangeOrderId).toBe('sim-o-3');
    prices.set('btcusd', '58900');
    await b.tick();
    expect(await b.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'filled', filledAmount: '0.1', fills: [{ price: '59000', liquidity: 'maker', fee: '17.7' }] });
    const c = adapter();
    expect(await c.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'filled' });
    expect((await c.listFills()).map((f) => f.fillId)).toEqual(['sim-1']);
    expect((await c.listOpenOrders()).map((o) => o.clientOrderId)).toEqual(['c2', 'c3']);
  });

  it('configure: the fill-model settings stay with the account; queue at_touch on ticker prices fills only through the price', async () => {
    const a = adapter();
    a.configure({ participation: 0.5, queue: 'at_touch' });
    a.fund({ USD: '20000' });
    await a.tick('btcusd');
    await a.placeOrder(cmd({ price: '59000' }));
    const b = adapter(); // a restart: settings and the order come back from the database
    expect(b.engine.participation).toBe(0.5);
    prices.set('btcusd', '59000');
    await b.tick();
    expect(await b.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'open', filledAmount: '0' }); // a price at the limit: queue unknown
    prices.set('btcusd', '58990');
    await b.tick();
    expect(await b.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'filled', fills: [{ price: '59000', liquidity: 'maker' }] });
    const plain = adapter({ accountRef: 'paper:p2' });
    expect(plain.engine.participation).toBe(1);
    expect(() => plain.configure({ participation: 2 })).toThrow(/participation/);
    expect(plain.engine.participation).toBe(1);
  });

  it('queryOrder by clientOrderId or exchange id; null for an order the exchange never heard of', async () => {
    const a = adapter();
    a.fund({ USD: '10000' });
    const ack = await a.placeOrder(cmd({}));
    expect(await a.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, state: 'open', clientOrderId: 'c1' });
    expect(await a.queryOrder({ exchangeOrderId: ack.exchangeOrderId })).toMatchObject({ clientOrderId: 'c1' });
    expect(await a.queryOrder({ clientOrderId: 'never-sent' })).toBeNull();
    await a.cancelOrder({ clientOrderId: 'c1' });
    expect(await adapter().queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled' });
    expect((await rejects(a.cancelOrder({ clientOrderId: 'c1' }))).code).toBe('ORDER_NOT_FOUND');
  });

  it('insufficient funds is INSUFFICIENT_FUNDS and leaves no order behind', async () => {
    const a = adapter();
    a.fund({ USD: '100' });
    const e = await rejects(a.placeOrder(cmd({})));
    expect(e.code).toBe('INSUFFICIENT_FUNDS');
    expect(e.message).toBe('You need 5923.6 USD to open that order. You have only 100 USD available.');
    expect(await a.queryOrder({ clientOrderId: 'c1' })).toBeNull();
    expect(await adapter().getBalances()).toEqual([{ currency: 'USD', total: '100', available: '100', reserved: '0' }]);
  });

  it('pushes fill and order_update events asynchronously, after placeOrder has resolved', async () => {
    const a = adapter();
    a.fund({ USD: '10000' });
    const seen: ExchangeEvent[] = [];
    a.subscribe((e) => seen.push(e));
    await a.placeOrder(cmd({ type: 'market', price: undefined }));
    expect(seen).toEqual([]);
    await nextMacrotask();
    expect(seen.map((e) => (e.type === 'order_update' ? e.report.state : e.type))).toEqual(['open', 'fill', 'filled']);
    const fill = seen.find((e) => e.type === 'fill');
    expect(fill).toMatchObject({ fill: { price: '60030', liquidity: 'taker', clientOrderId: 'c1' } }); // 60000 + 5 bps, to the tick
  });

  it('expires gtd orders on the wall clock and polls prices with an injected scheduler', async () => {
    let poll: (() => void) | undefined;
    const a = adapter({ pollIntervalMs: 1000, scheduler: { setInterval: (fn) => (poll = fn), clearInterval: () => (poll = undefined) } });
    await a.start();
    a.fund({ USD: '20000' });
    await a.placeOrder(cmd({ timeInForce: 'gtd', expireTime: new Date(T0 + 60_000).toISOString() }));
    await a.placeOrder(cmd({ clientOrderId: 'c2', price: '59500' }));
    prices.set('btcusd', '59400');
    poll!();
    await a.pollOnce(); // waits for the running poll
    expect(await a.queryOrder({ clientOrderId: 'c2' })).toMatchObject({ state: 'filled' });
    clock.advance(60_000);
    expect(await a.queryOrder({ clientOrderId: 'c1' })).toMatchObject({ state: 'expired', at: new Date(T0 + 60_000).toISOString() });
    expect((await a.getBalances()).find((b) => b.currency === 'USD')!.reserved).toBe('0');
    await a.close();
    expect(poll).toBeUndefined();
  });

  it('a market order with no price at all is EXCHANGE_UNAVAILABLE; a limit order still rests', async () => {
    const failing: PriceSource = { price: async () => Promise.reject(new DomainError('EXCHANGE_UNAVAILABLE', 'down')) };
    const a = adapter({ priceSource: failing });
    a.fund({ USD: '10000' });
    expect((await rejects(a.placeOrder(cmd({ type: 'market', price: undefined })))).code).toBe('EXCHANGE_UNAVAILABLE');
    await a.placeOrder(cmd({}));
    expect(await a.listOpenOrders()).toHaveLength(1);
  });

  it('getFees reports the schedule for the listed markets', async () => {
    const a = adapter({ fees: { maker: '0.0015', taker: '0.0025' }, listMarkets: () => ['btcusd', 'ethusd'] });
    expect(await a.getFees()).toEqual([
      { market: 'btcusd', maker: '0.0015', taker: '0.0025' },
      { market: 'ethusd', maker: '0.0015', taker: '0.0025' },
    ]);
  });

  it('an acknowledged order survives a SIGKILL of the process right after the ack', async () => {
    closeDb(db);
    const child = spawnSync(process.execPath, ['bin/run-ts.js', 'test/fixtures/paper-kill-child.ts', file, 'killed-1'], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout.trim()).toBe('sim-o-1');
    db = openDb(file);
    const a = new PaperExchangeAdapter({ db, accountRef: 'paper:kill', clock, priceSource: prices, getMarket: bundledMarket, pollIntervalMs: 0 });
    expect(await a.queryOrder({ clientOrderId: 'killed-1' })).toMatchObject({ exchangeOrderId: 'sim-o-1', state: 'open', amount: '0.1', price: '59000' });
    expect(await a.getBalances()).toEqual([{ currency: 'USD', total: '10000', available: '4076.4', reserved: '5923.6' }]);
  }, 30_000);
});
