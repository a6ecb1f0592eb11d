/**
 * Builds the RuntimeHost view of the order runtime that its helpers (outbox worker, in-flight
 * checks, exchange events, reconciliation) use, from the few runtime internals it needs.
 */
import type { AccountDirectory, AccountKey } from '../domain/account.ts';
import type { OrderView } from '../domain/order.ts';
import type { ExchangeAdapter } from '../exchanges/adapter.ts';
import type { OrderContext, OrderEvent } from '../../machines/order.types.ts';
import type { AdapterRegistry } from './adapter-registry.ts';
import type { LiveOrderIndex } from './live-order-index.ts';
import { contextOf, statusOf } from './order-machine-port.ts';
import { materialize } from './order-slot.ts';
import type { FillQuarantine } from './fill-quarantine.ts';
import { reconciledReportOf, type RuntimeHost } from './runtime-host.ts';
import type { Work } from './transition-batch.ts';

export interface RuntimeHostParts {
  index: LiveOrderIndex;
  directory: AccountDirectory;
  registry: AdapterRegistry;
  nowIso: (accountKey?: AccountKey) => string;
  eventIso: (accountKey: AccountKey, venueAt: string) => string;
  /** Queues work for the next group commit. */
  enqueue: (w: Work) => void;
  /** Queues an event and resolves after its commit. */
  deliver: (orderId: string, event: OrderEvent, actor: string, outboxId: number | undefined, wantView: boolean) => Promise<OrderView>;
  /** Counts exchange calls in flight: +1 when one starts, -1 when it settles. */
  inFlight: (delta: 1 | -1) => void;
  isStopped: () => boolean;
  /** Every fill on its way to an order passes this check (pushed, reconciled, outbox and in-flight answers). */
  quarantine: FillQuarantine;
}

export function createRuntimeHost(parts: RuntimeHostParts): RuntimeHost {
  const { index, quarantine } = parts;
  const order: RuntimeHost['order'] = (orderId) => {
    const slot = index.slotOf(orderId);
    if (!slot) return undefined;
    const snap = materialize(slot);
    return { accountKey: slot.accountKey, status: statusOf(snap), context: contextOf(snap) as OrderContext };
  };
  return {
    order,
    deliver: (orderId, event, actor, outboxId) => parts.deliver(orderId, event, actor, outboxId, false).then(() => undefined),
    post: (orderId, event, actor, onError) => parts.enqueue({ kind: 'event', orderId, event, actor, wantView: false, resolve: noop, reject: onError }),
    finishOutbox: (outboxId, status) =>
      new Promise<void>((resolve, reject) => parts.enqueue({ kind: 'finish', outboxId, status, resolve: () => resolve(), reject })),
    findOrderId: (key, ids) => {
      if (ids.clientOrderId !== undefined) {
        const id = index.orderIdByClientId(key, ids.clientOrderId);
        if (id) return id;
      }
      if (ids.exchangeOrderId !== undefined) return index.orderIdByExchangeId(key, ids.exchangeOrderId);
      return undefined;
    },
    // Market, side, type and price never change over an order's life: the context at hand is enough.
    admitFill: (record, orderId, fill, actor) => {
      const ctx = order(orderId)?.context;
      return ctx === undefined || quarantine.admit(record, orderId, ctx, fill, actor);
    },
    reconciledReport: (record, orderId, report, actor) => reconciledReportOf(quarantine.filterReport(record, orderId, order(orderId)?.context, report, actor)),
    liveOrders: (key) => index.liveOrders(key),
    record: (key) => parts.directory.byKey(key),
    adapter: (record): ExchangeAdapter => parts.registry.get(record),
    nowIso: (key) => parts.nowIso(key),
    eventIso: (key, venueAt) => parts.eventIso(key, venueAt),
    track: <T>(p: Promise<T>): Promise<T> => {
      parts.inFlight(1);
      return p.finally(() => void parts.inFlight(-1));
    },
    isStopped: () => parts.isStopped(),
  };
}

const noop = (): void => {};
