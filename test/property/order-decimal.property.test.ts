/**
 * The order machine's exact BigInt arithmetic (machines/order.decimal.ts) must give byte-identical
 * results to the decimal.js code it short-cuts (money.ts D: 40 significant digits, half-even),
 * including long operands where decimal.js rounds, ties, and inputs only decimal.js understands.
 */
import { fc, test } from '@fast-check/vitest';
import { Decimal } from 'decimal.js';
import { describe, expect } from 'vitest';
import { D, decStr } from '../../src/domain/money.ts';
import { canonicalOrUndefined, cmpPlain, divRoundedStr, shortQuotientStr } from '../../machines/order.decimal.ts';
import { gte, mergeFills, mergeFillsDecimal, mergeFillsExact, mergeFillsSmall, SLOW, sumReaches } from '../../machines/order.fills.ts';
import { AVERAGE_PRICE_DECIMALS, averagePriceOf } from '../../machines/order.projection.ts';
import type { FillRecord, OrderContext } from '../../machines/order.types.ts';

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Plain decimals of every length (leading/trailing zeros included), a few special forms decimal.js also reads. */
const decimalArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(digits(1, 22), fc.option(digits(1, 22), { nil: undefined })).map(([i, f]) => (f === undefined ? i : `${i}.${f}`)) },
  { weight: 3, arbitrary: fc.constantFrom('0', '1', '0.01', '0.5', '2.5', '100', '0.1', '0.3', '99.5', '50000') },
  { weight: 1, arbitrary: fc.constantFrom('1e-3', '2E+2', '.5', '0.10', '007', '-0', '-0.5') },
);
const positiveArb = decimalArb.filter((s) => new D(s).gt(0));

/** The pre-optimisation average price, verbatim. */
function averageReference(filledAmount: string, filledNotional: string): string | undefined {
  const filled = new D(filledAmount);
  if (filled.lte(0)) return undefined;
  return decStr(new D(filledNotional).div(filled).toDecimalPlaces(AVERAGE_PRICE_DECIMALS, Decimal.ROUND_HALF_EVEN));
}

function ctxOf(amount: string, filledAmount: string, filledNotional: string, feeTotal: string, fillIds: string[]): OrderContext {
  return {
    orderId: 'O1', account: 'paper:x', clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'limit', timeInForce: 'gtc',
    amount, price: '1', postOnly: false, createdAt: 't', updatedAt: 't', filledAmount, filledNotional, feeTotal, fillIds, cancelRequested: false,
  };
}

describe('order decimal fast path equals decimal.js', () => {
  test.prop([decimalArb, decimalArb], { numRuns: 2000 })('cmpPlain / gte', (a, b) => {
    const c = cmpPlain(a, b);
    if (c !== undefined) expect(c).toBe(new D(a).comparedTo(b));
    expect(gte(a, b)).toBe(new D(a).gte(b));
  });

  test.prop([decimalArb], { numRuns: 1000 })('canonical strings are what decStr prints', (a) => {
    const c = canonicalOrUndefined(a);
    if (c !== undefined) expect(c).toBe(decStr(a));
  });

  test.prop([decimalArb, decimalArb, decimalArb], { numRuns: 2000 })('sumReaches', (filled, more, amount) => {
    expect(sumReaches(filled, more, amount)).toBe(new D(filled).plus(more).gte(amount));
  });

  test.prop([decimalArb, positiveArb], { numRuns: 3000 })('average price', (notional, filled) => {
    const reference = averageReference(filled, notional);
    expect(averagePriceOf({ filledAmount: filled, filledNotional: notional })).toBe(reference);
    const short = shortQuotientStr(notional, filled);
    if (short !== undefined) expect(short).toBe(reference);
    if (/^\d+(\.\d+)?$/.test(notional) && /^\d+(\.\d+)?$/.test(filled)) expect(divRoundedStr(notional, filled, AVERAGE_PRICE_DECIMALS)).toBe(reference);
  });

  test.prop([fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 10 ** 6 }), fc.integer({ min: 0, max: 8 })], { numRuns: 2000 })(
    'average price of short terminating quotients (the Number path)',
    (q, qScale, f, fScale) => {
      const filled = new D(f).div(new D(10).pow(fScale)).toFixed();
      const notional = new D(q).div(new D(10).pow(qScale)).times(filled).toFixed();
      expect(averagePriceOf({ filledAmount: filled, filledNotional: notional })).toBe(averageReference(filled, notional));
      const short = shortQuotientStr(notional, filled);
      if (short !== undefined) expect(short).toBe(averageReference(filled, notional));
    },
  );

  test.prop([digits(30, 45).filter((d) => /[1-9]/.test(d)), digits(1, 20).filter((d) => /[1-9]/.test(d)), fc.integer({ min: 0, max: 30 })], { numRuns: 2000 })(
    'average price on exact ties at the 40th digit and at the 18th place',
    (q, f, shift) => {
      // notional = (q ending in 5) * f / 10^shift: the quotient is q5 / 10^shift, a tie for one of the roundings.
      const quotient = new D(`${q}5`).div(new D(10).pow(shift));
      const notional = Decimal.clone({ precision: 200 }).mul(quotient.toFixed(), f).toFixed();
      expect(averagePriceOf({ filledAmount: f, filledNotional: notional })).toBe(averageReference(f, notional));
      expect(divRoundedStr(notional, f, AVERAGE_PRICE_DECIMALS)).toBe(averageReference(f, notional));
    },
  );

  const fillArb = fc.record({
    fillId: fc.constantFrom('a', 'b', 'c', 'd'),
    amount: decimalArb.filter((s) => !s.startsWith('-')),
    price: decimalArb.filter((s) => !s.startsWith('-')),
    fee: decimalArb,
  });
  test.prop(
    [positiveArb, decimalArb.filter((s) => !s.startsWith('-')), decimalArb, decimalArb, fc.subarray(['a', 'x']), fc.array(fillArb, { maxLength: 5 })],
    { numRuns: 3000 },
  )('mergeFills', (amount, filled, notional, fees, ids, fills) => {
    const ctx = ctxOf(amount, filled, notional, fees, ids);
    const records: FillRecord[] = fills.map((f) => ({ ...f, feeCurrency: 'usd', liquidity: 'maker', at: 't' }));
    const reference = mergeFillsDecimal(ctx, records);
    expect(mergeFills(ctx, records)).toEqual(reference);
    // Each faster path either answers exactly the reference or declines.
    for (const path of [mergeFillsSmall, mergeFillsExact]) {
      const r = path(ctx, records);
      if (r !== SLOW) expect(r).toEqual(reference);
    }
  });

  test('the Number path declines what it cannot hold exactly', () => {
    const ctx = ctxOf('90071992547409.91', '0', '0', '0', []);
    const fill: FillRecord = { fillId: 'a', amount: '90071992547409.91', price: '3', fee: '0', feeCurrency: 'usd', liquidity: 'maker', at: 't' };
    expect(mergeFillsSmall(ctx, [fill])).toBe(SLOW);
    expect(mergeFills(ctx, [fill])).toEqual(mergeFillsDecimal(ctx, [fill]));
    const small = ctxOf('1', '0.25', '25', '0.01', ['x']);
    expect(mergeFillsSmall(small, [{ ...fill, amount: '0.5', price: '100.5' }])).toEqual({ filledAmount: '0.75', filledNotional: '75.25', feeTotal: '0.01', fillIds: ['x', 'a'] });
  });
});
