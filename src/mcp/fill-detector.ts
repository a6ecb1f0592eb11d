/**
 * Tells from a stream of order changes which ones carried a fill: the order's filled_amount grew
 * beyond what was last seen of it. Orders first seen are compared with 0 (seed() the ones that
 * were already partly filled); an order leaves the map when it ends, so the map holds only live orders.
 */
import { dec } from '../domain/money.ts';
import { isTerminal, type OrderView } from '../domain/order.ts';

/** How many fills `fills://<account>/recent` holds. */
export const RECENT_FILLS = 100;

export class FillDetector {
  private readonly lastFilled = new Map<string, string>();

  seed(orders: Iterable<Pick<OrderView, 'order_id' | 'filled_amount' | 'status'>>): void {
    for (const o of orders) if (!isTerminal(o.status)) this.lastFilled.set(o.order_id, o.filled_amount);
  }

  /** True when this change shows more filled than before. */
  filled(order: Pick<OrderView, 'order_id' | 'filled_amount' | 'status'>): boolean {
    const before = this.lastFilled.get(order.order_id) ?? '0';
    if (isTerminal(order.status)) this.lastFilled.delete(order.order_id);
    else this.lastFilled.set(order.order_id, order.filled_amount);
    return dec(order.filled_amount).gt(before);
  }
}
