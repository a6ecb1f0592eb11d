import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/domain/errors.ts';
import { type Market, validateOrder } from '../../src/domain/market.ts';
import { DECIMAL_RE, dec, roundDown } from '../../src/domain/money.ts';
import type { OrderRequest } from '../../src/domain/order.ts';

/**
 * validateOrder against an independent model: decimals counted on the string, values compared with
 * BigInt fixed-point arithmetic (not decimal.js, which the code under test uses).
 */
function fractionDigits(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.slice(i + 1).replace(/0+$/, '').length;
}
function toFixedPoint(s: string, scale: number): bigint {
  const [int, frac = ''] = s.split('.');
  return BigInt(int! + frac.padEnd(scale, '0').slice(0, scale));
}
/** amount × price < min, exactly. */
function belowMinimum(amount: string, price: string, min: string): boolean {
  const S = 40;
  return toFixedPoint(amount, S) * toFixedPoint(price, S) < toFixedPoint(min, S) * 10n ** BigInt(S);
}

const decimalArb = (maxInt: number, maxFrac: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: maxInt }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: maxFrac }))
    .map(([i, f]) => (f.length > 0 ? `${i}.${f}` : `${i}`))
    .filter((s) => DECIMAL_RE.test(s) && /[1-9]/.test(s));

const marketArb = fc.record({
  price_decimals: fc.integer({ min: 0, max: 8 }),
  amount_decimals: fc.integer({ min: 0, max: 8 }),
  min_order_value: fc.constantFrom('0.5', '1', '10', '25', '100.25'),
}).map(
  (r): Market => ({
    market: 'btcusd',
    name: 'BTC/USD',
    base: 'BTC',
    quote: 'USD',
    instant_order_counter_decimals: 2,
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
    ...r,
  }),
);

const limitOrderArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  // Mixes of small and large values so both sides of the minimum are reached often.
  amount: fc.oneof(decimalArb(0, 10), decimalArb(1000, 12)),
  price: fc.oneof(decimalArb(100, 4), decimalArb(100000, 10)),
});

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) };

describe('validateOrder (property)', () => {
  it('reports PRECISION_VIOLATION on amount/price exactly when they have more decimals than allowed', () => {
    const seen = { flagged: 0, clean: 0 };
    fc.assert(
      fc.property(marketArb, limitOrderArb, (m, o) => {
        const problems = validateOrder(m, { market: m.market, type: 'limit', ...o });
        const amountFlagged = problems.some((p) => p.code === 'PRECISION_VIOLATION' && p.field === 'amount');
        const priceFlagged = problems.some((p) => p.code === 'PRECISION_VIOLATION' && p.field === 'price');
        expect(amountFlagged).toBe(fractionDigits(o.amount) > m.amount_decimals);
        seen[amountFlagged ? 'flagged' : 'clean']++;
        expect(priceFlagged).toBe(fractionDigits(o.price) > m.price_decimals);
        if (amountFlagged)
          expect(problems.find((p) => p.field === 'amount' && p.code === 'PRECISION_VIOLATION')!.message).toBe(
            `amount ${o.amount} has ${fractionDigits(o.amount)} decimals; btcusd allows ${m.amount_decimals}`,
          );
      }),
      RUNS,
    );
    // The generators reach both sides of the rule (otherwise the property proves nothing).
    expect(seen.flagged).toBeGreaterThan(RUNS.numRuns / 10);
    expect(seen.clean).toBeGreaterThan(RUNS.numRuns / 10);
  });

  it('reports BELOW_MINIMUM exactly when amount × price is below the minimum order value', () => {
    const seen = { below: 0, above: 0 };
    fc.assert(
      fc.property(marketArb, limitOrderArb, (m, o) => {
        const problems = validateOrder(m, { market: m.market, type: 'limit', ...o });
        const below = belowMinimum(o.amount, o.price, m.min_order_value);
        expect(problems.some((p) => p.code === 'BELOW_MINIMUM')).toBe(below);
        seen[below ? 'below' : 'above']++;
      }),
      RUNS,
    );
    expect(seen.below).toBeGreaterThan(RUNS.numRuns / 20);
    expect(seen.above).toBeGreaterThan(RUNS.numRuns / 20);
  });

  it('never accepts an order that breaks a rule, and every problem carries a contract code and a message', () => {
    fc.assert(
      fc.property(marketArb, limitOrderArb, (m, o) => {
        const problems = validateOrder(m, { market: m.market, type: 'limit', ...o });
        for (const p of problems) {
          expect(ERROR_CODES).toContain(p.code);
          expect(p.message.length).toBeGreaterThan(10);
        }
        if (problems.length === 0) {
          expect(fractionDigits(o.amount)).toBeLessThanOrEqual(m.amount_decimals);
          expect(fractionDigits(o.price)).toBeLessThanOrEqual(m.price_decimals);
          expect(belowMinimum(o.amount, o.price, m.min_order_value)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('an amount rounded down to the market step never has a precision problem', () => {
    fc.assert(
      fc.property(marketArb, limitOrderArb, (m, o) => {
        const rounded = roundDown(dec(o.amount), m.amount_decimals);
        fc.pre(rounded.gt(0));
        const problems = validateOrder(m, { market: m.market, type: 'limit', ...o, amount: rounded.toFixed() });
        expect(problems.filter((p) => p.field === 'amount' && p.code === 'PRECISION_VIOLATION')).toEqual([]);
        expect(fractionDigits(rounded.toFixed())).toBeLessThanOrEqual(m.amount_decimals);
      }),
      RUNS,
    );
  });

  it('market orders: minimum checked against the reference price when one is given', () => {
    fc.assert(
      fc.property(marketArb, decimalArb(1000, 10), fc.option(decimalArb(100000, 4), { nil: undefined }), (m, amount, ref) => {
        const order: OrderRequest = { market: m.market, side: 'buy', type: 'market', amount };
        const problems = validateOrder(m, order, ref === undefined ? {} : { referencePrice: ref });
        const below = problems.some((p) => p.code === 'BELOW_MINIMUM');
        expect(below).toBe(ref !== undefined && belowMinimum(amount, ref, m.min_order_value));
        expect(problems.some((p) => p.code === 'PRECISION_VIOLATION')).toBe(fractionDigits(amount) > m.amount_decimals);
      }),
      RUNS,
    );
  });

  it('reports every problem at once, not just the first', () => {
    fc.assert(
      fc.property(marketArb, (m) => {
        fc.pre(m.amount_decimals < 8 && m.price_decimals < 8);
        const amount = `0.${'0'.repeat(m.amount_decimals)}1`; // one decimal too many, and tiny
        const price = `1.${'0'.repeat(m.price_decimals)}1`;
        const codes = validateOrder(m, { market: m.market, side: 'buy', type: 'limit', amount, price }).map((p) => `${p.code}:${p.field}`);
        expect(codes).toEqual(expect.arrayContaining(['PRECISION_VIOLATION:amount', 'PRECISION_VIOLATION:price', 'BELOW_MINIMUM:amount']));
      }),
      RUNS,
    );
  });
});
