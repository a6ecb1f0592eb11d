/**
 * The order actor system. Every order is an actor whose snapshot lives in memory (or passivated as
 * its persisted JSON until its next event) and changes only through the pure machine.
 *
 * Group commit: events from services, exchanges and outbox results are queued; one flush per tick
 * (setImmediate) applies all of them, in arrival order, inside ONE SQLite transaction that writes
 * the snapshot + projection row, new fills, an audit row and outbox rows of each transition. Only
 * after the commit are promises resolved, listeners told and outbox commands executed: nothing
 * leaves the process before the state that explains it is durable.
 */
import type { AccountKey, AccountRecord } from '../domain/account.ts';
import { DomainError } from '../domain/errors.ts';
import type { OrderStatus, OrderView } from '../domain/order.ts';
import { isTerminal } from '../domain/order.ts';
import type { OrderEvent, OrderInput } from '../../machines/order.types.ts';
import { ExchangeEvents } from './exchange-events.ts';
import { InflightChecks } from './inflight-checks.ts';
import { isoCache } from './iso-cache.ts';
import { LiveOrderIndex } from './live-order-index.ts';
import { OrderChangeFeed, type OrderChangeListener } from './order-change-feed.ts';
import { OrderReadModel } from './order-read-model.ts';
import type { ExtraWrites, OrderRuntimeDeps } from './order-runtime-deps.ts';
import { createRuntimeHost } from './order-runtime-host.ts';
import { materialize, slotOfRow } from './order-slot.ts';
import { OrderStore } from './order-store.ts';
import { OutboxWorker } from './outbox-worker.ts';
import { Reconciler, type ReconcileResult } from './reconciliation.ts';
import type { LiveOrder, RuntimeHost } from './runtime-host.ts';
import { FillQuarantine, type QuarantinedFill } from './fill-quarantine.ts';
import { realScheduler } from './scheduler.ts';
import { storeFaultsOf } from '../db/store-faults.ts';
import { storageFailure } from './storage-failure.ts';
import { TransitionBatch, type TransitionBatchDeps, type Work } from './transition-batch.ts';

export type { ExtraWrites, OrderChangeListener, OrderRuntimeDeps };

export class OrderRuntime {
  readonly store: OrderStore;
  readonly reads: OrderReadModel;
  /** Live actors in memory, by order, client and exchange order id. */
  private readonly live: LiveOrderIndex;
  private readonly changes: OrderChangeFeed;
  private readonly worker: OutboxWorker;
  private readonly inflight: InflightChecks;
  private readonly events: ExchangeEvents;
  private readonly reconciler: Reconciler;
  private readonly quarantine: FillQuarantine;
  private readonly host: RuntimeHost;
  private readonly batchDeps: TransitionBatchDeps;
  private queue: Work[] = [];
  private flushScheduled = false;
  private tracked = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private hydrated = false;
  private lastCommitError: unknown;
  private readonly iso = isoCache();
  /** Its own memo: simulated and wall-clock times interleaved would defeat a shared one. */
  private readonly simIsoOf = isoCache();

  constructor(private readonly deps: OrderRuntimeDeps) {
    this.store = new OrderStore(deps.db);
    this.reads = new OrderReadModel(deps.db);
    this.live = new LiveOrderIndex(this.store);
    this.changes = new OrderChangeFeed(deps.logger);
    const scheduler = deps.scheduler ?? realScheduler;
    this.quarantine = new FillQuarantine({ audit: deps.audit, logger: deps.logger, nowIso: () => this.nowIso(), ...(deps.metrics ? { metrics: deps.metrics } : {}) });
    this.host = createRuntimeHost({
      quarantine: this.quarantine,
      index: this.live,
      directory: deps.directory,
      registry: deps.registry,
      nowIso: (key) => this.nowIso(key),
      eventIso: (key, venueAt) => (this.simIso(key) !== undefined ? venueAt : this.nowIso()),
      enqueue: (w) => this.enqueue(w),
      deliver: (orderId, event, actor, outboxId, wantView) => this.deliver(orderId, event, actor, outboxId, wantView),
      inFlight: (delta) => void (this.tracked += delta),
      isStopped: () => this.state === 'stopped',
    });
    const savepoint = deps.db.transaction((fn: () => void) => fn());
    this.batchDeps = {
      db: deps.db,
      store: this.store,
      audit: deps.audit,
      directory: deps.directory,
      nowIso: (key) => this.nowIso(key),
      simIso: (key) => this.simIso(key),
      slot: (orderId) => this.live.slotOf(orderId),
      existing: (key, cid) => this.live.orderIdByClientId(key, cid),
      view: (orderId) => this.get(orderId),
      savepoint: (fn) => savepoint(fn),
    };
    this.worker = new OutboxWorker({ host: this.host, store: this.store, clock: deps.clock, scheduler, logger: deps.logger, ...(deps.metrics ? { metrics: deps.metrics } : {}), ...(deps.outbox ? { options: deps.outbox } : {}) });
    const outboxBusy = (orderId: string): boolean => this.worker.hasWork(orderId);
    this.inflight = new InflightChecks({
      host: this.host, scheduler, logger: deps.logger, outboxBusy,
      ...(deps.inflight ? { options: deps.inflight } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    this.reconciler = new Reconciler({
      host: this.host,
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      outboxBusy,
      notFoundYet: (id) => this.inflight.notFoundYet(id),
      clearOrphans: (key) => this.events.clearOrphans(key),
    });
    this.events = new ExchangeEvents({
      host: this.host,
      registry: deps.registry,
      directory: deps.directory,
      logger: deps.logger,
      scheduler,
      reconcile: (record, trigger, market) => void this.reconcileAccount(record, trigger, market).catch(() => undefined),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Hydrates every non-terminal order (lazily: the snapshot JSON is parsed on the order's next
   * event), re-dispatches unfinished outbox rows (a submit that may have been sent is looked up
   * first), subscribes to exchange events and starts reconciliation in the background.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('OrderRuntime.start() called twice');
    this.state = 'running';
    for (const r of this.store.openOrders()) {
      const slot = slotOfRow(r);
      if (this.deps.hydration === 'eager') materialize(slot);
      this.live.index(slot);
    }
    this.hydrated = true;
    this.events.attach();
    this.worker.enqueue(this.store.pendingOutbox(), true);
    for (const slot of this.live.values()) this.inflight.observe(slot.orderId, slot.status);
    if (this.deps.reconcileOnStart ?? true) {
      const accounts = new Set([...this.live.values()].map((s) => s.accountKey));
      for (const key of accounts) {
        const record = this.deps.directory.byKey(key);
        if (record?.account.enabled) void this.reconcileAccount(record, 'start').catch(() => undefined);
      }
    }
  }

  /** True once every live order is hydrated (for /readyz). */
  ready(): boolean {
    return this.hydrated && this.state === 'running';
  }

  /**
   * Stops the runtime. Graceful (default): commits what is queued, then waits up to `graceMs` for
   * exchange calls in flight. `abandon: true` drops everything at once, like a crash (tests).
   * Either way an unfinished outbox row stays pending and the next start() recovers it.
   */
  async stop(opts: { abandon?: boolean; graceMs?: number } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    if (!opts.abandon && this.state === 'running') {
      this.flush();
      const deadline = Date.now() + (opts.graceMs ?? 2_000);
      while (!this.isIdle() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      this.flush();
    }
    this.state = 'stopped';
    this.worker.stop();
    this.inflight.stop();
    this.events.stop();
    const dropped = this.queue.splice(0);
    for (const w of dropped) w.reject(new DomainError('EXCHANGE_UNAVAILABLE', 'the service is shutting down; retry shortly'));
  }

  // ------------------------------------------------------------------ commands

  /**
   * Creates the order's actor and applies SUBMIT in the same transaction (with `extraWrites`, in a
   * savepoint: if they throw, nothing of this order is written and the promise rejects with that
   * error). A client_order_id already used on the account returns the existing order instead.
   */
  createOrder(record: AccountRecord, input: OrderInput, actor: string, extraWrites?: ExtraWrites): Promise<OrderView> {
    return this.placeOrder(record, input, actor, extraWrites).then((r) => r.view);
  }

  /** Like createOrder, also telling whether the order is new or an idempotent repeat. */
  placeOrder(record: AccountRecord, input: OrderInput, actor: string, extraWrites?: ExtraWrites): Promise<{ view: OrderView; created: boolean }> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'create', record, input, actor, ...(extraWrites ? { extraWrites } : {}), resolve, reject });
    });
  }

  /** Sends an event to an order; resolves with the view after the transition committed (or was ignored). */
  send(orderId: string, event: OrderEvent, actor: string): Promise<OrderView> {
    return this.deliver(orderId, event, actor);
  }

  /** Reconciles the account (or only its orders and fills on `market`). */
  reconcileAccount(record: AccountRecord, trigger: string, market?: string): Promise<ReconcileResult> {
    return this.reconciler.reconcileAccount(record, trigger, market);
  }

  // ------------------------------------------------------------------ reads

  /** Exchange fills kept aside as impossible for their order since start (status page). */
  quarantinedFills(): readonly QuarantinedFill[] {
    return this.quarantine.list();
  }

  get(orderId: string): OrderView | undefined {
    return this.reads.get(orderId);
  }

  findByClientOrderId(accountKey: AccountKey, clientOrderId: string): OrderView | undefined {
    return this.reads.byClientOrderId(accountKey, clientOrderId);
  }

  /** Non-terminal orders (of one account), from memory. */
  liveOrders(accountKey?: AccountKey): LiveOrder[] {
    return this.live.liveOrders(accountKey);
  }

  /** Non-terminal orders of an account (accounts refuse removal while it is > 0). */
  openOrderCount(accountKey: AccountKey): number {
    return this.live.openOrderCount(accountKey);
  }

  /** Live actors in memory (passivated or not). */
  liveCount(): number {
    return this.live.size;
  }

  /** Called after a change has committed, once per changed order per transaction. Returns an unsubscribe function. */
  onChange(listener: OrderChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /** Resolves with the order's view once `done(view)` holds, or with the latest view after `timeoutMs`. */
  waitFor(orderId: string, done: (v: OrderView) => boolean, timeoutMs: number): Promise<OrderView | undefined> {
    return this.changes.waitFor(orderId, done, timeoutMs, (id) => this.get(id), this.deps.scheduler ?? realScheduler);
  }

  /** Resolves when no event is queued, no outbox command is pending and no exchange call is in flight. */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.isIdle()) {
        await new Promise((r) => setImmediate(r));
        if (this.isIdle()) return;
      } else await new Promise((r) => setTimeout(r, 1));
    }
  }

  isIdle(): boolean {
    return this.state === 'stopped' || (this.queue.length === 0 && !this.flushScheduled && this.tracked === 0 && this.worker.isIdle());
  }

  // ------------------------------------------------------------------ group commit

  private deliver(orderId: string, event: OrderEvent, actor: string, outboxId?: number, wantView = true): Promise<OrderView> {
    return new Promise((resolve, reject) => {
      const w: Work = { kind: 'event', orderId, event, actor, wantView, resolve, reject };
      if (outboxId !== undefined) w.outboxId = outboxId;
      this.enqueue(w);
    });
  }

  private enqueue(w: Work): void {
    if (this.state !== 'running') {
      w.reject(new DomainError('EXCHANGE_UNAVAILABLE', 'the order runtime is not running; retry shortly'));
      return;
    }
    this.queue.push(w);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.state !== 'running' || this.queue.length === 0) return;
    const work = this.queue.splice(0);
    if (this.commit(work)) return;
    // Something outside any savepoint failed: apply one by one so one bad event cannot sink the others.
    for (const w of work) {
      if (this.state !== 'running') return w.reject(new DomainError('EXCHANGE_UNAVAILABLE', 'the order runtime stopped'));
      if (!this.commit([w])) w.reject(storageFailure(this.lastCommitError) ?? new DomainError('INTERNAL', 'order transition failed; see the server log'));
    }
  }

  /** One group-commit transaction; false (nothing written, nothing settled) if it failed. */
  private commit(work: Work[]): boolean {
    const batch = new TransitionBatch(this.batchDeps);
    try {
      this.deps.db.transaction(() => batch.apply(work))();
    } catch (err) {
      this.lastCommitError = err;
      this.deps.logger.error({ err, events: work.length }, 'order transaction failed');
      // A damaged store halts trading (global kill switch, /readyz not ready) instead of acking what cannot be stored.
      const faults = storeFaultsOf(this.deps.db);
      const halted = faults.haltReason();
      faults.note(err);
      if (halted === undefined && faults.haltReason() !== undefined) this.deps.logger.error({ reason: faults.haltReason() }, 'store damaged: trading halted');
      return false;
    }
    storeFaultsOf(this.deps.db).wrote();
    this.afterCommit(batch);
    return true;
  }

  private afterCommit(b: TransitionBatch): void {
    const newlyKnownExchangeIds = new Set<AccountKey>();
    for (const slot of b.staged.values()) {
      const before = this.live.get(slot.orderId);
      if (slot.exchangeOrderId !== undefined && before?.exchangeOrderId !== slot.exchangeOrderId) newlyKnownExchangeIds.add(slot.accountKey);
      if (isTerminal(slot.status)) this.live.unindex(slot);
      else this.live.index(slot);
    }
    this.deps.metrics?.commitBatchSize.observe(b.transitions);
    for (const [type, n] of b.eventCounts) this.deps.metrics?.orderTransitions.inc({ event: type }, n);
    for (const settle of b.settlers) settle();
    for (const { record, view } of b.changed.values()) {
      this.inflight.observe(view.order_id, view.status);
      this.changes.publish(record, view);
    }
    if (b.outbox.length > 0) this.worker.enqueue(b.outbox);
    for (const key of newlyKnownExchangeIds) this.events.retryOrphans(key);
  }

  private nowIso(key?: AccountKey): string {
    return (key !== undefined ? this.simIso(key) : undefined) ?? this.iso(this.deps.clock.now());
  }

  /** The account's simulated time (backtests), undefined on the wall clock. */
  private simIso(key: AccountKey): string | undefined {
    const sim = this.deps.nowFor?.(key);
    return sim === undefined ? undefined : this.simIsoOf(sim);
  }
}

export type { OrderStatus };
