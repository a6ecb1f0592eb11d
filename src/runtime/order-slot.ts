/**
 * An order actor as the runtime holds it in memory: the live snapshot, or (passivated) the
 * persisted JSON that is parsed only when the order's next event arrives.
 */
import type { AccountKey } from '../domain/account.ts';
import type { OrderStatus } from '../domain/order.ts';
import { deserializeOrder, type OrderJsonCache, type OrderSnapshot } from './order-machine-port.ts';
import type { OrderIndexRow } from './order-store.ts';

/** An order actor: its live snapshot, or (passivated) the persisted JSON to restore on demand. */
export interface OrderSlot {
  orderId: string;
  accountKey: AccountKey;
  clientOrderId: string;
  exchangeOrderId?: string;
  status: OrderStatus;
  snapshot?: OrderSnapshot;
  text?: string;
  /** Serialisation state of the snapshot's JSON (see order.snapshot-json.ts), carried across transitions. */
  json?: OrderJsonCache;
  /** orders.id of the order's row, when known. */
  rowId?: number;
}

/** A passivated slot for a stored order row (its snapshot stays JSON until needed). */
export function slotOfRow(row: OrderIndexRow): OrderSlot {
  const slot: OrderSlot = { orderId: row.order_id, accountKey: row.account_id as AccountKey, clientOrderId: row.client_order_id, status: row.status, text: row.snapshot, rowId: row.id };
  if (row.exchange_order_id !== null) slot.exchangeOrderId = row.exchange_order_id;
  return slot;
}

export function materialize(slot: OrderSlot): OrderSnapshot {
  if (!slot.snapshot) {
    slot.snapshot = deserializeOrder(slot.text as string);
    delete slot.text;
  }
  return slot.snapshot;
}
