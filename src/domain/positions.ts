/**
 * Positions from fills, average-cost method, per market (a base currency against one quote):
 * - A fill that adds to the position (or opens it) moves the average cost to the amount-weighted
 *   mean of the old cost and the fill price. Fees are not part of the cost.
 * - A fill that reduces it realizes (price − average cost) × amount closed (the sign flips for a
 *   short); the average cost of what is left does not change. A fill larger than the position
 *   closes it and opens the rest on the other side at the fill price.
 * - Fees paid in the quote currency are subtracted from realized PnL when paid (a buy's fee too):
 *   realized_pnl is net of every quote fee. Fees in any other currency are only listed.
 * - Unrealized PnL = amount × (mark − average cost); 0 when flat, unknown without a mark.
 * Sells beyond what fills bought (e.g. coins funded outside exec-mcp) show as a short: fills are
 * the only history this computes from.
 */
import { D, type Dec } from './money.ts';

export interface PositionFill {
  market: string;
  side: 'buy' | 'sell';
  amount: string;
  price: string;
  fee: string;
  fee_currency: string;
}

export interface PositionState {
  market: string;
  base: string;
  quote: string;
  /** Signed: negative is short. */
  amount: Dec;
  /** Per unit of base, in quote; 0 when flat. */
  averageCost: Dec;
  realized: Dec;
  /** Quote-currency fees (already in `realized`). */
  quoteFees: Dec;
  /** Fees in other currencies, not netted. */
  otherFees: Map<string, Dec>;
  fills: number;
}

export type MarketCurrencies = (market: string) => { base: string; quote: string };

/** Applies fills in the order given (oldest first) and returns one state per market. */
export function positionsFromFills(fills: Iterable<PositionFill>, currenciesOf: MarketCurrencies): PositionState[] {
  const byMarket = new Map<string, PositionState>();
  for (const f of fills) {
    let p = byMarket.get(f.market);
    if (!p) {
      const { base, quote } = currenciesOf(f.market);
      p = { market: f.market, base, quote, amount: new D(0), averageCost: new D(0), realized: new D(0), quoteFees: new D(0), otherFees: new Map(), fills: 0 };
      byMarket.set(f.market, p);
    }
    applyFill(p, f);
  }
  return [...byMarket.values()];
}

export function applyFill(p: PositionState, f: PositionFill): void {
  const qty = new D(f.amount);
  const price = new D(f.price);
  const delta = f.side === 'buy' ? qty : qty.neg();
  p.fills++;
  if (p.amount.isZero() || p.amount.isNeg() === delta.isNeg()) {
    const held = p.amount.abs();
    p.averageCost = held.times(p.averageCost).plus(qty.times(price)).div(held.plus(qty));
    p.amount = p.amount.plus(delta);
  } else {
    const closed = D.min(qty, p.amount.abs());
    const perUnit = price.minus(p.averageCost);
    p.realized = p.realized.plus(p.amount.isNeg() ? perUnit.neg().times(closed) : perUnit.times(closed));
    p.amount = p.amount.plus(delta);
    if (p.amount.isZero()) p.averageCost = new D(0);
    else if (qty.gt(closed)) p.averageCost = price; // flipped: the rest opened at this price
  }
  const fee = new D(f.fee);
  if (fee.isZero()) return;
  if (f.fee_currency.toUpperCase() === p.quote.toUpperCase()) {
    p.quoteFees = p.quoteFees.plus(fee);
    p.realized = p.realized.minus(fee);
  } else {
    const cur = f.fee_currency.toUpperCase();
    p.otherFees.set(cur, (p.otherFees.get(cur) ?? new D(0)).plus(fee));
  }
}

/** amount × (mark − average cost); 0 when flat. */
export function unrealizedPnl(p: PositionState, mark: Dec): Dec {
  return p.amount.isZero() ? new D(0) : p.amount.times(mark.minus(p.averageCost));
}
