/**
 * The emulator against an independent client maintained against the real exchange: ccxt's
 * `bitstamp` and `pro.bitstamp` drive it over HTTP and WebSocket on 127.0.0.1 only. Where ccxt reads
 * a documented reply its own way, the test pins ccxt's actual behaviour and says why ccxt is wrong.
 */
import ccxt, { type Exchange, type Order, type Trade } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/domain/clock.ts';
import { aimCcxtAtEmulator } from '../bitstamp-emulator/ccxt-aim.ts';
import { MAIN, eventually, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

/** Real time plus a skew the test moves forward, to step past the 10 s open_orders cache. */
const skewed: Clock & { skewMs: number } = { skewMs: 0, now: () => Date.now() + skewed.skewMs };

let h: Harness;
let rest: Exchange;
let pro: Exchange;
const restHosts: string[] = [];

function aimAtEmulator(ex: Exchange): void {
  aimCcxtAtEmulator(ex, h.emulator, restHosts);
  ex.apiKey = MAIN.apiKey;
  ex.secret = MAIN.secret;
}

beforeAll(async () => {
  h = await startHarness({ emulator: { clock: skewed } });
  rest = new ccxt.bitstamp({ enableRateLimit: false });
  pro = new ccxt.pro.bitstamp({ enableRateLimit: false });
  aimAtEmulator(rest);
  aimAtEmulator(pro);
  await pro.loadHttpProxyAgent(); // ccxt needs a node http agent for a plain ws:// URL
});

afterAll(async () => {
  const host = h !== undefined ? new URL(h.emulator.apiUrl).host : '';
  // Nothing went anywhere but the emulator: every REST call and every socket ccxt opened.
  const sockets = Object.keys(pro?.clients ?? {}).filter((k) => k.includes('://'));
  await pro?.close();
  await h?.close();
  expect(restHosts.length).toBeGreaterThan(0);
  expect(restHosts.every((x) => x === host)).toBe(true);
  expect(sockets).toEqual([h.emulator.wsUrl]);
});

/**
 * Runs `act` with a watch() already pending (ccxt resolves a watch only on a message that arrives
 * while one waits), then watches again until `pick` finds what it waits for or the time is up.
 */
async function watchUntil<T, R>(watch: () => Promise<T[]>, act: () => Promise<unknown>, pick: (items: T[]) => R | undefined, timeoutMs = 3_000): Promise<R> {
  const seen: T[] = [];
  const until = Date.now() + timeoutMs;
  let pending = watch();
  await act();
  for (;;) {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no matching update in time')), Math.max(1, until - Date.now())).unref());
    seen.push(...(await Promise.race([pending, timer])));
    const got = pick(seen);
    if (got !== undefined) return got;
    pending = watch();
  }
}

const subscribed = (channel: string): Promise<boolean> => eventually(() => h.emulator.wsServer.subscriptions().includes(channel));

describe('ccxt bitstamp (REST) against the emulator', () => {
  it('loads the markets', async () => {
    const markets = await rest.loadMarkets();
    const btc = markets['BTC/USD'];
    expect(btc).toMatchObject({ id: 'btcusd', base: 'BTC', quote: 'USD', spot: true, active: true });
    expect(btc?.limits.cost?.min).toBeGreaterThan(0);
    expect(btc?.precision.amount).toBe(1e-8);
  });

  it('fetches the balance', async () => {
    const b = await rest.fetchBalance();
    expect(b['USD']).toMatchObject({ total: 100000, free: 100000, used: 0 });
    expect(b['BTC']).toMatchObject({ total: 2, free: 2, used: 0 });
  });

  it('fetches trading fees', async () => {
    const all = await rest.fetchTradingFees();
    const one = await rest.fetchTradingFee('BTC/USD');
    // ccxt is wrong here because Bitstamp's fees are percentages ("0.30000" = 0.3 %), and ccxt
    // returns them as fractions (0.3 = 30 %); BITSTAMP.md, corrections.
    expect(all['BTC/USD']).toMatchObject({ maker: 0.3, taker: 0.4 });
    expect(one).toMatchObject({ symbol: 'BTC/USD', maker: 0.3, taker: 0.4 });
  });

  let limitId = '';
  it('places a limit order with a clientOrderId and finds it by id and by client id', async () => {
    const placed = await rest.createOrder('BTC/USD', 'limit', 'buy', 0.01, 59000, { clientOrderId: 'ccxt-l1' });
    expect(placed).toMatchObject({ clientOrderId: 'ccxt-l1', side: 'buy', price: 59000, amount: 0.01, type: 'limit' });
    limitId = String(placed.id);
    expect(limitId).toMatch(/^\d+$/);
    const byId = await rest.fetchOrder(limitId, 'BTC/USD');
    expect(byId).toMatchObject({ id: limitId, clientOrderId: 'ccxt-l1', status: 'open', symbol: 'BTC/USD', side: 'buy' });
    const byClient = await rest.fetchOrder('', 'BTC/USD', { clientOrderId: 'ccxt-l1' });
    expect(byClient).toMatchObject({ id: limitId, clientOrderId: 'ccxt-l1', status: 'open' });
    // ccxt is wrong here because order_status documents `market` ("BTC/USD"), and ccxt reads only the
    // deprecated `currency_pair`: without a symbol argument the order has no symbol.
    expect((await rest.fetchOrder(limitId)).symbol).toBeUndefined();
  });

  it('an unknown order is OrderNotFound ("Order not found." on order_status)', async () => {
    await expect(rest.fetchOrder('999')).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('lists open orders (cached 10 s, as Bitstamp documents)', async () => {
    const open = await rest.fetchOpenOrders('BTC/USD');
    expect(open.map((o) => [o.id, o.clientOrderId, o.status, o.symbol, o.price])).toEqual([[limitId, 'ccxt-l1', 'open', 'BTC/USD', 59000]]);
    // ccxt is wrong here because open_orders' `amount` is what is left of the order and
    // `amount_at_create` its size (DOC): ccxt takes `amount` as the size and leaves `remaining` unset.
    expect(open[0]).toMatchObject({ amount: 0.01, remaining: undefined });
  });

  it('cancels by id; cancel_order refuses a client_order_id; the open_orders cache shows the old list until 10 s passed', async () => {
    const c = await rest.cancelOrder(limitId, 'BTC/USD');
    expect(c).toMatchObject({ id: limitId, side: 'buy', price: 59000 });
    expect(await rest.fetchOrder(limitId, 'BTC/USD')).toMatchObject({ status: 'canceled' });
    // Within 10 s open_orders is the cached reply: the cancelled order is still listed.
    expect((await rest.fetchOpenOrders('BTC/USD')).map((o) => o.id)).toEqual([limitId]);
    skewed.skewMs += 11_000;
    expect(await rest.fetchOpenOrders('BTC/USD')).toEqual([]);
    // cancel_order takes `id` only: a client_order_id alone is "Missing id POST param.".
    const raw = rest as unknown as { privatePostCancelOrder(p: Record<string, string>): Promise<unknown> };
    await expect(raw.privatePostCancelOrder({ client_order_id: 'ccxt-l1' })).rejects.toThrow('Missing id POST param.');
    // ccxt is wrong here because cancel_order's docs word it "Order not found" (no period) and ccxt
    // matches only order_status's "Order not found.": a cancel of a closed order is a plain ExchangeError.
    const again = rest.cancelOrder(limitId, 'BTC/USD');
    await expect(again).rejects.toBeInstanceOf(ccxt.ExchangeError);
    await expect(again).rejects.not.toBeInstanceOf(ccxt.OrderNotFound);
  });

  let marketId = '';
  it('places a market order with a clientOrderId; it fills at once', async () => {
    const placed = await rest.createOrder('BTC/USD', 'market', 'buy', 0.01, undefined, { clientOrderId: 'ccxt-m1' });
    expect(placed).toMatchObject({ clientOrderId: 'ccxt-m1', side: 'buy', type: 'market', amount: 0.01 });
    marketId = String(placed.id);
    const got = await rest.fetchOrder('', 'BTC/USD', { clientOrderId: 'ccxt-m1' });
    expect(got).toMatchObject({ id: marketId, clientOrderId: 'ccxt-m1', status: 'closed', filled: 0.01, cost: 600 });
    expect(got.trades.map((t) => [t.price, t.amount, t.fee?.cost])).toEqual([[60000, 0.01, 2.4]]);
  });

  it('lists my trades (user_transactions), per market and for all markets', async () => {
    const mine = await rest.fetchMyTrades('BTC/USD');
    expect(mine.map((t) => [t.order, t.symbol, t.side, t.price, t.amount, t.cost, t.fee?.cost, t.fee?.currency])).toEqual([[marketId, 'BTC/USD', 'buy', 60000, 0.01, 600, 2.4, 'USD']]);
    const all = await rest.fetchMyTrades();
    expect(all.map((t) => [t.order, t.symbol, t.side])).toEqual([[marketId, 'BTC/USD', 'buy']]);
  });

  it('cancels all orders, for one market and for every market', async () => {
    const a = await rest.createOrder('BTC/USD', 'limit', 'buy', 0.01, 58000, { clientOrderId: 'ccxt-a' });
    const b = await rest.createOrder('ETH/USD', 'limit', 'sell', 0.1, 3100, { clientOrderId: 'ccxt-b' });
    const c = await rest.createOrder('ETH/USD', 'limit', 'sell', 0.1, 3200);
    const eth = await rest.cancelAllOrders('ETH/USD');
    expect(eth.map((o) => o.id).sort()).toEqual([b.id, c.id].sort());
    const rest2 = await rest.cancelAllOrders();
    expect(rest2.map((o) => [o.id, o.side])).toEqual([[a.id, 'buy']]);
    for (const [o, symbol] of [[a, 'BTC/USD'], [b, 'ETH/USD'], [c, 'ETH/USD']] as const) expect((await rest.fetchOrder(String(o.id), symbol)).status).toBe('canceled');
  });
});

describe('ccxt pro.bitstamp (WebSocket) against the emulator', () => {
  it('watchOrders: created, partly filled, filled (closed), and a cancelled one after a partial fill', async () => {
    await pro.loadMarkets();
    const watch = (): Promise<Order[]> => pro.watchOrders('BTC/USD');
    let placed: Order | undefined;
    const created = await watchUntil(
      watch,
      async () => {
        await subscribed(`private-my_orders_btcusd-${MAIN.userId}`);
        placed = await rest.createOrder('BTC/USD', 'limit', 'buy', 0.02, 59500, { clientOrderId: 'ccxt-w1' });
      },
      (os) => os.find((o) => o.id === placed?.id),
    );
    expect(created).toMatchObject({ clientOrderId: 'ccxt-w1', side: 'buy', price: 59500, amount: 0.02, symbol: 'BTC/USD' });
    // order_deleted after the full fill carries amount_traded = the whole amount: ccxt says closed.
    const closed = await watchUntil(
      watch,
      async () => {
        h.emulator.trade('btcusd', '59400', '0.005');
        h.emulator.trade('btcusd', '59400', '1');
      },
      (os) => os.find((o) => o.id === placed?.id && o.status === 'closed'),
    );
    expect(closed).toMatchObject({ filled: 0.02, remaining: 0, amount: 0.02 });

    let partly: Order | undefined;
    const cancelled = await watchUntil(
      watch,
      async () => {
        partly = await rest.createOrder('BTC/USD', 'limit', 'buy', 0.03, 59000, { clientOrderId: 'ccxt-w2' });
        h.emulator.trade('btcusd', '58900', '0.01');
        await rest.cancelOrder(String(partly.id));
      },
      (os) => os.find((o) => o.id === partly?.id && o.status === 'canceled'),
    );
    expect(cancelled).toMatchObject({ clientOrderId: 'ccxt-w2', filled: 0.01, remaining: 0.02, amount: 0.03 });
  });

  it('watchMyTrades: one trade per fill, with the order id and the fee', async () => {
    let placed: Order | undefined;
    const trades = await watchUntil(
      (): Promise<Trade[]> => pro.watchMyTrades('BTC/USD'),
      async () => {
        await subscribed(`private-my_trades_btcusd-${MAIN.userId}`);
        placed = await rest.createOrder('BTC/USD', 'limit', 'sell', 0.02, 59100, { clientOrderId: 'ccxt-t1' });
        h.emulator.trade('btcusd', '59200', '0.015');
        h.emulator.trade('btcusd', '59200', '1');
      },
      (ts) => {
        const mine = ts.filter((t) => t.order === placed?.id);
        return mine.length === 2 ? mine : undefined;
      },
    );
    // Maker fills at the order's price; fee 0.30 % of the quote amount, rounded to the cent.
    expect(trades.map((t) => [t.symbol, t.side, t.price, t.amount, t.fee?.cost, t.fee?.currency])).toEqual([
      ['BTC/USD', 'sell', 59100, 0.015, 2.66, 'USD'],
      ['BTC/USD', 'sell', 59100, 0.005, 0.89, 'USD'],
    ]);
    expect(trades.every((t) => typeof t.id === 'string' && t.id !== '')).toBe(true);
    // As Bitstamp sends my_trades: order_id a string, no client_order_id.
    expect(trades.map((t) => [typeof t.info['order_id'], 'client_order_id' in t.info])).toEqual([['string', false], ['string', false]]);
  });
});
