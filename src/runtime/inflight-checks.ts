/**
 * In-flight checks (after NautilusTrader): an order stuck in submitting/cancelling/unknown is
 * re-queried on a schedule — first after `firstCheckMs`, then every `intervalMs` — until the
 * exchange answers. An order the exchange has never heard of (and that never showed a sign of
 * landing) after `maxChecks` queries becomes RECONCILED not_found, which the machine turns into
 * `rejected` with a reason. While the outbox still has a command for the order, the outbox owns
 * it and the check only reschedules.
 */
import type { OrderStatus } from '../domain/order.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { errorText, INFLIGHT_ACTOR, locatorOf, type RuntimeHost } from './runtime-host.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';

export interface InflightOptions {
  firstCheckMs: number;
  intervalMs: number;
  /** Queries answered "not found" before concluding the order never landed. */
  maxChecks: number;
}
export const DEFAULT_INFLIGHT_OPTIONS: InflightOptions = { firstCheckMs: 5_000, intervalMs: 2_000, maxChecks: 10 };

const IN_FLIGHT: ReadonlySet<OrderStatus> = new Set(['submitting', 'cancelling', 'unknown']);

interface Watch {
  timer?: TimerHandle;
  notFound: number;
  errors: number;
  running: boolean;
}

export interface InflightDeps {
  host: RuntimeHost;
  scheduler: Scheduler;
  logger: Logger;
  /** True while the outbox still holds a command for the order. */
  outboxBusy: (orderId: string) => boolean;
  options?: Partial<InflightOptions>;
  /** Counts the orders the checks give up on, so an operator can be alerted (not only a log line). */
  metrics?: Pick<Metrics, 'inflightGaveUp'>;
}

export class InflightChecks {
  private readonly opts: InflightOptions;
  private readonly watches = new Map<string, Watch>();
  private stopped = false;

  constructor(private readonly deps: InflightDeps) {
    this.opts = { ...DEFAULT_INFLIGHT_OPTIONS, ...deps.options };
  }

  /** Called after every committed change (and at hydration): starts or stops watching. */
  observe(orderId: string, status: OrderStatus): void {
    const w = this.watches.get(orderId);
    if (IN_FLIGHT.has(status)) {
      if (!w) this.schedule(orderId, { notFound: 0, errors: 0, running: false }, this.opts.firstCheckMs);
    } else if (w) {
      w.timer?.cancel();
      this.watches.delete(orderId);
    }
  }

  /** A query said "not found" for an order that never landed: keep asking on the schedule. */
  notFoundYet(orderId: string): void {
    const w = this.watches.get(orderId);
    if (w) {
      w.notFound++;
      return;
    }
    this.schedule(orderId, { notFound: 1, errors: 0, running: false }, this.opts.intervalMs);
  }

  watching(): number {
    return this.watches.size;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches.values()) w.timer?.cancel();
    this.watches.clear();
  }

  private schedule(orderId: string, w: Watch, ms: number): void {
    if (this.stopped) return;
    w.timer?.cancel();
    w.timer = this.deps.scheduler.after(ms, () => {
      delete w.timer;
      void this.deps.host.track(this.check(orderId, w));
    });
    this.watches.set(orderId, w);
  }

  private async check(orderId: string, w: Watch): Promise<void> {
    const { host } = this.deps;
    if (this.stopped || host.isStopped() || w.running || this.watches.get(orderId) !== w) return;
    const order = host.order(orderId);
    if (!order || !IN_FLIGHT.has(order.status)) {
      this.watches.delete(orderId);
      return;
    }
    if (this.deps.outboxBusy(orderId)) return this.schedule(orderId, w, this.opts.intervalMs);
    const record = host.record(order.accountKey);
    if (!record) {
      this.watches.delete(orderId);
      return;
    }
    w.running = true;
    try {
      const report = await host.adapter(record).queryOrder(locatorOf(order.context));
      if (this.stopped || host.isStopped()) return;
      if (report) {
        await host.deliver(orderId, { type: 'RECONCILED', at: host.nowIso(record.key), report: host.reconciledReport(record, orderId, report, INFLIGHT_ACTOR) }, INFLIGHT_ACTOR);
      } else {
        w.notFound++;
        const landed = order.context.exchangeOrderId !== undefined || order.context.fillIds.length > 0;
        if (w.notFound >= this.opts.maxChecks) {
          if (!landed) {
            const reason = `exchange has no record of this order after ${w.notFound} checks`;
            await host.deliver(orderId, { type: 'RECONCILED', at: host.nowIso(record.key), report: { state: 'not_found', fills: [], reason } }, INFLIGHT_ACTOR);
          } else {
            this.deps.logger.warn({ orderId, status: order.status }, 'exchange no longer knows a landed order; giving up in-flight checks');
            this.deps.metrics?.inflightGaveUp.inc({ reason: 'landed_order_not_found' });
          }
          this.watches.delete(orderId);
          return;
        }
      }
    } catch (e) {
      w.errors++;
      this.deps.logger.warn({ orderId, reason: errorText(e), errors: w.errors }, 'in-flight check failed');
      if (w.errors >= this.opts.maxChecks * 3) {
        this.deps.logger.error({ orderId }, 'in-flight checks gave up after repeated errors');
        this.deps.metrics?.inflightGaveUp.inc({ reason: 'errors' });
        this.watches.delete(orderId);
        return;
      }
    } finally {
      w.running = false;
    }
    // Still in flight (e.g. the cancel is outstanding): ask again later.
    const now = host.order(orderId);
    if (now && IN_FLIGHT.has(now.status) && this.watches.get(orderId) === w) this.schedule(orderId, w, this.opts.intervalMs);
    else if (this.watches.get(orderId) === w) this.watches.delete(orderId);
  }

}
