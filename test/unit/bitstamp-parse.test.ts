import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { bitstampErrorToDomain, classifyBitstampError, readErrorBody } from '../../src/exchanges/bitstamp/errors.ts';
import { loadBundledSnapshot, parseCurrencies, parseMarkets, readSnapshotRaw } from '../../src/exchanges/bitstamp/metadata.ts';
import {
  bitstampDatetimeToIso,
  feeSchema,
  inferLiquidity,
  orderStatusSchema,
  parseReply,
  toFeeReport,
  toOrderStatusReport,
  userTransactionSchema,
  userTransactionToFill,
} from '../../src/exchanges/bitstamp/parse.ts';
import { BitstampRateLimiter } from '../../src/exchanges/bitstamp/rate-limit.ts';
import { limitParams } from '../../src/exchanges/bitstamp/adapter.ts';

const code = (body: unknown, status = 200): string => {
  const info = readErrorBody(body, status);
  return info ? classifyBitstampError(info, status) : 'not-an-error';
};

describe('Bitstamp error mapping', () => {
  it.each([
    [{ status: 'error', reason: 'Invalid nonce', code: 'API0004' }, 403, 'EXCHANGE_REJECTED'],
    [{ status: 'error', reason: { __all__: ['You have only 0.1 BTC available. Check your account balance for details.'] } }, 200, 'INSUFFICIENT_FUNDS'],
    [{ status: 'error', reason: { __all__: ['You need 5923.6 USD to open that order. You have only 1 USD available.'] } }, 200, 'INSUFFICIENT_FUNDS'],
    [{ status: 'error', reason: { __all__: ['Minimum order size is 10 USD.'] } }, 200, 'BELOW_MINIMUM'],
    [{ status: 'error', reason: 'x', response_code: '400.020' }, 400, 'BELOW_MINIMUM'],
    [{ status: 'error', reason: { amount: ['Ensure that there are no more than 8 decimal places.'], __all__: [''] } }, 200, 'PRECISION_VIOLATION'],
    [{ status: 'error', reason: 'Rate limit exceeded', response_code: '400.002' }, 400, 'RATE_LIMITED'],
    [{ status: 'error', reason: 'Order not found' }, 200, 'ORDER_NOT_FOUND'],
    [{ message: 'Not found.' }, 404, 'ORDER_NOT_FOUND'],
    [{ error: 'No permission found' }, 200, 'EXCHANGE_REJECTED'],
    [{ status: 'error', reason: { __all__: ['Price is more than 20% above market price.'] } }, 200, 'EXCHANGE_REJECTED'],
    [{ status: 'error', reason: 'Trading is disabled.', response_code: '400.003' }, 200, 'MARKET_DISABLED'],
  ])('%j (HTTP %i) -> %s', (body, status, expected) => {
    expect(code(body, status)).toBe(expected);
  });

  it('does not treat success bodies as errors', () => {
    expect(code([{ currency: 'usd' }])).toBe('not-an-error');
    expect(code({ id: '1', datetime: 'x' })).toBe('not-an-error');
  });

  it('auth errors say "authentication failed" and name the field of validation errors', () => {
    const auth = bitstampErrorToDomain({ reason: 'Invalid signature', code: 'API0005' }, 403, 'account_balances/');
    expect(auth.message).toMatch(/^Bitstamp authentication failed: Invalid signature \(API0005\)/);
    const info = readErrorBody({ status: 'error', reason: { price: ['Ensure that there are no more than 0 decimal places.'], __all__: [''] } }, 200);
    expect(info).toEqual({ reason: 'price: Ensure that there are no more than 0 decimal places.', field: 'price' });
  });

  it('quotes the exchange briefly and never echoes our auth header or signature back', () => {
    const sig = 'ab'.repeat(32);
    const echo = `Invalid request: X-Auth: BITSTAMP KEYabc123secretlooking X-Auth-Signature: ${sig} ${'x'.repeat(500)}`;
    const e = bitstampErrorToDomain({ reason: echo, code: 'API0005' }, 403, 'buy/btcusd/');
    expect(e.message).not.toContain('KEYabc123secretlooking');
    expect(e.message).not.toContain(sig);
    expect(e.message).toContain('BITSTAMP [redacted]');
    expect(e.message.length).toBeLessThan(400);
    expect(e.code).toBe('EXCHANGE_REJECTED');
  });
});

describe('Bitstamp reply parsing', () => {
  it('maps an order_status reply (cancelled after a partial fill) with its fills', () => {
    const raw = {
      id: 1458532827766784,
      datetime: '2022-01-31 14:43:15',
      type: '0',
      status: 'Canceled',
      market: 'BTC/USD',
      amount_remaining: '0.00300000',
      client_order_id: 'abc',
      transactions: [{ tid: 8785656, price: '4451.25000000', fee: '0.11128', datetime: '2021-11-25 12:59:59.322000', type: 2, btc: '0.00500000', usd: '22.25625000' }],
    };
    const o = parseReply(orderStatusSchema, raw, 'read', 'order_status/');
    const r = toOrderStatusReport(o, 'order_status/', '2026-01-01T00:00:00.000Z');
    expect(r).toEqual({
      exchangeOrderId: '1458532827766784',
      clientOrderId: 'abc',
      market: 'btcusd',
      side: 'buy',
      state: 'cancelled',
      amount: '0.008',
      filledAmount: '0.005',
      fills: [
        {
          fillId: '1458532827766784:8785656',
          exchangeOrderId: '1458532827766784',
          clientOrderId: 'abc',
          market: 'btcusd',
          side: 'buy',
          amount: '0.005',
          price: '4451.25',
          fee: '0.11128',
          feeCurrency: 'USD',
          liquidity: 'taker',
          at: '2021-11-25T12:59:59.322Z',
        },
      ],
      at: '2022-01-31T14:43:15.000Z',
    });
  });

  it('maps a user_transactions trade row (sell: negative base) and skips deposits', () => {
    const sell = parseReply(userTransactionSchema, { id: 42, datetime: '2021-11-25 12:59:59.322000', type: '2', fee: '0.11128', order_id: 7, btc: '-0.005', usd: '22.26', eur: 0.0, btc_usd: 4451.25 }, 'read', 'x');
    expect(userTransactionToFill(sell, 'x')).toMatchObject({ fillId: '7:42', exchangeOrderId: '7', market: 'btcusd', side: 'sell', amount: '0.005', price: '4451.25', fee: '0.11128', feeCurrency: 'USD' });
    const deposit = parseReply(userTransactionSchema, { id: 1, datetime: '2021-11-25 12:00:00', type: '0', fee: '0.00', usd: '100' }, 'read', 'x');
    expect(userTransactionToFill(deposit, 'x')).toBeUndefined();
  });

  it('converts fee percents to fractions', () => {
    const f = parseReply(feeSchema, { currency_pair: 'btcusd', market: 'btcusd', fees: { maker: '0.15000', taker: '0.16000' } }, 'read', 'fees/trading/');
    expect(toFeeReport(f)).toEqual({ market: 'btcusd', maker: '0.0015', taker: '0.0016' });
  });

  it('a malformed reply is EXCHANGE_UNAVAILABLE for reads and OUTCOME_UNKNOWN for writes, naming the field', () => {
    const bad = { id: 1, datetime: 'x', type: '0', status: 'Open', market: 'BTC/USD', amount_remaining: 'lots', transactions: [] };
    const read = (() => {
      try {
        parseReply(orderStatusSchema, bad, 'read', 'order_status/');
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(read).toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
    expect(read?.message).toContain('amount_remaining');
    expect(() => parseReply(orderStatusSchema, null, 'write', 'buy/')).toThrowError(expect.objectContaining({ code: 'OUTCOME_UNKNOWN' }) as Error);
  });

  it('reads Bitstamp datetimes as UTC', () => {
    expect(bitstampDatetimeToIso('2019-01-31 21:23:36')).toBe('2019-01-31T21:23:36.000Z');
    expect(bitstampDatetimeToIso('2021-11-25 12:59:59.322000')).toBe('2021-11-25T12:59:59.322Z');
    expect(bitstampDatetimeToIso('yesterday')).toBeUndefined();
  });

  it('infers maker/taker from the fee rate charged', () => {
    const rates = new Map([['btcusd', { maker: '0.003', taker: '0.004' }]]);
    expect(inferLiquidity('btcusd', '1', '100', '0.3', rates)).toBe('maker');
    expect(inferLiquidity('btcusd', '1', '100', '0.4', rates)).toBe('taker');
    expect(inferLiquidity('btcusd', '1', '100', '0', rates)).toBe('maker');
    expect(inferLiquidity('btcusd', '1', '100', '0.3')).toBe('taker');
  });
});

describe('Bitstamp order params', () => {
  const cmd = { clientOrderId: 'c', market: 'btcusd', side: 'buy' as const, type: 'limit' as const, amount: '1', price: '2', postOnly: false };
  it('sends one TIF flag, expire_time in ms, post_only as moc_order', () => {
    expect(limitParams({ ...cmd, timeInForce: 'gtc' })).toEqual({ amount: '1', price: '2', client_order_id: 'c' });
    expect(limitParams({ ...cmd, timeInForce: 'ioc' }).ioc_order).toBe('True');
    expect(limitParams({ ...cmd, timeInForce: 'fok' }).fok_order).toBe('True');
    expect(limitParams({ ...cmd, timeInForce: 'daily' }).daily_order).toBe('True');
    expect(limitParams({ ...cmd, timeInForce: 'gtd', expireTime: '2026-01-02T00:00:00Z' })).toMatchObject({ gtd_order: 'True', expire_time: '1767312000000' });
    expect(limitParams({ ...cmd, timeInForce: 'gtc', postOnly: true }).moc_order).toBe('True');
    expect(() => limitParams({ ...cmd, timeInForce: 'ioc', postOnly: true })).toThrow(/post_only/);
  });
});

describe('Bitstamp metadata', () => {
  // The snapshot starts with the ten recorded entries of bitstamp-samples/markets.json, verbatim.
  const samples = (readSnapshotRaw().markets as unknown[]).slice(0, 10);
  it('maps the recorded /markets/ reply, skipping non-SPOT markets', () => {
    const markets = parseMarkets(samples);
    expect(markets.map((m) => m.market)).toEqual(['btcusd', 'btceur', 'ltcusd', 'ethusd', 'btcusdt', 'xrpusdt', 'ethusdt', 'linkusd']);
    expect(markets[0]).toEqual({
      market: 'btcusd',
      name: 'BTC/USD',
      base: 'BTC',
      quote: 'USD',
      price_decimals: 0,
      amount_decimals: 8,
      instant_order_counter_decimals: 2,
      min_order_value: '10',
      trading_enabled: true,
      instant_and_market_orders_enabled: true,
    });
  });

  it('rejects malformed replies with EXCHANGE_UNAVAILABLE', () => {
    expect(() => parseMarkets({ not: 'an array' })).toThrowError(expect.objectContaining({ code: 'EXCHANGE_UNAVAILABLE' }) as Error);
    expect(() => parseMarkets([{ name: 'X', base_decimals: '8' }])).toThrowError(/malformed Bitstamp markets reply: entry 0/);
    expect(() => parseCurrencies([{ currency: 'BTC' }])).toThrowError(expect.objectContaining({ code: 'EXCHANGE_UNAVAILABLE' }) as Error);
  });

  it('the bundled snapshot parses and has a currency for every market side', () => {
    const snap = loadBundledSnapshot();
    expect(snap.markets.length).toBeGreaterThanOrEqual(12);
    const codes = new Set(snap.currencies.map((c) => c.code));
    for (const m of snap.markets) {
      expect(codes.has(m.base)).toBe(true);
      expect(codes.has(m.quote)).toBe(true);
    }
    expect(snap.currencies.find((c) => c.code === 'USD')).toEqual({ code: 'USD', name: 'U.S. dollar', decimals: 2, type: 'fiat', enabled: true });
  });
});

describe('client-side rate limiter', () => {
  it('allows bursts up to the per-second capacity, then asks to wait; refills with the clock', () => {
    const clock = new ManualClock(0);
    const rl = new BitstampRateLimiter(clock, { perSecond: 3, perTenMinutes: 100 });
    expect([rl.tryAcquire(), rl.tryAcquire(), rl.tryAcquire()]).toEqual([0, 0, 0]);
    expect(rl.tryAcquire()).toBeGreaterThan(0);
    clock.advance(334);
    expect(rl.tryAcquire()).toBe(0);
  });
  it('enforces the 10-minute window too', () => {
    const clock = new ManualClock(0);
    const rl = new BitstampRateLimiter(clock, { perSecond: 1000, perTenMinutes: 5 });
    for (let i = 0; i < 5; i++) expect(rl.tryAcquire()).toBe(0);
    expect(rl.tryAcquire()).toBeGreaterThanOrEqual(100_000);
  });
});
