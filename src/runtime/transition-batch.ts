/**
 * One group-commit transaction's worth of order transitions. `apply` runs inside the runtime's
 * SQLite transaction: it steps each order through the pure machine (in arrival order) and writes
 * fills, audit and outbox rows as it goes; projection rows are written once per order at the end
 * (the last state of the batch is the only one anybody can observe). Nothing here touches the
 * runtime's in-memory state: the runtime adopts `staged` only after the commit succeeded.
 */
import type { Db } from '../db/connection.ts';
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import { DomainError } from '../domain/errors.ts';
import { isTerminal, type OrderView } from '../domain/order.ts';
import type { FillRecord, OrderCommand, OrderContext, OrderEvent, OrderInput } from '../../machines/order.types.ts';
import { clientKey } from './live-order-index.ts';
import { contextOf, initialOrder, newOrderJsonCache, serializeOrder, statusOf, stepOrder, viewOf, type OrderSnapshot } from './order-machine-port.ts';
import { materialize, newSlot, type OrderSlot } from './order-slot.ts';
import type { OrderStore, OutboxKind, OutboxRow, StoredIndexColumns } from './order-store.ts';
import { payloadOf } from './outbox-payload.ts';
import { auditAction, auditPayload } from './transition-audit.ts';

export type Work =
  | {
      kind: 'create';
      record: AccountRecord;
      input: OrderInput;
      actor: string;
      extraWrites?: (db: Db) => void;
      resolve: (r: { view: OrderView; created: boolean }) => void;
      reject: (e: unknown) => void;
    }
  | {
      kind: 'event';
      orderId: string;
      event: OrderEvent;
      actor: string;
      outboxId?: number;
      /** false: the caller does not read the resolved view (saves computing it per transition). */
      wantView?: boolean;
      resolve: (v: OrderView) => void;
      reject: (e: unknown) => void;
    }
  | { kind: 'finish'; outboxId: number; status: 'done' | 'failed'; resolve: () => void; reject: (e: unknown) => void };

type CreateWork = Extract<Work, { kind: 'create' }>;
type EventWork = Extract<Work, { kind: 'event' }>;

export interface TransitionBatchDeps {
  db: Db;
  store: OrderStore;
  audit: AuditLog;
  directory: AccountDirectory;
  nowIso: (accountKey?: AccountKey) => string;
  /** The account's simulated time (backtests): audit rows of its orders carry it. */
  simIso?: (accountKey: AccountKey) => string | undefined;
  /** The order's current actor (memory, else loaded from the db). */
  slot: (orderId: string) => OrderSlot | undefined;
  /** Order id already using this client_order_id on the account (committed state). */
  existing: (accountKey: AccountKey, clientOrderId: string) => string | undefined;
  /** Committed view of an order (read after commit). */
  view: (orderId: string) => OrderView | undefined;
  /** `db.transaction(fn)` built once: nested inside the batch transaction it is a savepoint. */
  savepoint: (fn: () => void) => void;
}

export class TransitionBatch {
  readonly staged = new Map<string, OrderSlot>();
  readonly changed = new Map<string, { record: AccountRecord; view: OrderView }>();
  readonly outbox: OutboxRow[] = [];
  /** Promise resolutions, run only after the commit. */
  readonly settlers: Array<() => void> = [];
  readonly eventCounts = new Map<string, number>();
  transitions = 0;
  /** Views computed for the projection rows, reused for callers awaiting the same snapshot's view. */
  private readonly views = new Map<OrderSnapshot, OrderView>();
  /** Audit rows of this batch, appended in transition order at the end (one chain-head read). */
  private readonly auditRows: AuditEntry[] = [];
  /** Orders whose projection row must be rewritten at the end of the batch (once each), with its indexed columns as stored. */
  private readonly dirty = new Map<string, StoredIndexColumns>();
  private readonly createdHere = new Map<string, string>();
  private readonly records = new Map<AccountKey, AccountRecord | undefined>();

  constructor(private readonly deps: TransitionBatchDeps) {}

  apply(work: readonly Work[]): void {
    for (const w of work) {
      if (w.kind === 'create') this.create(w);
      else if (w.kind === 'event') this.event(w);
      else {
        this.deps.store.finishOutbox(w.outboxId, w.status, this.deps.nowIso());
        this.settlers.push(() => w.resolve());
      }
    }
    for (const [orderId, stored] of this.dirty) {
      const slot = this.staged.get(orderId) as OrderSlot;
      const snapshot = slot.snapshot as OrderSnapshot;
      const view = viewOf(snapshot);
      this.views.set(snapshot, view);
      this.deps.store.updateOrder(view, serializeOrder(snapshot, (slot.json ??= newOrderJsonCache())), stored);
      const record = this.recordOf(slot.accountKey);
      if (record) this.changed.set(orderId, { record, view });
    }
    this.deps.audit.appendMany(this.auditRows);
  }

  private create(w: CreateWork): void {
    const key = w.record.key;
    const cidKey = clientKey(key, w.input.clientOrderId);
    const existing = this.createdHere.get(cidKey) ?? this.deps.existing(key, w.input.clientOrderId);
    if (existing !== undefined) return this.settleExisting(w, existing);
    try {
      this.deps.savepoint(() => this.createInSavepoint(w, cidKey));
    } catch (e) {
      if (e instanceof DomainError) {
        this.settlers.push(() => w.reject(e));
        return;
      }
      // A concurrent create with the same client_order_id won the unique index: idempotent repeat.
      const winner = this.deps.existing(key, w.input.clientOrderId);
      if (winner !== undefined) return this.settleExisting(w, winner);
      throw e;
    }
  }

  private settleExisting(w: CreateWork, orderId: string): void {
    this.settlers.push(() => {
      const view = this.deps.view(orderId);
      if (view) w.resolve({ view, created: false });
      else w.reject(new DomainError('INTERNAL', 'order with this client_order_id vanished'));
    });
  }

  /** All-or-nothing for one new order: risk writes, row, audit, outbox. Memory is staged last. */
  private createInSavepoint(w: CreateWork, cidKey: string): void {
    w.extraWrites?.(this.deps.db);
    const init = initialOrder(w.input);
    const step = stepOrder(init.snapshot, { type: 'SUBMIT', at: w.input.createdAt });
    const snapshot = step.changed ? step.snapshot : init.snapshot;
    const commands = [...init.commands, ...step.commands];
    const view = viewOf(snapshot);
    const ctx = contextOf(snapshot);
    const orderId = w.input.orderId;
    const json = newOrderJsonCache();
    const rowId = this.deps.store.insertOrder(w.record.key, view, serializeOrder(snapshot, json));
    const audit: AuditEntry = {
      actor: w.actor,
      action: 'order.create',
      subject: orderId,
      payload: {
        account: w.record.ref,
        client_order_id: ctx.clientOrderId,
        market: ctx.market,
        side: ctx.side,
        type: ctx.type,
        amount: ctx.amount,
        ...(ctx.price !== undefined ? { price: ctx.price } : {}),
        time_in_force: ctx.timeInForce,
        status: view.status,
        commands: commands.map((c) => c.kind),
      },
    };
    const rows = this.writeOutbox(w.record.key, orderId, ctx, commands);
    // Nothing below can throw: adopt the new actor into the batch.
    this.outbox.push(...rows);
    const simAt = this.deps.simIso?.(w.record.key);
    if (simAt !== undefined) audit.at = simAt;
    this.auditRows.push(audit);
    this.createdHere.set(cidKey, orderId);
    const slot = newSlot(orderId, w.record.key, ctx.clientOrderId, ctx.exchangeOrderId, statusOf(snapshot), snapshot, undefined, json, rowId);
    this.staged.set(orderId, slot);
    this.changed.set(orderId, { record: w.record, view });
    this.transitions++;
    this.count('CREATE');
    this.settlers.push(() => w.resolve({ view, created: true }));
  }

  private event(w: EventWork): void {
    const slot = this.staged.get(w.orderId) ?? this.deps.slot(w.orderId);
    if (w.outboxId !== undefined) this.deps.store.finishOutbox(w.outboxId, 'done', this.deps.nowIso());
    if (!slot) {
      this.settlers.push(() => w.reject(new DomainError('ORDER_NOT_FOUND', `order ${w.orderId} does not exist`)));
      return;
    }
    const before = materialize(slot);
    const step = stepOrder(before, w.event);
    if (!step.changed) {
      this.settlers.push(() => w.resolve(viewOf(before)));
      return;
    }
    const next = step.snapshot;
    const ctxBefore = contextOf(before);
    const ctx = contextOf(next);
    const status = statusOf(next);
    this.writeNewFills(slot.accountKey, w.orderId, ctxBefore, ctx, w.event);
    const row: AuditEntry = { actor: w.actor, action: auditAction(w.event.type), subject: w.orderId, payload: auditPayload(statusOf(before), status, w.event, step.commands) };
    // On simulated time the event's own time (stamped by the simulator's clock) is when it happened.
    if (this.deps.simIso?.(slot.accountKey) !== undefined) row.at = w.event.at;
    this.auditRows.push(row);
    if (step.commands.length > 0) this.outbox.push(...this.writeOutbox(slot.accountKey, w.orderId, ctx, step.commands));
    this.staged.set(w.orderId, newSlot(slot.orderId, slot.accountKey, slot.clientOrderId, ctx.exchangeOrderId, status, next, undefined, slot.json, slot.rowId));
    // The slot before this batch's first change to the order mirrors its row (or the row this batch inserted).
    if (!this.dirty.has(w.orderId)) this.dirty.set(w.orderId, { exchangeOrderId: slot.exchangeOrderId, terminal: isTerminal(slot.status), rowId: slot.rowId });
    this.transitions++;
    this.count(w.event.type);
    // The view is computed only for a caller that waits for it (exchange events do not).
    // (Called with no argument, resolve gets undefined: no closure per transition for exchange events.)
    this.settlers.push(w.wantView === false ? (w.resolve as () => void) : () => w.resolve(this.views.get(next) ?? viewOf(next)));
  }

  private writeNewFills(key: AccountKey, orderId: string, before: OrderContext, after: OrderContext, e: OrderEvent): void {
    if (after.fillIds.length === before.fillIds.length) return;
    // The usual case: a FILL whose id the machine just appended.
    if (e.type === 'FILL' && after.fillIds.length === before.fillIds.length + 1 && after.fillIds[before.fillIds.length] === e.fillId) {
      this.deps.store.insertFill(key, orderId, after, e);
      return;
    }
    const known = new Set(before.fillIds);
    const fresh = new Set(after.fillIds.filter((id) => !known.has(id)));
    const source: readonly FillRecord[] = e.type === 'FILL' ? [e] : e.type === 'RECONCILED' ? e.report.fills : [];
    for (const f of source) {
      if (!fresh.delete(f.fillId)) continue;
      this.deps.store.insertFill(key, orderId, after, f);
    }
  }

  private writeOutbox(key: AccountKey, orderId: string, ctx: OrderContext, commands: readonly OrderCommand[]): OutboxRow[] {
    const rows: OutboxRow[] = [];
    const at = this.deps.nowIso();
    for (const c of commands) {
      const payload = payloadOf(c, ctx);
      const kind: OutboxKind = c.kind;
      const id = this.deps.store.insertOutbox(key, orderId, kind, payload, at);
      rows.push({ id, accountKey: key, orderId, kind, payload, attempts: 0, notBefore: 0 });
    }
    return rows;
  }

  /** Account records are looked up once per batch (a db read each). */
  private recordOf(key: AccountKey): AccountRecord | undefined {
    if (!this.records.has(key)) this.records.set(key, this.deps.directory.byKey(key));
    return this.records.get(key);
  }

  private count(type: string): void {
    this.eventCounts.set(type, (this.eventCounts.get(type) ?? 0) + 1);
  }
}
