/**
 * Valuation of the account in one quote currency: each currency's total times the last price of
 * its market against that quote (currencies with no such market count as 0 and are listed).
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';

export interface Valuation {
  quote: string;
  decimals: number; // rounding of reported equity/pnl (the quote's cent precision)
  /** base currency -> market id quoted in `quote` */
  marketOf: Map<string, string>;
}

export function valuationFor(markets: Market[]): Valuation {
  const first = markets[0];
  if (!first) throw new Error('valuation needs at least one market');
  const marketOf = new Map<string, string>();
  for (const m of markets) if (m.quote === first.quote && !marketOf.has(m.base)) marketOf.set(m.base, m.market);
  return { quote: first.quote, decimals: first.instant_order_counter_decimals, marketOf };
}

export function equityOf(v: Valuation, totals: Iterable<[string, Dec]>, price: (market: string) => string | undefined): Dec {
  let eq = new D(0);
  for (const [c, amount] of totals) {
    if (c === v.quote) eq = eq.plus(amount);
    else {
      const m = v.marketOf.get(c);
      const p = m === undefined ? undefined : price(m);
      if (p !== undefined) eq = eq.plus(amount.times(p));
    }
  }
  return eq;
}

export function formatMoney(v: Valuation, x: Dec): string {
  return decStr(x.toDecimalPlaces(v.decimals, Decimal.ROUND_HALF_EVEN));
}
