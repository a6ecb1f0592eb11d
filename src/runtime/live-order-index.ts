/**
 * The runtime's in-memory index of live (non-terminal) order actors, by order id, client order id
 * and exchange order id. Terminal orders leave the index; lookups that miss fall back to the
 * database, so a terminal or unknown order is still found (and absorbs events).
 */
import type { AccountKey } from '../domain/account.ts';
import { slotOfRow, type OrderSlot } from './order-slot.ts';
import type { OrderStore } from './order-store.ts';
import type { LiveOrder } from './runtime-host.ts';

/** Map key of an order id (client or exchange) scoped to its account. */
export function clientKey(key: AccountKey, id: string): string {
  return `${key}\u0000${id}`;
}

export class LiveOrderIndex {
  private readonly slots = new Map<string, OrderSlot>();
  private readonly byClientId = new Map<string, string>();
  private readonly byExchangeId = new Map<string, string>();

  constructor(private readonly store: OrderStore) {}

  /** The live slot of an order, if it is in memory. */
  get(orderId: string): OrderSlot | undefined {
    return this.slots.get(orderId);
  }

  values(): IterableIterator<OrderSlot> {
    return this.slots.values();
  }

  /** Live actors in memory (passivated or not). */
  get size(): number {
    return this.slots.size;
  }

  /** The order's current actor: from memory, else loaded from the db. */
  slotOf(orderId: string): OrderSlot | undefined {
    const live = this.slots.get(orderId);
    if (live) return live;
    // Terminal (or unknown) orders are not kept in memory: load on demand; they absorb events.
    const row = this.store.byId(orderId);
    if (!row) return undefined;
    return slotOfRow(row);
  }

  /** Order id using this client_order_id on the account (memory, else the db). */
  orderIdByClientId(key: AccountKey, clientOrderId: string): string | undefined {
    return this.byClientId.get(clientKey(key, clientOrderId)) ?? this.store.byClientOrderId(key, clientOrderId)?.order_id;
  }

  /** Order id with this exchange order id on the account (memory, else the db). */
  orderIdByExchangeId(key: AccountKey, exchangeOrderId: string): string | undefined {
    return this.byExchangeId.get(clientKey(key, exchangeOrderId)) ?? this.store.byExchangeOrderId(key, exchangeOrderId)?.order_id;
  }

  index(slot: OrderSlot): void {
    const prev = this.slots.get(slot.orderId);
    this.slots.set(slot.orderId, slot);
    if (!prev) this.byClientId.set(clientKey(slot.accountKey, slot.clientOrderId), slot.orderId);
    if (prev?.exchangeOrderId === slot.exchangeOrderId) return;
    if (prev?.exchangeOrderId !== undefined) this.byExchangeId.delete(clientKey(prev.accountKey, prev.exchangeOrderId));
    if (slot.exchangeOrderId !== undefined) this.byExchangeId.set(clientKey(slot.accountKey, slot.exchangeOrderId), slot.orderId);
  }

  unindex(slot: OrderSlot): void {
    const prev = this.slots.get(slot.orderId) ?? slot;
    this.slots.delete(slot.orderId);
    this.byClientId.delete(clientKey(prev.accountKey, prev.clientOrderId));
    for (const id of [prev.exchangeOrderId, slot.exchangeOrderId]) if (id !== undefined) this.byExchangeId.delete(clientKey(prev.accountKey, id));
  }

  /** Non-terminal orders (of one account). */
  liveOrders(accountKey?: AccountKey): LiveOrder[] {
    const out: LiveOrder[] = [];
    for (const s of this.slots.values()) {
      if (accountKey !== undefined && s.accountKey !== accountKey) continue;
      const o: LiveOrder = { orderId: s.orderId, accountKey: s.accountKey, clientOrderId: s.clientOrderId, status: s.status };
      if (s.exchangeOrderId !== undefined) o.exchangeOrderId = s.exchangeOrderId;
      out.push(o);
    }
    return out;
  }

  /** Non-terminal orders of an account. */
  openOrderCount(accountKey: AccountKey): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.accountKey === accountKey) n++;
    return n;
  }
}
