/**
 * Executes outbox rows after the transaction that wrote them has committed: FIFO per order (a
 * cancel waits for its submit's outcome), concurrently across orders (bounded). Each exchange
 * answer goes back through the group commit as an event, and the row is marked done in the same
 * transaction that applies it. Before any exchange call the row's `attempts` is incremented
 * durably, so after a crash a submit that may have been sent is first looked up by
 * client_order_id and only re-sent when the exchange proves it never landed.
 */
import { performance } from 'node:perf_hooks';
import type { AccountRecord } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import { isDomainError, type ErrorCode } from '../domain/errors.ts';
import type { OrderStatus } from '../domain/order.ts';
import { isTerminal } from '../domain/order.ts';
import type { ExchangeAdapter, OrderStatusReport, PlaceOrderCommand } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OrderContext, OrderEvent } from '../../machines/order.types.ts';
import type { OrderStore, OutboxRow } from './order-store.ts';
import { EXCHANGE_ACTOR, errorText, locatorOf, type RuntimeHost } from './runtime-host.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';

export interface OutboxOptions {
  /** Orders whose commands run at the same time. */
  concurrency: number;
  /** Backoff after "definitely not sent" answers (EXCHANGE_UNAVAILABLE, RATE_LIMITED): base, doubling, capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Exchange calls per row before giving up on "definitely not sent" answers. */
  maxTries: number;
  /**
   * How long a call may still land after it was made (at least the adapters' request timeout).
   * After a crash, "the exchange has no such order" proves nothing until this much time has passed
   * since the interrupted attempt, so recovery waits that long before asking.
   */
  landingGraceMs: number;
}
export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { concurrency: 16, retryBaseMs: 250, retryMaxMs: 10_000, maxTries: 5, landingGraceMs: 15_000 };

/** The order was definitely not placed. */
const DEFINITE_REJECTS: ReadonlySet<ErrorCode> = new Set([
  'EXCHANGE_REJECTED', 'INSUFFICIENT_FUNDS', 'BELOW_MINIMUM', 'PRECISION_VIOLATION', 'MARKET_DISABLED', 'INVALID_ARGUMENT',
  'NO_CREDENTIALS', 'ACCOUNT_DISABLED', 'MARKET_NOT_FOUND',
]);
/** The request definitely did not reach the exchange: safe to send again. */
const NOT_SENT: ReadonlySet<ErrorCode> = new Set(['EXCHANGE_UNAVAILABLE', 'RATE_LIMITED']);

export function codeOf(e: unknown): ErrorCode | undefined {
  return isDomainError(e) ? e.code : undefined;
}

interface QueuedRow extends OutboxRow {
  /** Loaded at start: a submit with attempts > 0 may have reached the exchange before the crash. */
  recovered: boolean;
  /** Reconciliation proved the order is not on the exchange: sending is safe. */
  provenAbsent: boolean;
  /** Recovery has waited out the interrupted attempt's landing grace. */
  graceServed: boolean;
  tries: number;
}

type Step = { retryInMs: number } | undefined;

export interface OutboxWorkerDeps {
  host: RuntimeHost;
  store: OrderStore;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: Metrics;
  options?: Partial<OutboxOptions>;
}

export class OutboxWorker {
  private readonly opts: OutboxOptions;
  private readonly queues = new Map<string, QueuedRow[]>();
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private readonly sleepers = new Set<TimerHandle>();
  private attemptBatch: { ids: number[]; waiters: Array<{ ok: () => void; fail: (e: unknown) => void }> } | undefined;
  private stopped = false;
  private rows = 0;

  constructor(private readonly deps: OutboxWorkerDeps) {
    this.opts = { ...DEFAULT_OUTBOX_OPTIONS, ...deps.options };
  }

  /** Rows just committed (or, with recovered, found pending at start). */
  enqueue(rows: readonly OutboxRow[], recovered = false): void {
    for (const r of rows) {
      let q = this.queues.get(r.orderId);
      if (!q) {
        q = [];
        this.queues.set(r.orderId, q);
        if (!this.busy.has(r.orderId)) this.ready.push(r.orderId);
      }
      q.push({ ...r, recovered, provenAbsent: false, graceServed: false, tries: 0 });
      this.rows++;
    }
    this.deps.metrics?.outboxPending.set(this.rows);
    this.pump();
  }

  /** True while the order has a command queued, running or waiting to retry. */
  hasWork(orderId: string): boolean {
    return this.queues.has(orderId);
  }

  isIdle(): boolean {
    return this.queues.size === 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.sleepers) t.cancel();
    this.sleepers.clear();
  }

  private pump(): void {
    while (!this.stopped && this.busy.size < this.opts.concurrency && this.ready.length > 0) {
      const orderId = this.ready.shift() as string;
      const row = this.queues.get(orderId)?.[0];
      if (!row) continue;
      this.busy.add(orderId);
      void this.deps.host.track(this.drive(row)).then(() => this.done(row));
    }
  }

  private done(row: QueuedRow): void {
    this.busy.delete(row.orderId);
    if (this.stopped) return;
    const q = this.queues.get(row.orderId);
    if (q && q[0] === row) q.shift();
    this.rows--;
    this.deps.metrics?.outboxPending.set(this.rows);
    if (q && q.length > 0) this.ready.push(row.orderId);
    else this.queues.delete(row.orderId);
    this.pump();
  }

  private async drive(row: QueuedRow): Promise<void> {
    try {
      for (;;) {
        if (this.stopped || this.deps.host.isStopped()) return;
        const step = await this.execute(row);
        if (step === undefined) return;
        await this.sleep(step.retryInMs);
      }
    } catch (e) {
      // Only db/shutdown failures land here; the row stays pending in the db and start() recovers it.
      if (!this.stopped && !this.deps.host.isStopped())
        this.deps.logger.error({ err: e, outboxId: row.id, orderId: row.orderId }, 'outbox row could not be completed');
    }
  }

  private async execute(row: QueuedRow): Promise<Step> {
    const { host } = this.deps;
    const order = host.order(row.orderId);
    if (!order || !stillWanted(row, order.status, order.context)) {
      await host.finishOutbox(row.id, 'done');
      this.count(row, 'skipped');
      return undefined;
    }
    const record = host.record(row.accountKey);
    if (!record) {
      this.deps.logger.error({ outboxId: row.id, orderId: row.orderId }, 'outbox row of an unknown account');
      await host.finishOutbox(row.id, 'failed');
      return undefined;
    }
    const adapter = host.adapter(record);
    if (row.kind === 'submit') return this.submit(row, order.context, adapter, record);
    if (row.kind === 'cancel') return this.cancel(row, order.context, adapter, record);
    return this.query(row, order.context, adapter, record);
  }

  private async submit(row: QueuedRow, ctx: OrderContext, adapter: ExchangeAdapter, record: AccountRecord): Promise<Step> {
    if (row.recovered && row.attempts > 0 && !row.provenAbsent) {
      // The process died after an attempt may have been sent: never re-send before asking, and ask
      // only once that attempt can no longer land (else "not found" would prove nothing).
      if (!row.graceServed) {
        row.graceServed = true;
        const wait = Math.min(row.notBefore - this.deps.clock.now(), this.opts.landingGraceMs);
        if (wait > 0) return { retryInMs: wait };
      }
      let report;
      try {
        report = await this.call(row, record, 'query_order', () => adapter.queryOrder(locatorOf(ctx)));
      } catch (e) {
        return this.retryOr(row, e, { type: 'OUTCOME_UNKNOWN', at: this.now(row), reason: `could not verify an interrupted submit: ${errorText(e)}` });
      }
      if (report) return this.answer(row, { type: 'RECONCILED', at: this.now(row), report: this.deps.host.reconciledReport(record, row.orderId, report, EXCHANGE_ACTOR) }, 'reconciled');
      row.provenAbsent = true;
    }
    const cmd = row.payload as unknown as PlaceOrderCommand;
    try {
      const ack = await this.call(row, record, 'place_order', () => adapter.placeOrder(cmd));
      return this.answer(row, { type: 'EXCHANGE_ACK', at: this.now(row), exchangeOrderId: ack.exchangeOrderId }, 'ack');
    } catch (e) {
      const code = codeOf(e);
      if (code !== undefined && DEFINITE_REJECTS.has(code))
        return this.answer(row, { type: 'EXCHANGE_REJECT', at: this.now(row), reason: errorText(e) }, 'reject');
      if (code !== undefined && NOT_SENT.has(code))
        return this.retryOr(row, e, { type: 'EXCHANGE_REJECT', at: this.now(row), reason: `not sent after ${row.tries} tries: ${errorText(e)}` });
      if (code === undefined) this.deps.logger.error({ err: e, orderId: row.orderId }, 'placeOrder failed unexpectedly');
      return this.answer(row, { type: 'OUTCOME_UNKNOWN', at: this.now(row), reason: errorText(e) }, 'unknown');
    }
  }

  private async cancel(row: QueuedRow, ctx: OrderContext, adapter: ExchangeAdapter, record: AccountRecord): Promise<Step> {
    let pending = false;
    try {
      pending = (await this.call(row, record, 'cancel_order', () => adapter.cancelOrder(locatorOf(ctx))))?.pending === true;
    } catch (e) {
      const code = codeOf(e);
      if (code === 'ORDER_NOT_FOUND' || (code !== undefined && DEFINITE_REJECTS.has(code)))
        return this.answer(row, { type: 'CANCEL_REJECT', at: this.now(row), reason: errorText(e) }, 'reject');
      if (code !== undefined && NOT_SENT.has(code))
        return this.retryOr(row, e, { type: 'CANCEL_REJECT', at: this.now(row), reason: `cancel not sent after ${row.tries} tries: ${errorText(e)}` });
      if (code === undefined) this.deps.logger.error({ err: e, orderId: row.orderId }, 'cancelOrder failed unexpectedly');
      return this.answer(row, { type: 'OUTCOME_UNKNOWN', at: this.now(row), reason: errorText(e) }, 'unknown');
    }
    if (pending) {
      // Applied later (simulated latency): stay `cancelling`; the venue's pushed update (cancelled,
      // or filled meanwhile) ends the order, with any fills before it.
      await this.deps.host.finishOutbox(row.id, 'done');
      this.count(row, 'ack_pending');
      return undefined;
    }
    // A fill can land between the last event we saw and the cancel: a plain CANCEL_ACK would close
    // the order without it (terminal states absorb later events, so it would be lost for good).
    // Close it on the exchange's full view instead, fills included.
    let report: OrderStatusReport | null;
    try {
      report = await this.call(row, record, 'query_order', () => adapter.queryOrder(locatorOf(ctx)));
    } catch (e) {
      // No view now: stay `cancelling` (no command left) and let the in-flight checks, which
      // re-query it on their schedule, or a reconciliation close it on the view with its fills.
      this.deps.logger.warn({ orderId: row.orderId, reason: errorText(e) }, 'cancel accepted but the order cannot be read; leaving it to the in-flight checks');
      await this.deps.host.finishOutbox(row.id, 'done');
      this.count(row, 'ack_unverified');
      return undefined;
    }
    if (report && report.state !== 'open') {
      return this.answer(row, { type: 'RECONCILED', at: this.now(row), report: this.deps.host.reconciledReport(record, row.orderId, report, EXCHANGE_ACTOR) }, 'ack');
    }
    if (report) {
      // A lagging status: take its fills first, then close on the cancel answer.
      this.deps.logger.warn({ orderId: row.orderId }, 'exchange still lists a cancelled order as open; closing it on the cancel answer');
      await this.deps.host.deliver(row.orderId, { type: 'RECONCILED', at: this.now(row), report: this.deps.host.reconciledReport(record, row.orderId, report, EXCHANGE_ACTOR) }, EXCHANGE_ACTOR);
    }
    return this.answer(row, { type: 'CANCEL_ACK', at: this.now(row) }, 'ack');
  }

  private async query(row: QueuedRow, ctx: OrderContext, adapter: ExchangeAdapter, record: AccountRecord): Promise<Step> {
    let report;
    try {
      report = await this.call(row, record, 'query_order', () => adapter.queryOrder(locatorOf(ctx)));
    } catch (e) {
      if (row.tries < this.opts.maxTries) return { retryInMs: this.backoff(row) };
      // The in-flight checks keep asking on their own schedule.
      this.deps.logger.warn({ orderId: row.orderId, reason: errorText(e) }, 'order query failed; leaving it to the in-flight checks');
      await this.deps.host.finishOutbox(row.id, 'failed');
      this.count(row, 'failed');
      return undefined;
    }
    if (report) return this.answer(row, { type: 'RECONCILED', at: this.now(row), report: this.deps.host.reconciledReport(record, row.orderId, report, EXCHANGE_ACTOR) }, 'reconciled');
    if (ctx.exchangeOrderId === undefined && ctx.fillIds.length === 0) {
      // Never acknowledged and not found *yet*: a slow exchange may still place it. The in-flight
      // checks ask again on a schedule and conclude "not found" only after their bounded retries.
      await this.deps.host.finishOutbox(row.id, 'done');
      this.count(row, 'deferred');
      return undefined;
    }
    return this.answer(row, { type: 'RECONCILED', at: this.now(row), report: { state: 'not_found', fills: [] } }, 'not_found');
  }

  /** Retries a "definitely not sent" failure with backoff, or gives up with `giveUp`. */
  private retryOr(row: QueuedRow, e: unknown, giveUp: OrderEvent): Promise<Step> | Step {
    if (row.tries < this.opts.maxTries) {
      this.deps.logger.warn({ orderId: row.orderId, kind: row.kind, tries: row.tries, reason: errorText(e) }, 'exchange call not sent; retrying');
      return { retryInMs: this.backoff(row) };
    }
    return this.answer(row, giveUp, 'gave_up');
  }

  private async answer(row: QueuedRow, event: OrderEvent, result: string): Promise<Step> {
    await this.deps.host.deliver(row.orderId, event, EXCHANGE_ACTOR, row.id);
    this.count(row, result);
    return undefined;
  }

  /** One exchange call: durably counted first, timed for metrics. */
  private async call<T>(row: QueuedRow, record: AccountRecord, endpoint: string, fn: () => Promise<T>): Promise<T> {
    await this.beginAttempt(row.id);
    if (this.stopped || this.deps.host.isStopped()) throw new Error('runtime stopped');
    row.tries++;
    const t0 = performance.now();
    let result = 'ok';
    try {
      return await fn();
    } catch (e) {
      result = codeOf(e) ?? 'error';
      throw e;
    } finally {
      this.deps.metrics?.exchangeRequests.observe(
        { exchange: record.account.exchange, endpoint, result },
        (performance.now() - t0) / 1000,
      );
    }
  }

  /** Attempts of every call starting in the same tick are committed in one transaction. */
  private beginAttempt(id: number): Promise<void> {
    return new Promise((ok, fail) => {
      if (!this.attemptBatch) {
        const batch: NonNullable<OutboxWorker['attemptBatch']> = { ids: [], waiters: [] };
        this.attemptBatch = batch;
        queueMicrotask(() => {
          this.attemptBatch = undefined;
          try {
            if (this.stopped || this.deps.host.isStopped()) throw new Error('runtime stopped');
            this.deps.store.recordAttempts(batch.ids, this.deps.clock.now() + this.opts.landingGraceMs);
            for (const w of batch.waiters) w.ok();
          } catch (e) {
            for (const w of batch.waiters) w.fail(e);
          }
        });
      }
      this.attemptBatch.ids.push(id);
      this.attemptBatch.waiters.push({ ok, fail });
    });
  }

  private backoff(row: QueuedRow): number {
    return Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** Math.max(0, row.tries - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.deps.scheduler.after(ms, () => {
        this.sleepers.delete(t);
        resolve();
      });
      this.sleepers.add(t);
    });
  }

  private now(row: OutboxRow): string {
    return this.deps.host.nowIso(row.accountKey);
  }

  private count(row: QueuedRow, result: string): void {
    this.deps.metrics?.outboxExecuted.inc({ kind: row.kind, result });
  }
}

/** Is the command still meaningful for the order's current state? */
function stillWanted(row: QueuedRow, status: OrderStatus, ctx: OrderContext): boolean {
  if (isTerminal(status)) return false;
  if (row.kind === 'submit') {
    const landed = ctx.exchangeOrderId !== undefined || ctx.fillIds.length > 0;
    return !landed && (status === 'pending' || status === 'submitting' || status === 'cancelling');
  }
  return true;
}
