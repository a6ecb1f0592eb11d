/**
 * The ccxt adapter's capability branches and error mapping, on a fake ccxt-like exchange injected
 * through the factory: no client order ids (read-only), no watchOrders (polling), watch with
 * reconnects, and network errors after a send (OUTCOME_UNKNOWN, sent once).
 */
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import type { AccountKey, AccountRecord } from '../../src/domain/account.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { ExchangeEvent } from '../../src/exchanges/adapter.ts';
import type { CcxtAdapter } from '../../src/exchanges/ccxt/adapter.ts';
import type { CcxtCredentials } from '../../src/exchanges/ccxt/ccxt-like.ts';
import { createCcxtAdapterFactory } from '../../src/exchanges/ccxt/factory.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { eventually } from '../bitstamp-emulator/harness.ts';
import { errorCodeOf, limitCommand } from '../fixtures/adapter-commands.ts';
import { FakeCcxt, FakeCcxtPro } from '../fixtures/fake-ccxt.ts';

const CREDS: CcxtCredentials = { apiKey: 'key-AAAA-1111', secret: 'secret-BBBB-2222' };

function record(exchange: string): AccountRecord {
  const now = '2026-01-01T00:00:00.000Z';
  const account = { name: `${exchange}-1`, exchange, exchange_account_id: 'acc1', mode: 'live', enabled: true, created_at: now, updated_at: now, limits: {} } as const;
  return { key: 1 as AccountKey, ref: `${exchange}:acc1`, account: account as unknown as AccountRecord['account'] };
}

function build(fake: FakeCcxt, creds: CcxtCredentials | null = CREDS): { adapter: CcxtAdapter; events: ExchangeEvent[]; configs: Array<{ enableRateLimit: boolean }>; states: string[] } {
  const configs: Array<{ enableRateLimit: boolean }> = [];
  const states: string[] = [];
  const factory = createCcxtAdapterFactory({
    clock: new ManualClock(1_700_000_000_000),
    logger: silentLogger(),
    credentialsFor: () => creds ?? undefined,
    marketsFor: () => ['btcusd'],
    pollIntervalMs: 20,
    watchRetryMs: 10,
    onConnectionState: (r, state) => states.push(`${r.ref} ${state}`),
    create: (id, config) => {
      configs.push(config);
      expect(id).toBe(fake.id);
      return fake;
    },
  });
  const adapter = factory(record(fake.id));
  const events: ExchangeEvent[] = [];
  adapter.subscribe((e) => events.push(e));
  return { adapter, events, configs, states };
}

describe('ccxt adapter: orders with the client order id', () => {
  it('one instance per account with the rate limiter on; the client order id goes in ccxt\'s unified param', async () => {
    const fake = new FakeCcxt('kraken', { fetchClosedOrders: true });
    const { adapter, configs } = build(fake);
    expect(configs).toEqual([{ enableRateLimit: true }]);
    const ack = await adapter.placeOrder(limitCommand({ clientOrderId: 'cid-7', amount: '0.25', price: '50000', postOnly: true }));
    expect(fake.creates).toEqual([{ symbol: 'BTC/USD', type: 'limit', side: 'buy', amount: 0.25, price: 50000, params: { clientOrderId: 'cid-7', postOnly: true } }]);
    expect(fake.apiKey).toBe(CREDS.apiKey);
    const q = await adapter.queryOrder({ clientOrderId: 'cid-7' });
    expect(q).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: 'cid-7', market: 'btcusd', state: 'open', amount: '0.25' });
    expect(await adapter.queryOrder({ clientOrderId: 'never' })).toBeNull();
  });

  it('without credentials nothing is sent: NO_CREDENTIALS', async () => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter } = build(fake, null);
    expect(await errorCodeOf(adapter.placeOrder(limitCommand()))).toBe('NO_CREDENTIALS');
    expect(await errorCodeOf(adapter.getBalances())).toBe('NO_CREDENTIALS');
    expect(fake.creates).toEqual([]);
  });

  it('a passphrase the exchange requires and nobody set is NO_CREDENTIALS naming it; with it, it is handed to ccxt', async () => {
    const fake = new FakeCcxt('kucoin', {});
    fake.requiredCredentials = { apiKey: true, secret: true, password: true };
    const e = await build(fake).adapter.getBalances().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'NO_CREDENTIALS' });
    expect(String((e as Error).message)).toMatch(/kucoin needs password .*--with-password/);
    const withPass = new FakeCcxt('kucoin', {});
    withPass.requiredCredentials = fake.requiredCredentials;
    await build(withPass, { ...CREDS, password: 'pass-CCCC-3333' }).adapter.getBalances();
    expect(withPass.password).toBe('pass-CCCC-3333');
  });

  it('an exchange without client order ids refuses trading, saying why; balances and fees still work', async () => {
    const fake = new FakeCcxt('coinspot', { fetchTradingFees: true });
    const { adapter } = build(fake);
    expect(adapter.readOnlyReason).toMatch(/coinspot has no client order ids/);
    const e = await adapter.placeOrder(limitCommand()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EXCHANGE_REJECTED' });
    expect(String((e as Error).message)).toMatch(/read-only.*the order was not placed/);
    expect(fake.creates).toEqual([]);
    expect(await adapter.getBalances()).toEqual([
      { currency: 'BTC', total: '2', available: '2', reserved: '0' },
      { currency: 'USD', total: '1000.5', available: '900.5', reserved: '100' },
    ]);
    expect(await adapter.getFees()).toEqual([{ market: 'btcusd', maker: '0.001', taker: '0.002' }]);
  });
});

describe('ccxt adapter: errors', () => {
  it('a network error after the send is OUTCOME_UNKNOWN and the order is sent once, never again', async () => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter } = build(fake);
    fake.failNext.createOrder = new ccxt.RequestTimeout(`kraken POST https://api.kraken.com/0/private/AddOrder?nonce=1&sig=x request timed out (key ${CREDS.apiKey})`);
    const e = await adapter.placeOrder(limitCommand()).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
    expect(fake.creates).toHaveLength(1);
    // Neither the key nor the signed query string are repeated.
    expect(String((e as Error).message)).not.toContain(CREDS.apiKey);
    expect(String((e as Error).message)).not.toContain('sig=x');
  });

  it.each([
    [new ccxt.InsufficientFunds('no money'), 'place', 'INSUFFICIENT_FUNDS'],
    [new ccxt.InvalidOrder('bad'), 'place', 'EXCHANGE_REJECTED'],
    [new ccxt.RateLimitExceeded('429'), 'place', 'RATE_LIMITED'],
    [new ccxt.AuthenticationError('bad key'), 'place', 'EXCHANGE_REJECTED'],
    [new ccxt.NetworkError('reset'), 'read', 'EXCHANGE_UNAVAILABLE'],
    [new ccxt.ExchangeNotAvailable('503'), 'read', 'EXCHANGE_UNAVAILABLE'],
    [new ccxt.OrderNotFound('gone'), 'cancel', 'ORDER_NOT_FOUND'],
    [new ccxt.NetworkError('reset'), 'cancel', 'OUTCOME_UNKNOWN'],
  ] as const)('%s on %s is %s', async (err, kind, code) => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter } = build(fake);
    if (kind === 'place') {
      fake.failNext.createOrder = err;
      expect(await errorCodeOf(adapter.placeOrder(limitCommand()))).toBe(code);
    } else if (kind === 'read') {
      fake.failNext.fetchBalance = err;
      expect(await errorCodeOf(adapter.getBalances())).toBe(code);
    } else {
      const ack = await adapter.placeOrder(limitCommand());
      fake.failNext.cancelOrder = err;
      expect(await errorCodeOf(adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe(code);
    }
  });

  it('a plain refusal to cancel an order that is no longer open is ORDER_NOT_FOUND', async () => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter } = build(fake);
    const ack = await adapter.placeOrder(limitCommand());
    await adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect(await errorCodeOf(adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId }))).toBe('ORDER_NOT_FOUND');
    expect(await errorCodeOf(adapter.cancelOrder({ clientOrderId: 'never' }))).toBe('ORDER_NOT_FOUND');
  });
});

describe('ccxt adapter: order updates', () => {
  it('without watchOrders it polls: connected, order updates, fills; a failed round and a good one reconnect', async () => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter, events, states } = build(fake);
    expect(adapter.capabilities.watchOrders).toBe(false);
    const ack = await adapter.placeOrder(limitCommand({ clientOrderId: 'p-1' }));
    await adapter.start();
    await eventually(() => events.some((e) => e.type === 'connected'));
    await eventually(() => events.some((e) => e.type === 'order_update' && e.report.exchangeOrderId === ack.exchangeOrderId && e.report.state === 'open'));
    fake.fill(ack.exchangeOrderId, 59000, 1_700_000_000_500);
    const fill = await eventually(() => events.flatMap((e) => (e.type === 'fill' ? [e.fill] : []))[0]);
    expect(fill).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, market: 'btcusd', amount: '0.1', price: '59000', fee: '0.5', feeCurrency: 'USD' });
    // The order left the open list: it is queried and reported filled.
    await eventually(() => events.some((e) => e.type === 'order_update' && e.report.exchangeOrderId === ack.exchangeOrderId && e.report.state === 'filled'));
    const fills = events.filter((e) => e.type === 'fill').length;
    fake.failNext.fetchOpenOrders = new ccxt.NetworkError('down');
    await eventually(() => events.some((e) => e.type === 'disconnected'));
    await eventually(() => events.filter((e) => e.type === 'connected').length === 2);
    expect(events.filter((e) => e.type === 'fill').length).toBe(fills); // the same fill is not reported twice
    expect(states.slice(0, 3)).toEqual(['kraken:acc1 live', 'kraken:acc1 backoff', 'kraken:acc1 live']);
    await adapter.close();
  });

  it('with watchOrders and watchMyTrades it watches (per market on bitstamp) and each reconnect is reported', async () => {
    const fake = new FakeCcxtPro('bitstamp', { watchOrders: true, watchMyTrades: true });
    const { adapter, events } = build(fake);
    await adapter.start();
    await eventually(() => events.some((e) => e.type === 'connected'));
    expect(fake.watchedSymbols).toEqual(['BTC/USD']);
    fake.pushOrders([{ id: '77', clientOrderId: 'w-1', symbol: 'BTC/USD', side: 'sell', status: 'open', amount: 0.5, filled: 0.2 }]);
    fake.pushTrades([{ id: 't1', order: '77', symbol: 'BTC/USD', side: 'sell', amount: 0.2, price: 61000, fee: { cost: 1.2, currency: 'USD' }, takerOrMaker: 'maker', timestamp: 1_700_000_000_000 }]);
    await eventually(() => events.some((e) => e.type === 'order_update' && e.report.filledAmount === '0.2' && e.report.clientOrderId === 'w-1'));
    await eventually(() => events.some((e) => e.type === 'fill' && e.fill.liquidity === 'maker' && e.fill.fillId === 't1'));
    fake.drop(new ccxt.NetworkError('socket closed'));
    await eventually(() => events.some((e) => e.type === 'disconnected'));
    // The loops watch again, ccxt reconnects: a second `connected`, on which the runtime reconciles.
    await eventually(() => events.filter((e) => e.type === 'connected').length === 2);
    await adapter.close();
    expect(fake.closed).toBe(true);
  });

  it('no stream starts without credentials', async () => {
    const fake = new FakeCcxtPro('bitstamp', { watchOrders: true, watchMyTrades: true });
    const { adapter } = build(fake, null);
    await adapter.start();
    expect(fake.watchedSymbols).toEqual([]);
  });
});

describe('ccxt adapter: cancel all', () => {
  it('without cancelAllOrders in `has` it cancels the open orders one by one', async () => {
    const fake = new FakeCcxt('kraken', {});
    const { adapter } = build(fake);
    const a = await adapter.placeOrder(limitCommand({ clientOrderId: 'ca-1' }));
    const b = await adapter.placeOrder(limitCommand({ clientOrderId: 'ca-2' }));
    expect((await adapter.cancelAllOrders('btcusd')).sort()).toEqual([a.exchangeOrderId, b.exchangeOrderId].sort());
    expect(await adapter.listOpenOrders()).toEqual([]);
  });
});
