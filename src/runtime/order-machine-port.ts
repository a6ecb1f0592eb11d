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
import type { OrderCommand, OrderContext, OrderEvent, OrderInput } from '../../machines/order.types.ts';
import type { OrderStatus, OrderView } from '../domain/order.ts';

export type OrderSnapshot = ReturnType<typeof createOrderSnapshot>['snapshot'];

export interface OrderStep {
  snapshot: OrderSnapshot;
  commands: OrderCommand[];
  changed: boolean;
}

export function initialOrder(input: OrderInput): { snapshot: OrderSnapshot; commands: OrderCommand[] } {
  const r = createOrderSnapshot(input);
  return { snapshot: r.snapshot, commands: [...r.commands] };
}

export function stepOrder(snapshot: OrderSnapshot, event: OrderEvent): OrderStep {
  const r = applyOrderEvent(snapshot, event);
  return { snapshot: r.snapshot, commands: [...r.commands], changed: r.changed };
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

/** JSON text stored in orders.snapshot. */
export function serializeOrder(snapshot: OrderSnapshot): string {
  return JSON.stringify(persistOrderSnapshot(snapshot));
}

export function deserializeOrder(text: string): OrderSnapshot {
  return restoreOrderSnapshot(JSON.parse(text) as unknown);
}
