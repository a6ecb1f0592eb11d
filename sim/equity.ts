/**
 * Valuation of the account per valuation currency (sim/README.md "Backtests"). Each currency held
 * is valued in the quote of a market where it is the base (markets of the first market's quote
 * first), at that market's mark; a currency that is no market's base (a quote, or a currency no
 * market trades) counts as itself. Nothing is ever counted as 0: a second quote currency is its
 * own valuation currency (pnl by currency), never dropped.
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';
import type { ObservedBook } from './liquidity.ts';

export interface Valuation {
  /** The first market's quote: `pnl` and the equity curve are in it. */
  quote: string;
  /** Rounding of reported amounts per valuation currency (the quote's cent precision). */
  decimals: Map<string, number>;
  /** base currency -> the market it is valued by (its quote is the valuation currency) */
  marketOf: Map<string, Market>;
}

export function valuationFor(markets: Market[]): Valuation {
  const first = markets[0];
  if (!first) throw new Error('valuation needs at least one market');
  const ordered = [...markets.filter((m) => m.quote === first.quote), ...markets.filter((m) => m.quote !== first.quote)];
  const marketOf = new Map<string, Market>();
  const decimals = new Map<string, number>();
  for (const m of ordered) {
    if (m.base !== first.quote && !marketOf.has(m.base)) marketOf.set(m.base, m);
    if (!decimals.has(m.quote)) decimals.set(m.quote, m.instant_order_counter_decimals);
  }
  return { quote: first.quote, decimals, marketOf };
}

/** Equity per valuation currency; `price` is each market's mark (undefined: not valued yet, counts as its own currency). */
export function equityByCurrency(v: Valuation, totals: Iterable<[string, Dec]>, price: (market: string) => string | undefined): Map<string, Dec> {
  const out = new Map<string, Dec>([[v.quote, new D(0)]]);
  const add = (c: string, x: Dec) => out.set(c, (out.get(c) ?? new D(0)).plus(x));
  for (const [c, amount] of totals) {
    const m = v.marketOf.get(c);
    const p = m === undefined ? undefined : price(m.market);
    if (m !== undefined && p !== undefined) add(m.quote, amount.times(p));
    else add(c, amount);
  }
  return out;
}

/** Equity in the first market's quote (the curve's and pnl's currency). */
export function equityOf(v: Valuation, totals: Iterable<[string, Dec]>, price: (market: string) => string | undefined): Dec {
  return equityByCurrency(v, totals, price).get(v.quote)!;
}

/** Mark of a book: the mid of the best bid and ask, else the one side shown; undefined if empty. */
export function bookMid(b: ObservedBook): string | undefined {
  const bid = b.bids[0]?.price;
  const ask = b.asks[0]?.price;
  if (bid !== undefined && ask !== undefined) return decStr(new D(bid).plus(ask).div(2));
  return bid ?? ask;
}

export function formatMoney(v: Valuation, x: Dec, currency: string = v.quote): string {
  const d = v.decimals.get(currency);
  return decStr(d === undefined ? x : x.toDecimalPlaces(d, Decimal.ROUND_HALF_EVEN));
}
