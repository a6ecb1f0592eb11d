import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { errorCodeOf, limitCommand } from '../fixtures/adapter-commands.ts';
import { MAIN, SUB, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const limit = limitCommand;
const codeOf = errorCodeOf;

describe('BitstampAdapter against the emulator', () => {
  it('places, queries, lists and cancels a limit order; balances are reserved and released', async () => {
    const { adapter } = h.adapterFor(MAIN);
    const ack = await adapter.placeOrder(limit());
    expect(ack.exchangeOrderId).toMatch(/^\d+$/);
    const q = await adapter.queryOrder({ clientOrderId: 'c-1' });
    expect(q).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: 'c-1', market: 'btcusd', side: 'buy', state: 'open', amount: '0.1', filledAmount: '0' });
    const open = await adapter.listOpenOrders();
    expect(open.map((o) => o.exchangeOrderId)).toEqual([ack.exchangeOrderId]);
    expect(open[0]).toMatchObject({ price: '59000', amount: '0.1', state: 'open' });
    const usd = (await adapter.getBalances()).find((b) => b.currency === 'USD');
    // 0.1 * 59000 = 5900, plus taker fee 0.4 % reserved = 5923.6
    expect(usd).toEqual({ currency: 'USD', total: '100000', available: '94076.4', reserved: '5923.6' });
    await adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect((await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId }))?.state).toBe('cancelled');
    expect((await adapter.getBalances()).find((b) => b.currency === 'USD')?.reserved).toBe('0');
    expect(await codeOf(adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe('ORDER_NOT_FOUND');
  });

  it('reports partial and full fills with fees, and lists them as fills', async () => {
    const { adapter } = h.adapterFor(MAIN);
    await adapter.getFees();
    const ack = await adapter.placeOrder(limit({ clientOrderId: 'f-1', amount: '0.5' }));
    expect(h.emulator.trade('btcusd', '58990', '0.2')).toBe(1);
    let q = await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect(q).toMatchObject({ state: 'open', filledAmount: '0.2', amount: '0.5' });
    h.emulator.trade('btcusd', '58000', '1');
    q = await adapter.queryOrder({ clientOrderId: 'f-1' });
    expect(q?.state).toBe('filled');
    expect(q?.fills.map((f) => [f.amount, f.price, f.fee, f.feeCurrency, f.liquidity])).toEqual([
      ['0.2', '59000', '35.4', 'USD', 'maker'], // 11800 * 0.3 %
      ['0.3', '59000', '53.1', 'USD', 'maker'],
    ]);
    const fills = await adapter.listFills();
    expect(fills.map((f) => f.fillId).sort()).toEqual(q?.fills.map((f) => f.fillId).sort());
    expect(fills[0]).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, market: 'btcusd', side: 'buy', feeCurrency: 'USD' });
    const btc = (await adapter.getBalances()).find((b) => b.currency === 'BTC');
    expect(btc?.total).toBe('2.5');
  });

  it('maps time-in-force flags and order types', async () => {
    const { adapter } = h.adapterFor(MAIN);
    // IOC that does not cross is cancelled at once; FOK that crosses fills as taker.
    const ioc = await adapter.placeOrder(limit({ clientOrderId: 'ioc', timeInForce: 'ioc' }));
    expect((await adapter.queryOrder({ exchangeOrderId: ioc.exchangeOrderId }))?.state).toBe('cancelled');
    const fok = await adapter.placeOrder(limit({ clientOrderId: 'fok', timeInForce: 'fok', price: '61000' }));
    const fokQ = await adapter.queryOrder({ exchangeOrderId: fok.exchangeOrderId });
    expect(fokQ).toMatchObject({ state: 'filled', filledAmount: '0.1' });
    // post_only (Bitstamp MOC) that would cross is cancelled, not filled.
    const po = await adapter.placeOrder(limit({ clientOrderId: 'po', postOnly: true, price: '61000' }));
    expect((await adapter.queryOrder({ exchangeOrderId: po.exchangeOrderId }))).toMatchObject({ state: 'cancelled', filledAmount: '0' });
    // GTD expires at expire_time (sent in ms).
    const gtd = await adapter.placeOrder(limit({ clientOrderId: 'gtd', timeInForce: 'gtd', expireTime: new Date(Date.now() + 150).toISOString() }));
    expect(h.emulator.engine.orders.find((o) => String(o.id) === gtd.exchangeOrderId)?.tif).toBe('gtd');
    await new Promise((r) => setTimeout(r, 200));
    expect((await adapter.queryOrder({ exchangeOrderId: gtd.exchangeOrderId }))?.state).toBe('expired');
    const daily = await adapter.placeOrder(limit({ clientOrderId: 'daily', timeInForce: 'daily' }));
    expect(h.emulator.engine.orders.find((o) => String(o.id) === daily.exchangeOrderId)?.tif).toBe('daily');
    // market and instant orders fill at once; an instant buy is sent as a market buy (base amount).
    const mkt = await adapter.placeOrder(limit({ clientOrderId: 'm', type: 'market', price: undefined, side: 'sell', amount: '0.01' }));
    expect((await adapter.queryOrder({ exchangeOrderId: mkt.exchangeOrderId }))?.state).toBe('filled');
    const ib = await adapter.placeOrder(limit({ clientOrderId: 'ib', type: 'instant', price: undefined, amount: '0.01' }));
    expect(h.emulator.engine.orders.find((o) => String(o.id) === ib.exchangeOrderId)).toMatchObject({ kind: 'market', side: 'buy' });
    const is = await adapter.placeOrder(limit({ clientOrderId: 'is', type: 'instant', price: undefined, side: 'sell', amount: '0.01' }));
    expect(h.emulator.engine.orders.find((o) => String(o.id) === is.exchangeOrderId)).toMatchObject({ kind: 'instant', side: 'sell' });
    expect(await codeOf(adapter.placeOrder(limit({ postOnly: true, timeInForce: 'daily' })))).toBe('INVALID_ARGUMENT');
  });

  it('maps exchange rejections to contract codes', async () => {
    const { adapter } = h.adapterFor(MAIN);
    expect(await codeOf(adapter.placeOrder(limit({ amount: '10' })))).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(adapter.placeOrder(limit({ side: 'sell', amount: '3', price: '61000' })))).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(adapter.placeOrder(limit({ amount: '0.0001' })))).toBe('BELOW_MINIMUM');
    expect(await codeOf(adapter.placeOrder(limit({ amount: '0.123456789' })))).toBe('PRECISION_VIOLATION');
    expect(await codeOf(adapter.placeOrder(limit({ price: '59000.5' })))).toBe('PRECISION_VIOLATION');
    expect(await codeOf(adapter.placeOrder(limit({ price: '80000' })))).toBe('EXCHANGE_REJECTED'); // 20 % band
    expect(await codeOf(adapter.cancelOrder({ clientOrderId: 'never' }))).toBe('ORDER_NOT_FOUND');
    expect(await adapter.queryOrder({ clientOrderId: 'never' })).toBeNull();
    const err = await adapter.placeOrder(limit({ amount: '0.123456789' })).catch((e: unknown) => e);
    expect((err as DomainError).message).toContain('no more than 8 decimal places');
  });

  it('a wrong secret gives a clear authentication error, no crash', async () => {
    const { adapter } = h.adapterFor({ apiKey: MAIN.apiKey, secret: 'wrong' });
    const err = await adapter.getBalances().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('EXCHANGE_REJECTED');
    expect((err as DomainError).message).toMatch(/authentication failed: Invalid signature\. \(API0005\)/);
    expect((err as DomainError).message).not.toContain('wrong');
    const unknownKey = h.adapterFor({ apiKey: 'nobody', secret: 'x' }).adapter;
    expect((await unknownKey.placeOrder(limit()).catch((e: unknown) => e)) as DomainError).toMatchObject({ code: 'EXCHANGE_REJECTED' });
  });

  it('without credentials every call fails NO_CREDENTIALS and start() does not connect', async () => {
    const { adapter } = h.adapterFor(undefined);
    expect(await codeOf(adapter.getBalances())).toBe('NO_CREDENTIALS');
    expect(await codeOf(adapter.placeOrder(limit()))).toBe('NO_CREDENTIALS');
    await adapter.start();
    expect(h.emulator.requests.length).toBe(0);
  });

  it('cancels all orders, per market and globally; fees are fractions', async () => {
    const { adapter } = h.adapterFor(MAIN);
    const a = await adapter.placeOrder(limit({ clientOrderId: 'a' }));
    const b = await adapter.placeOrder(limit({ clientOrderId: 'b', market: 'ethusd', price: '2900', amount: '1' }));
    expect(await adapter.cancelAllOrders('ethusd')).toEqual([b.exchangeOrderId]);
    expect(await adapter.cancelAllOrders()).toEqual([a.exchangeOrderId]);
    expect(await adapter.listOpenOrders()).toEqual([]);
    const fees = await adapter.getFees();
    expect(fees.find((f) => f.market === 'btcusd')).toEqual({ market: 'btcusd', maker: '0.003', taker: '0.004' });
  });

  it('a subaccount is just another account with its own key and balances', async () => {
    const sub = h.adapterFor(SUB, '100002').adapter;
    expect((await sub.getBalances()).find((b) => b.currency === 'USD')?.total).toBe('500');
    expect(await codeOf(sub.placeOrder(limit()))).toBe('INSUFFICIENT_FUNDS');
  });
});

describe('BitstampAdapter under injected faults', () => {
  it('an order that times out after the exchange accepted it is OUTCOME_UNKNOWN, never retried, and found by client_order_id', async () => {
    const { adapter } = h.adapterFor(MAIN);
    h.emulator.faults.timeoutAfterAccept = { next: 1, endpoints: ['buy/'] };
    expect(await codeOf(adapter.placeOrder(limit({ clientOrderId: 'lost-1' })))).toBe('OUTCOME_UNKNOWN');
    expect(h.emulator.requests.filter((r) => r.endpoint.startsWith('buy/')).length).toBe(1); // not resent
    const found = await adapter.queryOrder({ clientOrderId: 'lost-1' });
    expect(found).toMatchObject({ state: 'open', clientOrderId: 'lost-1' });
  });

  it('5xx on writes is OUTCOME_UNKNOWN; 5xx on reads is retried, then EXCHANGE_UNAVAILABLE', async () => {
    const { adapter } = h.adapterFor(MAIN);
    h.emulator.faults.errorAfter = { next: 1, endpoints: ['cancel_order/'] };
    const ack = await adapter.placeOrder(limit());
    expect(await codeOf(adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe('OUTCOME_UNKNOWN');
    expect((await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId }))?.state).toBe('cancelled');

    h.emulator.faults.errorBefore = { next: 2, endpoints: ['account_balances/'] };
    expect((await adapter.getBalances()).length).toBeGreaterThan(0); // two failures, third attempt succeeds
    h.emulator.faults.errorBefore = { next: 10, endpoints: ['account_balances/'] };
    expect(await codeOf(adapter.getBalances())).toBe('EXCHANGE_UNAVAILABLE');
    expect(h.emulator.requests.filter((r) => r.endpoint === 'account_balances/').length).toBe(3 + 4);
  });

  it('dropped connections, malformed replies and bad response signatures never crash', async () => {
    const { adapter } = h.adapterFor(MAIN);
    h.emulator.faults.dropBefore = { next: 1, endpoints: ['buy/'] };
    expect(await codeOf(adapter.placeOrder(limit({ clientOrderId: 'd' })))).toBe('OUTCOME_UNKNOWN');
    h.emulator.faults.malformed = { next: 4, endpoints: ['open_orders/'] };
    const err = (await adapter.listOpenOrders().catch((e: unknown) => e)) as DomainError;
    expect(err.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(err.message).toMatch(/malformed reply/);
    h.emulator.faults.malformed = { next: 1, endpoints: ['buy/'] };
    expect(await codeOf(adapter.placeOrder(limit({ clientOrderId: 'm' })))).toBe('OUTCOME_UNKNOWN');
    h.emulator.faults.badSignature = { next: 4, endpoints: ['fees/'] };
    const sigErr = (await adapter.getFees().catch((e: unknown) => e)) as DomainError;
    expect(sigErr).toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
    expect(sigErr.message).toContain('response signature invalid');
  });

  it('server rate limiting maps to RATE_LIMITED', async () => {
    const { adapter } = h.adapterFor(MAIN);
    h.emulator.faults.rateLimit = { perSecond: 2, perTenMinutes: 10_000 };
    const codes = new Set<string>();
    for (let i = 0; i < 4; i++) codes.add(await codeOf(adapter.placeOrder(limit({ clientOrderId: `r${i}` }))));
    expect(codes.has('RATE_LIMITED')).toBe(true);
  });
});
