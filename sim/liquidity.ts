/**
 * What an arriving (taker) order can take. With an observed book (quotes/levels) it walks the
 * levels, and what it takes is gone until the next snapshot. With trades only, the last trade price
 * is a single level of unlimited size; market orders pay slippage (bps) on it.
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import type { BookSnapshot } from './types.ts';
import type { SimOrder } from './order.ts';
import { comparePrice, priceKey } from './price.ts';
import { tapePrice } from './taker-price.ts';

export interface ObservedLevel {
  price: string;
  key: number;
  size: Dec;
}
/** Best first on both sides. */
export interface ObservedBook {
  bids: ObservedLevel[];
  asks: ObservedLevel[];
}

export interface TakerLevel {
  price: string;
  size: Dec | null; // null = unlimited
  observed?: ObservedLevel; // consumed as the order takes from it
}

interface MarketView {
  last?: string;
  lastKey: number;
  book?: ObservedBook;
  rules?: { price_decimals: number };
}

export function toObserved(b: BookSnapshot): ObservedBook {
  const conv = (ls: BookSnapshot['bids']): ObservedLevel[] =>
    ls.map((l) => {
      const price = decStr(l.price);
      return { price, key: priceKey(price), size: new D(l.amount) };
    });
  const bids = conv(b.bids).sort((x, y) => comparePrice(y.key, y.price, x.key, x.price));
  const asks = conv(b.asks).sort((x, y) => comparePrice(x.key, x.price, y.key, y.price));
  return { bids, asks };
}

/** Is `price` acceptable for the order (at or better than its limit)? Market orders accept any. */
function acceptable(o: SimOrder, price: string, key: number): boolean {
  if (o.price === undefined) return true;
  const c = comparePrice(key, price, o.key, o.price);
  return o.side === 'buy' ? c <= 0 : c >= 0;
}

/** Market/instant price on a trades-only market: last ± slippage, rounded to the tick against the taker. */
export function slippedPrice(ms: MarketView, o: SimOrder, bps: number): string | undefined {
  if (ms.last === undefined || bps === 0) return ms.last;
  if (o.type === 'limit') return tapePrice(o, { price: ms.last, key: ms.lastKey }, bps) ?? ms.last;
  const f = new D(bps).div(10_000);
  const p = new D(ms.last).times(o.side === 'buy' ? f.plus(1) : new D(1).minus(f));
  const decimals = o.rules.price_decimals;
  return decStr(p.toDecimalPlaces(decimals, o.side === 'buy' ? Decimal.ROUND_UP : Decimal.ROUND_DOWN));
}

export function takerLevels(ms: MarketView, o: SimOrder, tradesOnlyPrice: string | undefined): TakerLevel[] {
  if (ms.book) {
    const side = o.side === 'buy' ? ms.book.asks : ms.book.bids;
    const out: TakerLevel[] = [];
    for (const l of side) {
      if (!acceptable(o, l.price, l.key)) break;
      if (l.size.gt(0)) out.push({ price: l.price, size: l.size, observed: l });
    }
    return out;
  }
  if (tradesOnlyPrice === undefined) return [];
  if (!acceptable(o, tradesOnlyPrice, priceKey(tradesOnlyPrice))) return [];
  // A limit at exactly the last price rests (it is not taken at once).
  if (o.price !== undefined && ms.last !== undefined && comparePrice(ms.lastKey, ms.last, o.key, o.price) === 0) return [];
  return [{ price: tradesOnlyPrice, size: null }];
}
