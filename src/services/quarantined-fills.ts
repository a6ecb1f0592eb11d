/**
 * The status page's view of fills kept aside as impossible for their order (runtime/fill-quarantine.ts):
 * contract-style snake_case, newest first. A fill report carries no secret; only the fields an
 * operator needs to find the fill on the exchange are copied.
 */
import type { QuarantinedFill } from '../runtime/fill-quarantine.ts';
import type { QuarantinedFillView } from './ports.ts';

export function quarantinedFillViews(kept: readonly QuarantinedFill[]): QuarantinedFillView[] {
  return kept
    .map((q) => ({
      account: q.account,
      order_id: q.orderId,
      fill_id: q.fill.fillId,
      exchange_order_id: q.fill.exchangeOrderId,
      market: q.fill.market,
      side: q.fill.side,
      amount: q.fill.amount,
      price: q.fill.price,
      fill_at: q.fill.at,
      reason: q.reason,
      source: q.source,
      at: q.at,
    }))
    .reverse();
}
