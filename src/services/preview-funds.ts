/**
 * The funds part of preview_order: would the account's available balance cover the order? Buys
 * need the estimated notional plus the estimated fee in quote currency, sells the amount in base
 * currency (what the exchange and the paper simulator reserve).
 */
import { D } from '../domain/money.ts';
import type { Problem } from '../domain/errors.ts';
import type { OrderRequest } from '../domain/order.ts';
import type { BalanceView, OrderPreview } from './ports.ts';

/** The INSUFFICIENT_FUNDS problem of an order, if the given balances do not cover it. */
export function fundsProblem(
  req: Pick<OrderRequest, 'side' | 'amount'>,
  market: { market: string; base: string; quote: string },
  estimate: Pick<OrderPreview, 'estimated_notional' | 'estimated_fee'>,
  balances: readonly BalanceView[],
): Problem | undefined {
  const buy = req.side === 'buy';
  if (buy && estimate.estimated_notional === undefined) return undefined; // no price to value it: cannot tell
  const currency = buy ? market.quote : market.base;
  const need = buy ? new D(estimate.estimated_notional as string).plus(estimate.estimated_fee ?? '0') : new D(req.amount);
  const held = balances.find((b) => b.currency.toUpperCase() === currency.toUpperCase());
  const available = new D(held?.available ?? '0');
  if (need.lte(available)) return undefined;
  const what = buy ? 'notional plus estimated fee' : 'amount';
  return {
    code: 'INSUFFICIENT_FUNDS',
    field: 'amount',
    message: `this ${req.side} on ${market.market} needs ${need.toFixed()} ${currency} (${what}); only ${available.toFixed()} ${currency} available`,
  };
}
