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

/**
 * Every slot is built here, with all fields in one order (absent ones undefined): slots of one
 * shape keep the property accesses on every transition's path monomorphic.
 */
export function newSlot(
  orderId: string,
  accountKey: AccountKey,
  clientOrderId: string,
  exchangeOrderId: string | undefined,
  status: OrderStatus,
  snapshot: OrderSnapshot | undefined,
  text: string | undefined,
  json: OrderJsonCache | undefined,
  rowId: number | undefined,
): OrderSlot {
  return { orderId, accountKey, clientOrderId, exchangeOrderId, status, snapshot, text, json, rowId };
}

/** A passivated slot for a stored order row (its snapshot stays JSON until needed). */
export function slotOfRow(row: OrderIndexRow): OrderSlot {
  return newSlot(row.order_id, row.account_id as AccountKey, row.client_order_id, row.exchange_order_id ?? undefined, row.status, undefined, row.snapshot, undefined, row.id);
}

export function materialize(slot: OrderSlot): OrderSnapshot {
  if (!slot.snapshot) {
    slot.snapshot = deserializeOrder(slot.text as string);
    slot.text = undefined; // not `delete`: that would turn the slot into a slow dictionary object
  }
  return slot.snapshot;
}
