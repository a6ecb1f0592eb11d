/**
 * Behaviours every ExchangeAdapter must have, run against each implementation (DESIGN.md: "One
 * conformance suite runs against every adapter"). Each subject starts with an account holding
 * 100000 USD and 2 BTC, btcusd trading at 60000, and a way to make the market trade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seededRandom, systemClock } from '../../src/domain/clock.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { PaperExchangeAdapter } from '../../src/exchanges/paper.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { D } from '../../src/domain/money.ts';
import type { ExchangeAdapter, ExchangeEvent, PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import ccxt from 'ccxt';
import { createCcxtAdapterFactory, createFromModule } from '../../src/exchanges/ccxt/factory.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { aimCcxtAtEmulator } from '../bitstamp-emulator/ccxt-aim.ts';
import { MAIN, eventually, record, startHarness } from '../bitstamp-emulator/harness.ts';
import { errorCodeOf, limitCommand } from '../fixtures/adapter-commands.ts';

export interface ConformanceSubject {
  adapter: ExchangeAdapter;
  /** An external trade on `market` at `price` for `amount` (fills resting orders that cross it). */
  trade(market: string, price: string, amount: string): Promise<void>;
  close(): Promise<void>;
}
type SubjectFactory = () => Promise<ConformanceSubject>;

const bitstampOnEmulator: SubjectFactory = async () => {
  const h = await startHarness({ emulator: { accounts: [{ ...MAIN, balances: { USD: '100000', BTC: '2' } }], prices: { btcusd: '60000' } } });
  const { adapter, events } = h.adapterFor(MAIN);
  await adapter.start();
  await eventually(() => events.some((e) => e.type === 'connected'));
  return {
    adapter,
    trade: async (market, price, amount) => {
      h.emulator.trade(market, price, amount);
    },
    close: () => h.close(),
  };
};

/**
 * The generic ccxt adapter over ccxt's own bitstamp class (the pro one, as production picks it),
 * every URL aimed at the emulator: REST and WebSocket on 127.0.0.1 only, checked at close.
 */
const ccxtBitstampOnEmulator: SubjectFactory = async () => {
  const h = await startHarness({ emulator: { accounts: [{ ...MAIN, balances: { USD: '100000', BTC: '2' } }], prices: { btcusd: '60000' } } });
  const hosts: string[] = [];
  const instances: Array<ReturnType<typeof createFromModule>> = [];
  const factory = createCcxtAdapterFactory({
    clock: systemClock,
    logger: silentLogger(),
    credentialsFor: () => ({ apiKey: MAIN.apiKey, secret: MAIN.secret }),
    marketsFor: () => ['btcusd'],
    watchRetryMs: 50,
    create: (id, config) => {
      const ex = createFromModule(ccxt, id, config);
      aimCcxtAtEmulator(ex as unknown as InstanceType<typeof ccxt.Exchange>, h.emulator, hosts);
      instances.push(ex);
      return ex;
    },
  });
  const adapter = factory(record(MAIN.userId));
  // ccxt needs a node http agent for a plain ws:// URL.
  for (const ex of instances) await (ex as unknown as InstanceType<typeof ccxt.Exchange>).loadHttpProxyAgent();
  const events: ExchangeEvent[] = [];
  adapter.subscribe((e) => events.push(e));
  await adapter.start();
  await eventually(() => events.some((e) => e.type === 'connected'));
  const subs = [`private-my_orders_btcusd-${MAIN.userId}`, `private-my_trades_btcusd-${MAIN.userId}`];
  await eventually(() => subs.every((c) => h.emulator.wsServer.subscriptions().includes(c)));
  return {
    adapter,
    trade: async (market, price, amount) => {
      h.emulator.trade(market, price, amount);
    },
    close: async () => {
      const wsUrls = instances.flatMap((ex) => Object.keys(ex.clients ?? {}).filter((k) => k.includes('://')));
      await adapter.close();
      await h.close();
      const host = new URL(h.emulator.apiUrl).host;
      expect(hosts.every((x) => x === host)).toBe(true);
      expect(wsUrls.every((u) => u === h.emulator.wsUrl)).toBe(true);
    },
  };
};

/** The paper adapter on a fresh SQLite file; a "trade" is a new price from its price source. */
const paperSimulator: SubjectFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-paper-'));
  const db = openDb(join(dir, 'exec.db'));
  migrate(db);
  const prices = new FixedPriceSource({ btcusd: '60000' });
  const adapter = new PaperExchangeAdapter({ db, accountRef: 'paper:conformance', clock: systemClock, random: seededRandom(5), priceSource: prices, getMarket: bundledMarket, listMarkets: () => ['btcusd'], pollIntervalMs: 0 });
  adapter.fund({ USD: '100000', BTC: '2' });
  return {
    adapter,
    trade: async (market, price) => {
      prices.set(market, price);
      await adapter.tick(market);
    },
    close: async () => {
      await adapter.close();
      closeDb(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const SUBJECTS: Array<[string, SubjectFactory]> = [
  ['bitstamp on emulator', bitstampOnEmulator],
  ['paper', paperSimulator],
  ['ccxt bitstamp on emulator', ccxtBitstampOnEmulator],
];

let seq = 0;
const order = (o: Partial<PlaceOrderCommand> = {}): PlaceOrderCommand => limitCommand({ clientOrderId: `conf-${++seq}`, ...o });
const errorCode = errorCodeOf;

describe.each(SUBJECTS)('ExchangeAdapter conformance: %s', (_name, make) => {
  let s: ConformanceSubject;
  let events: ExchangeEvent[];
  beforeEach(async () => {
    s = await make();
    events = [];
    s.adapter.subscribe((e) => events.push(e));
  });
  afterEach(async () => {
    await s.close();
  });

  it('a placed limit order is open, by client order id and in the open list', async () => {
    const cmd = order();
    const ack = await s.adapter.placeOrder(cmd);
    expect(ack.exchangeOrderId).not.toBe('');
    expect(Number.isNaN(Date.parse(ack.at))).toBe(false);
    const q = await s.adapter.queryOrder({ clientOrderId: cmd.clientOrderId });
    expect(q).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: cmd.clientOrderId, market: 'btcusd', side: 'buy', state: 'open' });
    expect(new D(q?.amount ?? '0').eq('0.1')).toBe(true);
    expect(new D(q?.filledAmount ?? '1').isZero()).toBe(true);
    const open = await s.adapter.listOpenOrders('btcusd');
    expect(open.map((o) => o.exchangeOrderId)).toContain(ack.exchangeOrderId);
  });

  it('cancel makes the order cancelled and removes it from the open list', async () => {
    const cmd = order();
    const ack = await s.adapter.placeOrder(cmd);
    await s.adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect((await s.adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId }))?.state).toBe('cancelled');
    expect((await s.adapter.listOpenOrders()).map((o) => o.exchangeOrderId)).not.toContain(ack.exchangeOrderId);
    expect(await errorCode(s.adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe('ORDER_NOT_FOUND');
  });

  it('an unknown order: queryOrder gives null, cancel gives ORDER_NOT_FOUND', async () => {
    expect(await s.adapter.queryOrder({ clientOrderId: 'never-sent-1' })).toBeNull();
    expect(await errorCode(s.adapter.cancelOrder({ clientOrderId: 'never-sent-1' }))).toBe('ORDER_NOT_FOUND');
    expect(await errorCode(s.adapter.cancelOrder({ exchangeOrderId: '987654321987' }))).toBe('ORDER_NOT_FOUND');
  });

  it('fills are reported (event and query) with fees in the quote currency, and listed', async () => {
    const cmd = order({ amount: '0.2' });
    const ack = await s.adapter.placeOrder(cmd);
    await s.trade('btcusd', '58900', '1');
    const fill = await eventually(() => events.flatMap((e) => (e.type === 'fill' && e.fill.exchangeOrderId === ack.exchangeOrderId ? [e.fill] : []))[0]);
    expect(fill).toMatchObject({ market: 'btcusd', side: 'buy', feeCurrency: 'USD' });
    expect(new D(fill.fee).gt(0)).toBe(true);
    const q = await s.adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect(q?.state).toBe('filled');
    const filled = (q?.fills ?? []).reduce((a, f) => a.plus(f.amount), new D(0));
    expect(filled.eq('0.2')).toBe(true);
    expect(new D(q?.filledAmount ?? '0').eq('0.2')).toBe(true);
    expect(q?.fills.every((f) => new D(f.fee).gt(0) && f.feeCurrency === 'USD')).toBe(true);
    const listed = await s.adapter.listFills();
    for (const f of q?.fills ?? []) expect(listed.map((l) => l.fillId)).toContain(f.fillId);
    expect(await errorCode(s.adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe('ORDER_NOT_FOUND');
  });

  it('an open order reserves balance; cancelling releases it', async () => {
    const usd = async () => (await s.adapter.getBalances()).find((b) => b.currency === 'USD');
    const before = await usd();
    expect(before).toBeDefined();
    const ack = await s.adapter.placeOrder(order());
    const during = await usd();
    expect(new D(during?.reserved ?? '0').gte(5900)).toBe(true);
    expect(new D(during?.available ?? '0').eq(new D(during?.total ?? '0').minus(during?.reserved ?? '0'))).toBe(true);
    await s.adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    const after = await usd();
    expect(after?.reserved).toBe(before?.reserved);
    expect(after?.available).toBe(before?.available);
  });

  it('fees are fractions per market', async () => {
    const fees = await s.adapter.getFees();
    const btc = fees.find((f) => f.market === 'btcusd');
    expect(btc).toBeDefined();
    expect(new D(btc?.maker ?? '1').lt('0.05')).toBe(true);
    expect(new D(btc?.taker ?? '1').lt('0.05')).toBe(true);
  });

  it('subscribe returns an unsubscribe function', async () => {
    const seen: ExchangeEvent[] = [];
    const off = s.adapter.subscribe((e) => seen.push(e));
    off();
    const ack = await s.adapter.placeOrder(order());
    await s.adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    await eventually(() => events.some((e) => e.type === 'order_update' && e.report.exchangeOrderId === ack.exchangeOrderId && e.report.state === 'cancelled'));
    expect(seen).toEqual([]);
  });
});
