/** A taker's price on a trade print: the print ± slippage, never worse than the order's limit. */
import { Decimal } from 'decimal.js';
import { D, decStr } from '../src/domain/money.ts';
import type { SimOrder } from './order.ts';
import { comparePrice, priceKey } from './price.ts';

/** The taker's price on a print: print ± slippage (rounded against the taker), capped at its limit; undefined = not acceptable. */
export function tapePrice(o: SimOrder, t: { price: string; key: number }, bps: number): string | undefined {
  if (o.price !== undefined) {
    const c = comparePrice(t.key, t.price, o.key, o.price);
    if (o.side === 'buy' ? c > 0 : c < 0) return undefined;
  }
  if (bps === 0) return t.price;
  const f = new D(bps).div(10_000);
  const p = new D(t.price).times(o.side === 'buy' ? f.plus(1) : new D(1).minus(f));
  let s = decStr(p.toDecimalPlaces(o.rules.price_decimals, o.side === 'buy' ? Decimal.ROUND_UP : Decimal.ROUND_DOWN));
  if (o.price !== undefined) {
    const c = comparePrice(priceKey(s), s, o.key, o.price);
    if (o.side === 'buy' ? c > 0 : c < 0) s = o.price;
  }
  return s;
}

