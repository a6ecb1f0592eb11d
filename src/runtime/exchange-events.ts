/**
 * Routes what adapters push (fills, order updates, reconnects) to the order actors. Pushed events
 * may be duplicated or out of order: the machine dedups fills by id and RECONCILED only moves
 * forward. A fill for an order we cannot match yet (its ack has not committed, or it is not ours)
 * is kept per account and retried when an exchange order id becomes known; reconciliation covers
 * whatever is still unmatched.
 */
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import { D } from '../domain/money.ts';
import type { ExchangeAdapter, ExchangeEvent, FillReport, OrderStatusReport } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { AdapterRegistry } from './adapter-registry.ts';
import { EXCHANGE_ACTOR, fillRecordOf, type RuntimeHost } from './runtime-host.ts';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';

const MAX_ORPHANS_PER_ACCOUNT = 1000;

type Orphan = { kind: 'fill'; fill: FillReport } | { kind: 'update'; report: OrderStatusReport };

export interface ExchangeEventsDeps {
  host: RuntimeHost;
  registry: AdapterRegistry;
  directory: AccountDirectory;
  logger: Logger;
  /** Reconcile an account (on every `connected`), or one market of it (`connected` with a market). */
  reconcile: (record: AccountRecord, trigger: string, market?: string) => void;
  /** Timers of the retry backoff (injected like the clock; default: real timers). */
  scheduler?: Scheduler;
}

export class ExchangeEvents {
  private readonly unsubscribers = new Map<AccountKey, () => void>();
  private readonly orphans = new Map<AccountKey, Orphan[]>();
  private attached = false;
  private detachCreate: (() => void) | undefined;
  private stopped = false;
  /** Retry waits in progress: stop() ends them at once. */
  private readonly sleepers = new Map<TimerHandle, () => void>();

  constructor(private readonly deps: ExchangeEventsDeps) {}

  /** Subscribes to every adapter the registry has and will create. */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.detachCreate = this.deps.registry.onCreate((record, adapter) => this.subscribe(record, adapter));
    for (const { key, adapter } of this.deps.registry.list()) {
      const record = this.deps.directory.byKey(key);
      if (record) this.subscribe(record, adapter);
    }
  }

  stop(): void {
    this.stopped = true;
    this.detachCreate?.();
    for (const off of this.unsubscribers.values()) off();
    this.unsubscribers.clear();
    for (const [t, wake] of this.sleepers) {
      t.cancel();
      wake();
    }
    this.sleepers.clear();
  }


  /** Unmatched pushed events of an account (reconciliation reads them as a hint). */
  orphanCount(accountKey: AccountKey): number {
    return this.orphans.get(accountKey)?.length ?? 0;
  }

  /** Retries unmatched events of the account (after an exchange order id became known). */
  retryOrphans(accountKey: AccountKey): void {
    const list = this.orphans.get(accountKey);
    if (!list || list.length === 0) return;
    this.orphans.delete(accountKey);
    const record = this.deps.directory.byKey(accountKey);
    if (!record) return;
    for (const o of list) {
      if (o.kind === 'fill') this.onFill(record, o.fill, true);
      else this.onUpdate(record, o.report, true);
    }
  }

  /** Drops unmatched events (a full reconciliation has covered them). */
  clearOrphans(accountKey: AccountKey): void {
    this.orphans.delete(accountKey);
  }

  private subscribe(record: AccountRecord, adapter: ExchangeAdapter): void {
    if (this.stopped) return;
    this.unsubscribers.get(record.key)?.();
    this.unsubscribers.set(record.key, adapter.subscribe((e) => this.onEvent(record, e)));
  }

  private onEvent(record: AccountRecord, e: ExchangeEvent): void {
    if (this.stopped || this.deps.host.isStopped()) return;
    try {
      if (e.type === 'fill') this.onFill(record, e.fill, false);
      else if (e.type === 'order_update') this.onUpdate(record, e.report, false);
      // Connection state itself is reported by the connection actors (ConnectionStatusStore).
      else if (e.type === 'connected' && e.market !== undefined) this.deps.reconcile(record, 'channel', e.market);
      else if (e.type === 'connected') this.deps.reconcile(record, 'connected');
    } catch (err) {
      this.deps.logger.error({ err, account: record.ref, event: e.type }, 'exchange event handling failed');
    }
  }

  private onFill(record: AccountRecord, fill: FillReport, retry: boolean): void {
    const ids: { clientOrderId?: string; exchangeOrderId?: string } = { exchangeOrderId: fill.exchangeOrderId };
    if (fill.clientOrderId !== undefined) ids.clientOrderId = fill.clientOrderId;
    const orderId = this.deps.host.findOrderId(record.key, ids);
    if (!orderId) return this.keep(record, { kind: 'fill', fill }, retry);
    if (!this.deps.host.admitFill(record, orderId, fill, EXCHANGE_ACTOR)) return;
    this.deliver(record, orderId, { type: 'FILL', ...fillRecordOf(fill) });
  }

  private onUpdate(record: AccountRecord, report: OrderStatusReport, retry: boolean): void {
    const ids: { clientOrderId?: string; exchangeOrderId?: string } = { exchangeOrderId: report.exchangeOrderId };
    if (report.clientOrderId !== undefined) ids.clientOrderId = report.clientOrderId;
    const orderId = this.deps.host.findOrderId(record.key, ids);
    if (!orderId) return this.keep(record, { kind: 'update', report }, retry);
    if (this.fillsMissing(orderId, report)) {
      void this.deps.host.track(this.completeThenDeliver(record, orderId, report));
      return;
    }
    this.deliver(record, orderId, { type: 'RECONCILED', at: this.deps.host.eventIso(record.key, report.at), report: this.deps.host.reconciledReport(record, orderId, report, EXCHANGE_ACTOR) });
  }

  /**
   * A pushed final update (Bitstamp's order_deleted) carries no fills. If its trade events were
   * dropped or come later (another channel), applying it would end the order with fills missing,
   * and a terminal order absorbs every later FILL: they would be lost for good. Such an update is
   * completed first with the exchange's full status (order_status lists every transaction).
   */
  private fillsMissing(orderId: string, report: OrderStatusReport): boolean {
    if (report.state === 'open' || report.state === 'rejected') return false;
    const reported = new D(report.filledAmount);
    if (reported.lte(report.fills.reduce((a, f) => a.plus(f.amount), new D(0)))) return false;
    const known = this.deps.host.order(orderId)?.context.filledAmount;
    return known === undefined || reported.gt(known);
  }

  private async completeThenDeliver(record: AccountRecord, orderId: string, report: OrderStatusReport): Promise<void> {
    const wanted = new D(report.filledAmount);
    for (let attempt = 0; attempt < 8 && !this.stopped && !this.deps.host.isStopped(); attempt++) {
      try {
        const locator = { exchangeOrderId: report.exchangeOrderId, market: report.market, ...(report.clientOrderId !== undefined ? { clientOrderId: report.clientOrderId } : {}) };
        const full = await this.deps.host.adapter(record).queryOrder(locator);
        if (full && full.state !== 'open' && full.fills.reduce((a, f) => a.plus(f.amount), new D(0)).gte(wanted)) {
          this.deliver(record, orderId, { type: 'RECONCILED', at: this.deps.host.eventIso(record.key, full.at), report: this.deps.host.reconciledReport(record, orderId, full, EXCHANGE_ACTOR) });
          return;
        }
      } catch (err) {
        this.deps.logger.warn({ account: record.ref, exchangeOrderId: report.exchangeOrderId, err: err instanceof Error ? err.message : String(err) }, 'could not fetch the fills of a finished order; retrying');
      }
      await this.sleep(Math.min(10_000, 250 * 2 ** attempt));
    }
    if (this.stopped || this.deps.host.isStopped()) return;
    // Never end the order without its fills (a terminal order absorbs later FILLs): leave it live and
    // let a full reconciliation (and the next one on reconnect or start) settle it from the exchange.
    this.deps.logger.warn({ account: record.ref, exchangeOrderId: report.exchangeOrderId }, 'fills of a finished order still unknown; reconciling the account');
    this.deps.reconcile(record, 'fills-missing');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = (this.deps.scheduler ?? realScheduler).after(ms, () => {
        this.sleepers.delete(t);
        resolve();
      });
      this.sleepers.set(t, resolve);
    });
  }

  private deliver(record: AccountRecord, orderId: string, event: Parameters<RuntimeHost['deliver']>[1]): void {
    this.deps.host.post(orderId, event, EXCHANGE_ACTOR, (err: unknown) => {
      if (!this.deps.host.isStopped()) this.deps.logger.error({ err, account: record.ref, orderId }, 'could not apply an exchange event');
    });
  }

  private keep(record: AccountRecord, o: Orphan, retry: boolean): void {
    let list = this.orphans.get(record.key);
    if (!list) {
      list = [];
      this.orphans.set(record.key, list);
    }
    list.push(o);
    if (list.length > MAX_ORPHANS_PER_ACCOUNT) list.shift();
    if (!retry) {
      const id = o.kind === 'fill' ? o.fill.exchangeOrderId : o.report.exchangeOrderId;
      this.deps.logger.warn({ account: record.ref, exchangeOrderId: id, kind: o.kind }, 'exchange event for an order not known (yet); kept for reconciliation');
    }
  }
}
