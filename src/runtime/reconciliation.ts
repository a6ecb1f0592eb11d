/**
 * Reconciliation of one account against the exchange's truth: every local non-terminal order is
 * looked up (open orders list first, then queryOrder by client/exchange order id) and fed as
 * RECONCILED; fills since the oldest live order are fed as FILL (the machine drops duplicates).
 * Runs at start and on every (re)connect, because pushed events during a gap are lost.
 * One run per account at a time; a request during a run schedules exactly one more run.
 * A run can be scoped to one market (a stream channel subscribed later: only its events were lost).
 */
import type { AccountKey, AccountRecord } from '../domain/account.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OrderStatusReport } from '../exchanges/adapter.ts';
import {
  errorText,
  fillRecordOf,
  locatorOf,
  RECONCILE_ACTOR,
  type LiveOrder,
  type RuntimeHost,
} from './runtime-host.ts';

/** status_reason of a landed order the exchange no longer knows. */
export const FORGOTTEN_REASON = 'not found on the exchange';

export interface ReconcileResult {
  orders: number;
  fills: number;
  unmatchedFills: number;
}

export interface ReconcilerDeps {
  host: RuntimeHost;
  logger: Logger;
  metrics?: Metrics;
  /** True while the outbox holds a command for the order (its own recovery settles it). */
  outboxBusy: (orderId: string) => boolean;
  /** A query answered "not found" for an order that never landed: let the in-flight checks retry. */
  notFoundYet: (orderId: string) => void;
  /** Pushed events that could not be matched are covered by this run. */
  clearOrphans: (accountKey: AccountKey) => void;
}

export class Reconciler {
  /** Last run (or queued run) per account: runs of one account never overlap. */
  private readonly chains = new Map<AccountKey, Promise<unknown>>();
  /** A run requested while another is in progress and not started yet: later requests join it (by account, or account and market). */
  private readonly queued = new Map<string, Promise<ReconcileResult>>();

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Reconciles now, or right after the run in progress for that account. */
  reconcileAccount(record: AccountRecord, trigger: string, market?: string): Promise<ReconcileResult> {
    const queueKey = market === undefined ? String(record.key) : `${record.key}:${market}`;
    const waiting = this.queued.get(queueKey) ?? (market !== undefined ? this.queued.get(String(record.key)) : undefined);
    if (waiting) return waiting;
    const prev = this.chains.get(record.key) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(queueKey);
        return this.runOnce(record, trigger, market);
      });
    this.queued.set(queueKey, next);
    this.chains.set(record.key, next);
    void next.catch(() => undefined).then(() => {
      if (this.chains.get(record.key) === next) this.chains.delete(record.key);
    });
    return this.deps.host.track(next);
  }

  private async runOnce(record: AccountRecord, trigger: string, market?: string): Promise<ReconcileResult> {
    const { host, logger, metrics } = this.deps;
    const result: ReconcileResult = { orders: 0, fills: 0, unmatchedFills: 0 };
    try {
      const all = host.liveOrders(record.key);
      const live = market === undefined ? all : all.filter((o) => host.order(o.orderId)?.context.market.toLowerCase() === market);
      if (live.length === 0) {
        metrics?.reconciliations.inc({ trigger, result: 'ok' });
        return result;
      }
      const adapter = host.adapter(record);
      const open = await adapter.listOpenOrders(market);
      const byClient = new Map<string, OrderStatusReport>();
      const byExchange = new Map<string, OrderStatusReport>();
      for (const r of open) {
        if (r.clientOrderId !== undefined) byClient.set(r.clientOrderId, r);
        byExchange.set(r.exchangeOrderId, r);
      }
      // Each delivery gets its handler at once: a rejection must not go unhandled while we await the exchange.
      const failures: unknown[] = [];
      const deliveries: Promise<unknown>[] = [];
      const track = (p: Promise<unknown>): void => void deliveries.push(p.catch((e: unknown) => void failures.push(e)));
      for (const o of live) {
        if (host.isStopped()) return result;
        // A pending submit (or cancel) is settled by the outbox, which asks before re-sending.
        if (this.deps.outboxBusy(o.orderId)) continue;
        const order = host.order(o.orderId);
        if (!order) continue;
        const report =
          byClient.get(o.clientOrderId) ??
          (o.exchangeOrderId !== undefined ? byExchange.get(o.exchangeOrderId) : undefined) ??
          (await adapter.queryOrder(locatorOf(order.context)));
        if (report) {
          track(host.deliver(o.orderId, { type: 'RECONCILED', at: host.nowIso(), report: host.reconciledReport(record, o.orderId, report, RECONCILE_ACTOR) }, RECONCILE_ACTOR));
          result.orders++;
        } else if (order.context.exchangeOrderId === undefined && order.context.fillIds.length === 0) {
          this.deps.notFoundYet(o.orderId);
        } else {
          // Landed (acked or filled), not in open_orders, and order_status definitely says not found:
          // the exchange has forgotten it; it can no longer fill, so end it cancelled, keeping its fills.
          track(host.deliver(o.orderId, { type: 'RECONCILED', at: host.nowIso(), report: { state: 'cancelled', reason: FORGOTTEN_REASON, fills: [] } }, RECONCILE_ACTOR));
          logger.warn({ account: record.ref, orderId: o.orderId }, 'order not found on the exchange; ended cancelled');
          result.orders++;
        }
      }
      await this.reconcileFills(record, live, result, track, market);
      await Promise.all(deliveries);
      if (failures.length > 0) throw failures[0];
      if (market === undefined) this.deps.clearOrphans(record.key); // a market run covers only its own
      metrics?.reconciliations.inc({ trigger, result: 'ok' });
      logger.info({ account: record.ref, trigger, ...(market !== undefined ? { market } : {}), ...result }, 'account reconciled');
      return result;
    } catch (e) {
      metrics?.reconciliations.inc({ trigger, result: 'error' });
      if (!host.isStopped()) logger.warn({ account: record.ref, trigger, reason: errorText(e) }, 'reconciliation failed');
      throw e;
    }
  }

  /** Fills since the oldest live order was created: the only fills that can still change an order. */
  private async reconcileFills(record: AccountRecord, live: LiveOrder[], result: ReconcileResult, track: (p: Promise<unknown>) => void, market?: string): Promise<void> {
    const { host } = this.deps;
    let since: string | undefined;
    for (const o of live) {
      const created = host.order(o.orderId)?.context.createdAt;
      if (created !== undefined && (since === undefined || created < since)) since = created;
    }
    const fills = await host.adapter(record).listFills(since);
    for (const f of fills) {
      if (market !== undefined && f.market.toLowerCase() !== market) continue;
      const ids: { clientOrderId?: string; exchangeOrderId?: string } = { exchangeOrderId: f.exchangeOrderId };
      if (f.clientOrderId !== undefined) ids.clientOrderId = f.clientOrderId;
      const orderId = host.findOrderId(record.key, ids);
      if (!orderId) {
        result.unmatchedFills++;
        continue;
      }
      if (!host.admitFill(record, orderId, f, RECONCILE_ACTOR)) continue;
      track(host.deliver(orderId, { type: 'FILL', ...fillRecordOf(f) }, RECONCILE_ACTOR));
      result.fills++;
    }
  }
}
