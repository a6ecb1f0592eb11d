import { Decimal } from 'decimal.js';
import { z } from 'zod';

/** Money is decimal: strings at every boundary, Decimal inside. Never binary floats. */
export const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = Decimal;

/** A non-negative decimal string without exponent, e.g. "0.015" or "12". Max 30 digits total. */
export const DECIMAL_RE = /^(0|[1-9]\d{0,19})(\.\d{1,18})?$/;

export const decimalString = z
  .string()
  .regex(DECIMAL_RE, 'must be a non-negative decimal string like "0.01" (no exponent, at most 20 integer and 18 fraction digits)');

// zod 4 runs a refinement even after the regex failed: only judge the sign of a well-formed decimal
// (new D('') would throw and surface as INTERNAL instead of INVALID_ARGUMENT).
export const positiveDecimalString = decimalString.refine((s) => !DECIMAL_RE.test(s) || new D(s).gt(0), 'must be greater than 0');

export function dec(v: string | number | Decimal): Decimal {
  return new D(v);
}

/** Canonical string: no exponent, no trailing zeros ("1.500" -> "1.5"). */
export function decStr(v: Decimal | string): string {
  const d = typeof v === 'string' ? new D(v) : v;
  return d.toFixed();
}

/** Number of digits after the decimal point as written ("1.50" -> 2). */
export function writtenDecimals(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

/** Number of significant fraction digits ("1.50" -> 1). */
export function significantDecimals(v: Decimal | string): number {
  return (typeof v === 'string' ? new D(v) : v).decimalPlaces();
}

export function roundDown(v: Decimal, decimals: number): Decimal {
  return v.toDecimalPlaces(decimals, Decimal.ROUND_DOWN);
}

export function roundHalfUp(v: Decimal, decimals: number): Decimal {
  return v.toDecimalPlaces(decimals, Decimal.ROUND_HALF_UP);
}

export function sumDec(values: Iterable<Decimal | string>): Decimal {
  let acc = new D(0);
  for (const v of values) acc = acc.plus(v);
  return acc;
}
