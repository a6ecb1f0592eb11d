/**
 * Sanity check of exchange fills before they become order FILL events (pushed and reconciled
 * alike): a fill for another market or side than its order, or at a price worse than a limit
 * order's limit, cannot be ours as recorded. Applying it would corrupt positions; it is kept aside
 * instead (audit row `fill.quarantined`, a counter, a log line, and a bounded list for the status page).
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { AccountRecord } from '../domain/account.ts';
import { D, type Dec } from '../domain/money.ts';
import type { FillReport, OrderStatusReport } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OrderContext } from '../../machines/order.types.ts';

const MAX_KEPT = 200;

export interface QuarantinedFill {
  account: string;
  orderId: string;
  reason: string;
  source: string;
  fill: FillReport;
  at: string;
}

export interface FillQuarantineDeps {
  audit: AuditLog;
  logger: Logger;
  metrics?: Metrics;
  nowIso: () => string;
}

/** Why the fill is impossible for the order, or undefined when it may be applied. */
export function impossibleFillReason(ctx: Pick<OrderContext, 'market' | 'side' | 'type' | 'price'>, fill: Pick<FillReport, 'market' | 'side' | 'price'>): string | undefined {
  if (fill.market !== ctx.market) return `fill market ${fill.market} differs from the order's ${ctx.market}`;
  if (fill.side !== ctx.side) return `fill side ${fill.side} differs from the order's ${ctx.side}`;
  if (ctx.type === 'limit' && ctx.price !== undefined) {
    let price: Dec;
    try {
      price = new D(fill.price);
    } catch {
      return `fill price ${fill.price} is not a number`;
    }
    if (ctx.side === 'buy' && price.gt(ctx.price)) return `buy fill at ${fill.price} above the limit ${ctx.price}`;
    if (ctx.side === 'sell' && price.lt(ctx.price)) return `sell fill at ${fill.price} below the limit ${ctx.price}`;
  }
  return undefined;
}

export class FillQuarantine {
  private readonly kept: QuarantinedFill[] = [];
  /** Fill ids already kept aside: a fill seen again (push, then reconciliation) is audited once. */
  private readonly seen = new Set<string>();

  constructor(private readonly deps: FillQuarantineDeps) {}

  /** True when the fill may be applied; otherwise it is kept aside (audited, counted, logged). */
  admit(record: AccountRecord, orderId: string, ctx: OrderContext, fill: FillReport, source: string): boolean {
    const reason = impossibleFillReason(ctx, fill);
    if (reason === undefined) return true;
    const key = `${record.key}:${fill.fillId}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const entry: QuarantinedFill = { account: record.ref, orderId, reason, source, fill: { ...fill }, at: this.deps.nowIso() };
    this.kept.push(entry);
    if (this.kept.length > MAX_KEPT) {
      const dropped = this.kept.shift();
      if (dropped) this.seen.delete(`${record.key}:${dropped.fill.fillId}`);
    }
    try {
      this.deps.audit.append({ actor: source, action: 'fill.quarantined', subject: orderId, payload: { account: record.ref, reason, fill: { ...fill } } });
    } catch (err) {
      this.deps.logger.error({ err, account: record.ref, orderId }, 'could not audit a quarantined fill');
    }
    this.deps.metrics?.fillsQuarantined.inc({ source });
    this.deps.logger.warn({ account: record.ref, orderId, fillId: fill.fillId, reason }, 'impossible fill kept aside, not applied');
    return false;
  }

  /** The report without its impossible fills (each kept aside like a pushed one). */
  filterReport(record: AccountRecord, orderId: string, ctx: OrderContext | undefined, report: OrderStatusReport, source: string): OrderStatusReport {
    if (ctx === undefined) return report;
    const fills = report.fills.filter((f) => this.admit(record, orderId, ctx, f, source));
    return fills.length === report.fills.length ? report : { ...report, fills };
  }

  /** Fills kept aside since start, oldest first (for the status page). */
  list(): readonly QuarantinedFill[] {
    return this.kept;
  }
}
