/**
 * Post-commit notifications of order changes: listeners are told once per changed order per
 * transaction, after it is durable; a failing listener is logged and cannot disturb the others.
 */
import type { AccountRecord } from '../domain/account.ts';
import type { OrderView } from '../domain/order.ts';
import type { Logger } from '../observability/logger.ts';
import type { Scheduler } from './scheduler.ts';

export type OrderChangeListener = (record: AccountRecord, view: OrderView) => void;

export class OrderChangeFeed {
  private readonly listeners = new Set<OrderChangeListener>();

  constructor(private readonly logger: Logger) {}

  /** Returns an unsubscribe function. */
  subscribe(listener: OrderChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  publish(record: AccountRecord, view: OrderView): void {
    for (const l of this.listeners) {
      try {
        l(record, view);
      } catch (err) {
        this.logger.error({ err }, 'order change listener failed');
      }
    }
  }

  /** Resolves with the order's view once `done(view)` holds, or with the latest view (`current`) after `timeoutMs`. */
  waitFor(
    orderId: string,
    done: (v: OrderView) => boolean,
    timeoutMs: number,
    current: (orderId: string) => OrderView | undefined,
    scheduler: Scheduler,
  ): Promise<OrderView | undefined> {
    const now = current(orderId);
    if (!now || done(now) || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const off = this.subscribe((_r, v) => {
        if (v.order_id === orderId && done(v)) finish(v);
      });
      const timer = scheduler.after(timeoutMs, () => finish(current(orderId)));
      const finish = (v: OrderView | undefined): void => {
        off();
        timer.cancel();
        resolve(v);
      };
    });
  }
}
