import { describe, expect, it } from 'vitest';
import { type Market, orderNotional, stepSize, tickSize, validateOrder } from '../../src/domain/market.ts';

const btcusd: Market = {
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
};

describe('market rules', () => {
  it('derives tick and step sizes from the decimals', () => {
    expect(tickSize(btcusd)).toBe('1');
    expect(stepSize(btcusd)).toBe('0.00000001');
    expect(tickSize({ ...btcusd, price_decimals: 2 })).toBe('0.01');
  });

  it('accepts a valid limit order', () => {
    expect(validateOrder(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '50000' })).toEqual([]);
  });

  it('explains precision and minimum problems as CONTRACT.md shows', () => {
    expect(validateOrder(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.123456789', price: '50000.5' })).toEqual([
      { code: 'PRECISION_VIOLATION', field: 'amount', message: 'amount 0.123456789 has 9 decimals; btcusd allows 8' },
      { code: 'PRECISION_VIOLATION', field: 'price', message: 'price 50000.5 has 1 decimals; btcusd allows 0' },
    ]);
    expect(validateOrder(btcusd, { market: 'btcusd', side: 'sell', type: 'limit', amount: '0.0001', price: '50000' })).toEqual([
      { code: 'BELOW_MINIMUM', field: 'amount', message: 'order value 5 USD is below the minimum 10 USD for btcusd' },
    ]);
  });

  it('trailing zeros are not extra precision; exactly the minimum is accepted', () => {
    expect(validateOrder(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.00020000000', price: '50000' })).toEqual([]);
  });

  it('checks market state and field combinations', () => {
    const codes = (m: Market, o: Parameters<typeof validateOrder>[1]) => validateOrder(m, o).map((p) => `${p.code}:${p.field}`);
    expect(codes({ ...btcusd, trading_enabled: false }, { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '50000' })).toEqual([
      'MARKET_DISABLED:market',
    ]);
    expect(codes({ ...btcusd, instant_and_market_orders_enabled: false }, { market: 'btcusd', side: 'buy', type: 'market', amount: '1' })).toEqual([
      'MARKET_DISABLED:type',
    ]);
    expect(codes(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '1' })).toEqual(['INVALID_ARGUMENT:price']);
    expect(codes(btcusd, { market: 'btcusd', side: 'buy', type: 'market', amount: '1', price: '5' })).toEqual(['INVALID_ARGUMENT:price']);
    expect(codes(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '50000', time_in_force: 'gtd' })).toEqual([
      'INVALID_ARGUMENT:expire_time',
    ]);
    expect(codes(btcusd, { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '50000', time_in_force: 'ioc', post_only: true })).toEqual([
      'INVALID_ARGUMENT:post_only',
    ]);
    const past = validateOrder(
      btcusd,
      { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '50000', time_in_force: 'gtd', expire_time: '2026-01-01T00:00:00Z' },
      { now: new Date('2026-02-01T00:00:00Z') },
    );
    expect(past.map((p) => p.message)).toEqual(['expire_time 2026-01-01T00:00:00Z is not in the future']);
  });

  it('computes the notional from the price or a reference price', () => {
    expect(orderNotional({ amount: '0.5', price: '100.10' })).toBe('50.05');
    expect(orderNotional({ amount: '2' }, '3.5')).toBe('7');
    expect(orderNotional({ amount: '2' })).toBeUndefined();
  });
});
