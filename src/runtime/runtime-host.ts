/**
 * What the runtime's helpers (outbox worker, in-flight checks, exchange events, reconciliation)
 * need from the order runtime. An interface, so they do not import the runtime (no cycles) and
 * tests can see exactly what they touch.
 */
import { isDomainError } from '../domain/errors.ts';
import type { AccountKey, AccountRecord } from '../domain/account.ts';
import type { OrderStatus } from '../domain/order.ts';
import type { ExchangeAdapter, FillReport, OrderLocator, OrderStatusReport } from '../exchanges/adapter.ts';
import type { FillRecord, OrderContext, OrderEvent, ReconciledReport } from '../../machines/order.types.ts';

/** Audit actor names of events the runtime itself produces. */
export const EXCHANGE_ACTOR = 'exchange';
export const RECONCILE_ACTOR = 'system:reconcile';
export const INFLIGHT_ACTOR = 'system:inflight-check';

export interface LiveOrder {
  orderId: string;
  accountKey: AccountKey;
  clientOrderId: string;
  exchangeOrderId?: string;
  status: OrderStatus;
}

export interface RuntimeHost {
  /** Current status and context of an order (restores a passivated actor; terminal orders from the db). */
  order(orderId: string): { accountKey: AccountKey; status: OrderStatus; context: OrderContext } | undefined;
  /** Applies an event through the group commit; resolves after commit. `outboxId` is marked done in the same transaction. */
  deliver(orderId: string, event: OrderEvent, actor: string, outboxId?: number): Promise<void>;
  /** Like deliver for a caller that does not wait (pushed exchange events): no promise per event; `onError` if it could not be applied. */
  post(orderId: string, event: OrderEvent, actor: string, onError: (err: unknown) => void): void;
  /** Marks an outbox row finished without an event (skipped or given up). */
  finishOutbox(outboxId: number, status: 'done' | 'failed'): Promise<void>;
  /** Order id of an order of this account by its client or exchange order id. */
  findOrderId(accountKey: AccountKey, ids: { clientOrderId?: string; exchangeOrderId?: string }): string | undefined;
  liveOrders(accountKey?: AccountKey): LiveOrder[];
  record(accountKey: AccountKey): AccountRecord | undefined;
  adapter(record: AccountRecord): ExchangeAdapter;
  /** Now as ISO time: the account's simulated clock when it has one (backtests), else the wall clock. */
  nowIso(accountKey?: AccountKey): string;
  /** Time of a pushed exchange event: the venue's own `at` on simulated time (the simulator's clock then), else nowIso(). */
  eventIso(accountKey: AccountKey, venueAt: string): string;
  /**
   * The one sanity gate of exchange fills (fill-quarantine.ts): true when the fill may be applied
   * to the order; otherwise it is kept aside (audited, counted, listed) and must not be delivered.
   */
  admitFill(record: AccountRecord, orderId: string, fill: FillReport, actor: string): boolean;
  /** The RECONCILED report of an exchange view, its impossible fills kept aside through admitFill. */
  reconciledReport(record: AccountRecord, orderId: string, report: OrderStatusReport, actor: string): ReconciledReport;
  /** Keeps whenIdle() waiting while the promise runs. */
  track<T>(p: Promise<T>): Promise<T>;
  isStopped(): boolean;
}

export function locatorOf(ctx: OrderContext): OrderLocator {
  const l: OrderLocator = { clientOrderId: ctx.clientOrderId, market: ctx.market };
  if (ctx.exchangeOrderId !== undefined) l.exchangeOrderId = ctx.exchangeOrderId;
  return l;
}

export function fillRecordOf(f: FillReport): FillRecord {
  return { fillId: f.fillId, amount: f.amount, price: f.price, fee: f.fee, feeCurrency: f.feeCurrency, liquidity: f.liquidity, at: f.at };
}

/** Plain conversion, no sanity check: callers go through RuntimeHost.reconciledReport. */
export function reconciledReportOf(r: OrderStatusReport): ReconciledReport {
  const report: ReconciledReport = { state: r.state, exchangeOrderId: r.exchangeOrderId, fills: r.fills.map(fillRecordOf) };
  if (r.reason !== undefined) report.reason = r.reason;
  return report;
}

/** A reason safe to store and show: domain errors verbatim, anything else generic (details go to the log). */
export function errorText(e: unknown): string {
  return isDomainError(e) ? `${e.code}: ${e.message}` : 'unexpected error from the exchange adapter (see the server log)';
}
