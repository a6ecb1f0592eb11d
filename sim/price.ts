/**
 * Price ordering without decimal.js in the hot path. parseFloat is correctly rounded and therefore
 * monotonic: a < b implies key(a) <= key(b). So different keys order exactly; only equal keys (two
 * prices closer than a double can tell, > 15 significant digits) need an exact decimal comparison.
 */
import { D } from '../src/domain/money.ts';

export function priceKey(price: string): number {
  return parseFloat(price);
}

/** Exact comparison of two canonical decimal strings given their keys: -1, 0 or 1. */
export function comparePrice(aKey: number, a: string, bKey: number, b: string): number {
  if (aKey < bKey) return -1;
  if (aKey > bKey) return 1;
  if (a === b) return 0;
  return new D(a).comparedTo(b);
}
