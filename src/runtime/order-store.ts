/**
 * SQL of the order runtime: the projection + snapshot row, fills, and outbox rows. Prepared once;
 * every write is synchronous so it joins the caller's (group-commit) transaction.
 */
import type { Db } from '../db/connection.ts';
import type { AccountKey } from '../domain/account.ts';
import type { OrderStatus, OrderView } from '../domain/order.ts';
import { isTerminal } from '../domain/order.ts';
import type { FillRecord } from '../../machines/order.types.ts';
import { ORDER_MACHINE_VERSION } from '../../machines/order.types.ts';

export type OutboxKind = 'submit' | 'cancel' | 'query';

export interface OutboxRow {
  id: number;
  accountKey: AccountKey;
  orderId: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  attempts: number;
  /** Epoch ms before which a crashed attempt may still land (outbox.next_attempt_at); 0 if never attempted. */
  notBefore: number;
}

/** The indexed columns of an order row that transitions can change, as last written. */
export interface StoredIndexColumns {
  exchangeOrderId: string | undefined;
  terminal: boolean;
  /** orders.id (the rowid), when known: the update then needs no lookup through the order_id index. */
  rowId: number | undefined;
}

/** Columns the runtime needs to index an order without parsing its snapshot. */
export interface OrderIndexRow {
  id: number;
  order_id: string;
  account_id: number;
  client_order_id: string;
  exchange_order_id: string | null;
  status: OrderStatus;
  snapshot: string;
}

interface RawOutboxRow {
  id: number;
  account_id: number;
  order_id: string;
  kind: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
}

export class OrderStore {
  private readonly insertOrderStmt;
  private readonly updateOrderStmt;
  private readonly updateOrderLightStmt;
  private readonly insertFillStmt;
  private readonly insertOutboxStmt;
  private readonly finishOutboxStmt;
  private readonly attemptStmt;
  private readonly byIdStmt;
  private readonly byClientIdStmt;
  private readonly byExchangeIdStmt;
  private readonly openStmt;
  private readonly pendingOutboxStmt;
  private readonly openOutboxOfOrderStmt;

  constructor(readonly db: Db) {
    this.insertOrderStmt = db.prepare(
      `INSERT INTO orders (order_id, account_id, client_order_id, exchange_order_id, market, side, type, time_in_force,
         amount, price, status, filled_amount, average_price, fee_total, status_reason, created_at, updated_at, terminal,
         machine_version, snapshot)
       VALUES (@order_id, @account_id, @client_order_id, @exchange_order_id, @market, @side, @type, @time_in_force,
         @amount, @price, @status, @filled_amount, @average_price, @fee_total, @status_reason, @created_at, @updated_at,
         @terminal, @machine_version, @snapshot)`,
    );
    this.updateOrderStmt = db.prepare(
      `UPDATE orders SET exchange_order_id = ?, status = ?, filled_amount = ?, average_price = ?, fee_total = ?,
         status_reason = ?, updated_at = ?, terminal = ?, machine_version = ?, snapshot = ?
       WHERE order_id = ?`,
    );
    // Most transitions (fills) change neither indexed column (exchange_order_id, terminal): not
    // naming them in SET spares SQLite rewriting three index entries per transition.
    this.updateOrderLightStmt = db.prepare(
      `UPDATE orders SET status = ?, filled_amount = ?, average_price = ?, fee_total = ?, status_reason = ?, updated_at = ?,
         machine_version = ?, snapshot = ?
       WHERE id = ? AND order_id = ?`,
    );
    this.insertFillStmt = db.prepare(
      `INSERT OR IGNORE INTO fills (account_id, fill_id, order_id, market, side, amount, price, fee, fee_currency, liquidity, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertOutboxStmt = db.prepare(
      'INSERT INTO outbox (account_id, order_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.finishOutboxStmt = db.prepare("UPDATE outbox SET status = ?, done_at = ? WHERE id = ? AND status = 'pending'");
    this.attemptStmt = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?');
    const indexCols = 'id, order_id, account_id, client_order_id, exchange_order_id, status, snapshot';
    this.byIdStmt = db.prepare(`SELECT ${indexCols} FROM orders WHERE order_id = ?`);
    this.byClientIdStmt = db.prepare(`SELECT ${indexCols} FROM orders WHERE account_id = ? AND client_order_id = ?`);
    this.byExchangeIdStmt = db.prepare(
      `SELECT ${indexCols} FROM orders WHERE account_id = ? AND exchange_order_id = ? ORDER BY id DESC LIMIT 1`,
    );
    this.openStmt = db.prepare(`SELECT ${indexCols} FROM orders WHERE terminal = 0`);
    this.pendingOutboxStmt = db.prepare(
      "SELECT id, account_id, order_id, kind, payload, attempts, next_attempt_at FROM outbox WHERE status = 'pending' ORDER BY id",
    );
    this.openOutboxOfOrderStmt = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE order_id = ? AND status = 'pending'");
  }

  /** Returns the new row's id (orders.id). */
  insertOrder(accountKey: AccountKey, view: OrderView, snapshot: string): number {
    return Number(this.insertOrderStmt.run({ ...projection(view, snapshot), account_id: accountKey, client_order_id: view.client_order_id,
      market: view.market, side: view.side, type: view.type, time_in_force: view.time_in_force, amount: view.amount,
      price: view.price ?? null, created_at: view.created_at }).lastInsertRowid);
  }

  /**
   * Rewrites the projection + snapshot row. `stored`: the row's exchange order id and terminal flag
   * as last written, when known; if neither changes, the indexed columns are left alone.
   */
  updateOrder(view: OrderView, snapshot: string, stored?: StoredIndexColumns): void {
    const terminal = isTerminal(view.status);
    if (stored?.rowId !== undefined && stored.exchangeOrderId === view.exchange_order_id && stored.terminal === terminal) {
      const changes = this.updateOrderLightStmt.run(
        view.status,
        view.filled_amount,
        view.average_price ?? null,
        view.fee_total,
        view.status_reason ?? null,
        view.updated_at,
        ORDER_MACHINE_VERSION,
        snapshot,
        stored.rowId,
        view.order_id,
      ).changes;
      // Checked: the row id is the order's (a stale id would silently update nothing).
      if (changes === 1) return;
    }
    this.updateOrderStmt.run(
      view.exchange_order_id ?? null,
      view.status,
      view.filled_amount,
      view.average_price ?? null,
      view.fee_total,
      view.status_reason ?? null,
      view.updated_at,
      terminal ? 1 : 0,
      ORDER_MACHINE_VERSION,
      snapshot,
      view.order_id,
    );
  }

  insertFill(accountKey: AccountKey, orderId: string, order: { market: string; side: string }, f: FillRecord): void {
    this.insertFillStmt.run(accountKey, f.fillId, orderId, order.market, order.side, f.amount, f.price, f.fee, f.feeCurrency, f.liquidity, f.at);
  }

  insertOutbox(accountKey: AccountKey, orderId: string, kind: OutboxKind, payload: Record<string, unknown>, at: string): number {
    return Number(this.insertOutboxStmt.run(accountKey, orderId, kind, JSON.stringify(payload), at).lastInsertRowid);
  }

  finishOutbox(id: number, status: 'done' | 'failed', at: string): void {
    this.finishOutboxStmt.run(status, at, id);
  }

  /**
   * Durably counts an exchange call before it is made (crash recovery reads it), with the time
   * until which that call may still land (`notBefore`: now + the adapter's request timeout).
   */
  recordAttempts(ids: readonly number[], notBefore: number): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.attemptStmt.run(notBefore, id);
    })();
  }

  byId(orderId: string): OrderIndexRow | undefined {
    return this.byIdStmt.get(orderId) as OrderIndexRow | undefined;
  }

  byClientOrderId(accountKey: AccountKey, clientOrderId: string): OrderIndexRow | undefined {
    return this.byClientIdStmt.get(accountKey, clientOrderId) as OrderIndexRow | undefined;
  }

  byExchangeOrderId(accountKey: AccountKey, exchangeOrderId: string): OrderIndexRow | undefined {
    return this.byExchangeIdStmt.get(accountKey, exchangeOrderId) as OrderIndexRow | undefined;
  }

  /** Every non-terminal order (hydration on start). */
  openOrders(): OrderIndexRow[] {
    return this.openStmt.all() as OrderIndexRow[];
  }

  pendingOutbox(): OutboxRow[] {
    return (this.pendingOutboxStmt.all() as RawOutboxRow[]).map((r) => ({
      id: r.id,
      accountKey: r.account_id as AccountKey,
      orderId: r.order_id,
      kind: r.kind as OutboxKind,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      attempts: r.attempts,
      notBefore: r.next_attempt_at,
    }));
  }

  pendingOutboxCount(orderId: string): number {
    return (this.openOutboxOfOrderStmt.get(orderId) as { n: number }).n;
  }
}

function projection(view: OrderView, snapshot: string): Record<string, unknown> {
  return {
    order_id: view.order_id,
    exchange_order_id: view.exchange_order_id ?? null,
    status: view.status,
    filled_amount: view.filled_amount,
    average_price: view.average_price ?? null,
    fee_total: view.fee_total,
    status_reason: view.status_reason ?? null,
    updated_at: view.updated_at,
    terminal: isTerminal(view.status) ? 1 : 0,
    machine_version: ORDER_MACHINE_VERSION,
    snapshot,
  };
}
