/**
 * The runtime's single doorway to the pure order machine: every call the runtime makes into
 * machines/ goes through here, so a change in the machine's exported names touches one file.
 */
import {
  applyOrderEvent,
  createOrderSnapshot,
  persistOrderSnapshot,
  restoreOrderSnapshot,
} from '../../machines/order.machine.ts';
import { orderViewOf } from '../../machines/order.projection.ts';
import { newOrderJsonCache, orderSnapshotJson, type OrderJsonCache } from '../../machines/order.snapshot-json.ts';
import type { OrderCommand, OrderContext, OrderEvent, OrderInput } from '../../machines/order.types.ts';
import type { OrderStatus, OrderView } from '../domain/order.ts';

export type OrderSnapshot = ReturnType<typeof createOrderSnapshot>['snapshot'];

export interface OrderStep {
  snapshot: OrderSnapshot;
  commands: OrderCommand[];
  changed: boolean;
}

export type { OrderJsonCache };
export { newOrderJsonCache };

export function initialOrder(input: OrderInput): { snapshot: OrderSnapshot; commands: OrderCommand[] } {
  return createOrderSnapshot(input);
}

/** The machine's step as is (its commands array is fresh per call: no copy needed). */
export function stepOrder(snapshot: OrderSnapshot, event: OrderEvent): OrderStep {
  return applyOrderEvent(snapshot, event);
}

export function statusOf(snapshot: OrderSnapshot): OrderStatus {
  return snapshot.value as OrderStatus;
}

export function contextOf(snapshot: OrderSnapshot): OrderContext {
  return snapshot.context as OrderContext;
}

export function viewOf(snapshot: OrderSnapshot): OrderView {
  return orderViewOf(snapshot);
}

/** JSON text stored in orders.snapshot; with the order's cache, built incrementally (same bytes). */
export function serializeOrder(snapshot: OrderSnapshot, cache?: OrderJsonCache): string {
  return cache ? orderSnapshotJson(snapshot, cache) : JSON.stringify(persistOrderSnapshot(snapshot));
}

export function deserializeOrder(text: string): OrderSnapshot {
  return restoreOrderSnapshot(JSON.parse(text) as unknown);
}
