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
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { IdFactory } from '../domain/ids.ts';
import type { OrderStatus, OrderView } from '../domain/order.ts';
import { isTerminal } from '../domain/order.ts';
import type { ExchangeAdapter } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OrderContext, OrderEvent, OrderInput } from '../../machines/order.types.ts';
import type { AdapterRegistry } from './adapter-registry.ts';
import { ExchangeEvents, type ConnectionStatus } from './exchange-events.ts';
import { InflightChecks, type InflightOptions } from './inflight-checks.ts';
import { contextOf, statusOf } from './order-machine-port.ts';
import { OrderReadModel } from './order-read-model.ts';
import { OrderStore } from './order-store.ts';
import { OutboxWorker, type OutboxOptions } from './outbox-worker.ts';
import { Reconciler, type ReconcileResult } from './reconciliation.ts';
import type { LiveOrder, RuntimeHost } from './runtime-host.ts';
import { realScheduler, type Scheduler } from './scheduler.ts';
import { materialize, TransitionBatch, type OrderSlot, type TransitionBatchDeps, type Work } from './transition-batch.ts';

export type OrderChangeListener = (record: AccountRecord, view: OrderView) => void;
/** Extra writes joined to the transaction (and savepoint) that creates an order, e.g. risk counters. Throw to refuse. */
export type ExtraWrites = (db: Db) => void;

export interface OrderRuntimeDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  registry: AdapterRegistry;
  directory: AccountDirectory;
  logger: Logger;
  metrics?: Metrics;
  ids: IdFactory;
  scheduler?: Scheduler;
  outbox?: Partial<OutboxOptions>;
  inflight?: Partial<InflightOptions>;
  /** Reconcile every account with live orders at start (default true). */
  reconcileOnStart?: boolean;
  /** 'lazy' (default): keep each snapshot's JSON until the order's next event; 'eager': restore all at start. */
  hydration?: 'lazy' | 'eager';
}

export class OrderRuntime {
  readonly store: OrderStore;
  readonly reads: OrderReadModel;
  private readonly slots = new Map<string, OrderSlot>();
  private readonly byClientId = new Map<string, string>();
  private readonly byExchangeId = new Map<string, string>();
  private readonly listeners = new Set<OrderChangeListener>();
  private readonly worker: OutboxWorker;
  private readonly inflight: InflightChecks;
  private readonly events: ExchangeEvents;
  private readonly reconciler: Reconciler;
  private readonly host: RuntimeHost;
  private readonly batchDeps: TransitionBatchDeps;
  private queue: Work[] = [];
  private flushScheduled = false;
  private tracked = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private hydrated = false;
  private lastCommitError: unknown;
  private readonly iso = isoCache();

  constructor(private readonly deps: OrderRuntimeDeps) {
    this.store = new OrderStore(deps.db);
    this.reads = new OrderReadModel(deps.db);
    const scheduler = deps.scheduler ?? realScheduler;
    this.host = this.makeHost();
    const savepoint = deps.db.transaction((fn: () => void) => fn());
    this.batchDeps = {
      db: deps.db,
      store: this.store,
      audit: deps.audit,
      directory: deps.directory,
      nowIso: () => this.nowIso(),
      slot: (orderId) => this.slotOf(orderId),
      existing: (key, cid) => this.byClientId.get(clientKey(key, cid)) ?? this.store.byClientOrderId(key, cid)?.order_id,
      view: (orderId) => this.get(orderId),
      savepoint: (fn) => savepoint(fn),
    };
    this.worker = new OutboxWorker({ host: this.host, store: this.store, clock: deps.clock, scheduler, logger: deps.logger, ...(deps.metrics ? { metrics: deps.metrics } : {}), ...(deps.outbox ? { options: deps.outbox } : {}) });
    const outboxBusy = (orderId: string): boolean => this.worker.hasWork(orderId);
    this.inflight = new InflightChecks({ host: this.host, scheduler, logger: deps.logger, outboxBusy, ...(deps.inflight ? { options: deps.inflight } : {}) });
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
      reconcile: (record, trigger) => void this.reconcileAccount(record, trigger).catch(() => undefined),
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
      const slot: OrderSlot = { orderId: r.order_id, accountKey: r.account_id as AccountKey, clientOrderId: r.client_order_id, status: r.status, text: r.snapshot, rowId: r.id };
      if (r.exchange_order_id !== null) slot.exchangeOrderId = r.exchange_order_id;
      if (this.deps.hydration === 'eager') materialize(slot);
      this.index(slot);
    }
    this.hydrated = true;
    this.events.attach();
    this.worker.enqueue(this.store.pendingOutbox(), true);
    for (const slot of this.slots.values()) this.inflight.observe(slot.orderId, slot.status);
    if (this.deps.reconcileOnStart ?? true) {
      const accounts = new Set([...this.slots.values()].map((s) => s.accountKey));
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

  reconcileAccount(record: AccountRecord, trigger: string): Promise<ReconcileResult> {
    return this.reconciler.reconcileAccount(record, trigger);
  }

  // ------------------------------------------------------------------ reads

  get(orderId: string): OrderView | undefined {
    return this.reads.get(orderId);
  }

  findByClientOrderId(accountKey: AccountKey, clientOrderId: string): OrderView | undefined {
    return this.reads.byClientOrderId(accountKey, clientOrderId);
  }

  /** Non-terminal orders (of one account), from memory. */
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

  /** Non-terminal orders of an account (accounts refuse removal while it is > 0). */
  openOrderCount(accountKey: AccountKey): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.accountKey === accountKey) n++;
    return n;
  }

  /** Per account whose adapter pushed connection events: live or disconnected, since when. */
  connectionStatus(): ConnectionStatus[] {
    return this.events.connectionStatus();
  }

  /** Live actors in memory (passivated or not). */
  liveCount(): number {
    return this.slots.size;
  }

  /** Called after a change has committed, once per changed order per transaction. Returns an unsubscribe function. */
  onChange(listener: OrderChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves with the order's view once `done(view)` holds, or with the latest view after `timeoutMs`. */
  waitFor(orderId: string, done: (v: OrderView) => boolean, timeoutMs: number): Promise<OrderView | undefined> {
    const now = this.get(orderId);
    if (!now || done(now) || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const off = this.onChange((_r, v) => {
        if (v.order_id === orderId && done(v)) finish(v);
      });
      const timer = (this.deps.scheduler ?? realScheduler).after(timeoutMs, () => finish(this.get(orderId)));
      const finish = (v: OrderView | undefined): void => {
        off();
        timer.cancel();
        resolve(v);
      };
    });
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
      return false;
    }
    this.afterCommit(batch);
    return true;
  }

  private afterCommit(b: TransitionBatch): void {
    const newlyKnownExchangeIds = new Set<AccountKey>();
    for (const slot of b.staged.values()) {
      const before = this.slots.get(slot.orderId);
      if (slot.exchangeOrderId !== undefined && before?.exchangeOrderId !== slot.exchangeOrderId) newlyKnownExchangeIds.add(slot.accountKey);
      if (isTerminal(slot.status)) this.unindex(slot);
      else this.index(slot);
    }
    this.deps.metrics?.commitBatchSize.observe(b.transitions);
    for (const [type, n] of b.eventCounts) this.deps.metrics?.orderTransitions.inc({ event: type }, n);
    for (const settle of b.settlers) settle();
    for (const { record, view } of b.changed.values()) {
      this.inflight.observe(view.order_id, view.status);
      for (const l of this.listeners) {
        try {
          l(record, view);
        } catch (err) {
          this.deps.logger.error({ err }, 'order change listener failed');
        }
      }
    }
    if (b.outbox.length > 0) this.worker.enqueue(b.outbox);
    for (const key of newlyKnownExchangeIds) this.events.retryOrphans(key);
  }

  private nowIso(): string {
    return this.iso(this.deps.clock.now());
  }

  // ------------------------------------------------------------------ actors in memory

  private slotOf(orderId: string): OrderSlot | undefined {
    const live = this.slots.get(orderId);
    if (live) return live;
    // Terminal (or unknown) orders are not kept in memory: load on demand; they absorb events.
    const row = this.store.byId(orderId);
    if (!row) return undefined;
    const slot: OrderSlot = { orderId: row.order_id, accountKey: row.account_id as AccountKey, clientOrderId: row.client_order_id, status: row.status, text: row.snapshot, rowId: row.id };
    if (row.exchange_order_id !== null) slot.exchangeOrderId = row.exchange_order_id;
    return slot;
  }

  private index(slot: OrderSlot): void {
    const prev = this.slots.get(slot.orderId);
    this.slots.set(slot.orderId, slot);
    if (!prev) this.byClientId.set(clientKey(slot.accountKey, slot.clientOrderId), slot.orderId);
    if (prev?.exchangeOrderId === slot.exchangeOrderId) return;
    if (prev?.exchangeOrderId !== undefined) this.byExchangeId.delete(clientKey(prev.accountKey, prev.exchangeOrderId));
    if (slot.exchangeOrderId !== undefined) this.byExchangeId.set(clientKey(slot.accountKey, slot.exchangeOrderId), slot.orderId);
  }

  private unindex(slot: OrderSlot): void {
    const prev = this.slots.get(slot.orderId) ?? slot;
    this.slots.delete(slot.orderId);
    this.byClientId.delete(clientKey(prev.accountKey, prev.clientOrderId));
    for (const id of [prev.exchangeOrderId, slot.exchangeOrderId]) if (id !== undefined) this.byExchangeId.delete(clientKey(prev.accountKey, id));
  }

  private makeHost(): RuntimeHost {
    return {
      order: (orderId) => {
        const slot = this.slotOf(orderId);
        if (!slot) return undefined;
        const snap = materialize(slot);
        return { accountKey: slot.accountKey, status: statusOf(snap), context: contextOf(snap) as OrderContext };
      },
      deliver: (orderId, event, actor, outboxId) => this.deliver(orderId, event, actor, outboxId, false).then(() => undefined),
      post: (orderId, event, actor, onError) => this.enqueue({ kind: 'event', orderId, event, actor, wantView: false, resolve: noop, reject: onError }),
      finishOutbox: (outboxId, status) =>
        new Promise<void>((resolve, reject) => this.enqueue({ kind: 'finish', outboxId, status, resolve: () => resolve(), reject })),
      findOrderId: (key, ids) => {
        if (ids.clientOrderId !== undefined) {
          const id = this.byClientId.get(clientKey(key, ids.clientOrderId)) ?? this.store.byClientOrderId(key, ids.clientOrderId)?.order_id;
          if (id) return id;
        }
        if (ids.exchangeOrderId !== undefined)
          return this.byExchangeId.get(clientKey(key, ids.exchangeOrderId)) ?? this.store.byExchangeOrderId(key, ids.exchangeOrderId)?.order_id;
        return undefined;
      },
      liveOrders: (key) => this.liveOrders(key),
      record: (key) => this.deps.directory.byKey(key),
      adapter: (record): ExchangeAdapter => this.deps.registry.get(record),
      nowIso: () => this.nowIso(),
      track: <T>(p: Promise<T>): Promise<T> => {
        this.tracked++;
        return p.finally(() => void this.tracked--);
      },
      isStopped: () => this.state === 'stopped',
    };
  }
}

/** ISO time of the clock, formatted once per distinct millisecond (it is on every transition's path). */
function isoCache(): (ms: number) => string {
  let lastMs = NaN;
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = isoAt(ms);
    }
    return lastIso;
  };
}

/**
 * SQLite could not write (disk full, read-only files, I/O error, locked): a clear, retryable
 * refusal instead of INTERNAL. Nothing was sent anywhere: every command is persisted first.
 */
function storageFailure(err: unknown): DomainError | undefined {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED)/.test(code)) return undefined;
  const what = code.startsWith('SQLITE_FULL')
    ? 'the disk is full'
    : code.startsWith('SQLITE_READONLY')
      ? 'its database is read-only'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'its database is locked by another process'
        : 'its database cannot be written (I/O error)';
  return new DomainError(
    'EXCHANGE_UNAVAILABLE',
    `the service cannot record orders right now: ${what}; nothing was sent to the exchange. Reads still work; retry once storage is fixed`,
  );
}

const noop = (): void => {};

function clientKey(key: AccountKey, id: string): string {
  return `${key}\u0000${id}`;
}

export type { OrderStatus };
