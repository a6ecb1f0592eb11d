/**
 * Read side of the orders: contract views straight from the projection rows (orders, fills).
 * Used by the orders service for get/list/list_fills; never touches actors.
 */
import type { Db } from '../db/connection.ts';
import type { Statement } from 'better-sqlite3';
import type { AccountKey } from '../domain/account.ts';
import type { FillView, Liquidity, OrderStatus, OrderType, OrderView, Side, TimeInForce } from '../domain/order.ts';
import { OPEN_STATUSES, TERMINAL_STATUSES } from '../domain/order.ts';

export interface OrderRow {
  order_id: string;
  account_id: number;
  client_order_id: string;
  exchange_order_id: string | null;
  market: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  amount: string;
  price: string | null;
  status: OrderStatus;
  filled_amount: string;
  average_price: string | null;
  fee_total: string;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
  /** "<exchange>:<exchange_account_id>" of the order's account (null if the account is gone). */
  account_ref: string | null;
}

/** A fills row as FILL_VIEW_COLS selects it. */
export interface FillRow {
  fill_id: string;
  order_id: string;
  market: string;
  side: Side;
  amount: string;
  price: string;
  fee: string;
  fee_currency: string;
  liquidity: Liquidity;
  at: string;
}

/** The fills columns a FillView is made of. */
export const FILL_VIEW_COLS = 'fill_id, order_id, market, side, amount, price, fee, fee_currency, liquidity, at';

/** The public view of a fills row (also used by the cross-account history, services/history.ts). */
export function fillViewOf(r: FillRow): FillView {
  return {
    fill_id: r.fill_id,
    order_id: r.order_id,
    market: r.market,
    side: r.side,
    amount: r.amount,
    price: r.price,
    fee: r.fee,
    fee_currency: r.fee_currency,
    liquidity: r.liquidity,
    at: r.at,
  };
}

export interface OrderQuery {
  accountKey?: AccountKey;
  statuses?: readonly OrderStatus[];
  market?: string;
  /** created_at bounds, inclusive (ISO-8601 as stored). */
  since?: string;
  until?: string;
  /** Only rows older than this position (see orderPosition): keyset paging, stable under inserts. */
  beforePosition?: number;
  limit: number;
}

export interface FillQuery {
  market?: string;
  since?: string;
  until?: string;
  /** Only fills after this one in the newest-first order (see fillPosition). */
  before?: FillPosition;
  limit: number;
}

/** Where a fill sits in the newest-first order (at, then insertion). Internal: never leaves the services. */
export interface FillPosition {
  at: string;
  id: number;
}

/**
 * The account reference comes from the same statement (accountRef(): "<exchange>:<exchange_account_id>"),
 * a primary-key lookup per row, instead of one directory call (a statement) per row in JS.
 */
export const VIEW_COLS =
  'order_id, account_id, client_order_id, exchange_order_id, market, side, type, time_in_force, amount, price, status, ' +
  'filled_amount, average_price, fee_total, status_reason, created_at, updated_at, ' +
  "(SELECT a.exchange || ':' || a.exchange_account_id FROM accounts a WHERE a.id = orders.account_id) AS account_ref";

export const OPEN_STATUS_LIST: readonly OrderStatus[] = [...OPEN_STATUSES];
export const CLOSED_STATUS_LIST: readonly OrderStatus[] = [...TERMINAL_STATUSES];

export class OrderReadModel {
  private readonly byIdStmt;
  private readonly byClientIdStmt;

  /** list()/listFills() statements by SQL text (a handful of filter combinations). */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.byIdStmt = db.prepare(`SELECT ${VIEW_COLS} FROM orders WHERE order_id = ?`);
    this.byClientIdStmt = db.prepare(`SELECT ${VIEW_COLS} FROM orders WHERE account_id = ? AND client_order_id = ?`);
  }

  /** The order with this public id, if it belongs to the account (when given). */
  get(orderId: string, accountKey?: AccountKey): OrderView | undefined {
    const row = this.byIdStmt.get(orderId) as OrderRow | undefined;
    if (!row || (accountKey !== undefined && row.account_id !== accountKey)) return undefined;
    return this.toView(row);
  }

  byClientOrderId(accountKey: AccountKey, clientOrderId: string): OrderView | undefined {
    const row = this.byClientIdStmt.get(accountKey, clientOrderId) as OrderRow | undefined;
    return row && this.toView(row);
  }

  /** Newest first. */
  list(q: OrderQuery): OrderView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.accountKey !== undefined) {
      where.push('account_id = ?');
      args.push(q.accountKey);
    }
    if (q.statuses !== undefined) {
      if (q.statuses.length === 0) return [];
      where.push(`status IN (${q.statuses.map(() => '?').join(', ')})`);
      args.push(...q.statuses);
    }
    if (q.market !== undefined) {
      where.push('market = ?');
      args.push(q.market);
    }
    if (q.since !== undefined) {
      where.push('created_at >= ?');
      args.push(q.since);
    }
    if (q.until !== undefined) {
      where.push('created_at <= ?');
      args.push(q.until);
    }
    if (q.beforePosition !== undefined) {
      where.push('id < ?');
      args.push(q.beforePosition);
    }
    const sql = `SELECT ${VIEW_COLS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.statement(sql).all(...args, q.limit) as OrderRow[];
    return rows.map((r) => this.toView(r));
  }

  /** Paging position of one of the account's orders (the newest-first order is by insertion). */
  orderPosition(accountKey: AccountKey, orderId: string): number | undefined {
    const r = this.statement('SELECT id FROM orders WHERE order_id = ? AND account_id = ?').get(orderId, accountKey) as { id: number } | undefined;
    return r?.id;
  }

  fillPosition(accountKey: AccountKey, fillId: string): FillPosition | undefined {
    return this.statement('SELECT id, at FROM fills WHERE account_id = ? AND fill_id = ?').get(accountKey, fillId) as FillPosition | undefined;
  }

  /** Fills of an account, newest first. */
  listFills(accountKey: AccountKey, f: FillQuery): FillView[] {
    const where = ['account_id = ?'];
    const args: unknown[] = [accountKey];
    if (f.market !== undefined) {
      where.push('market = ?');
      args.push(f.market);
    }
    if (f.since !== undefined) {
      where.push('at >= ?');
      args.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('at <= ?');
      args.push(f.until);
    }
    if (f.before !== undefined) {
      where.push('(at < ? OR (at = ? AND id < ?))');
      args.push(f.before.at, f.before.at, f.before.id);
    }
    const sql = `SELECT ${FILL_VIEW_COLS} FROM fills WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`;
    return (this.statement(sql).all(...args, f.limit) as FillRow[]).map(fillViewOf);
  }

  countOpen(accountKey: AccountKey): number {
    const r = this.statement('SELECT COUNT(*) AS n FROM orders WHERE account_id = ? AND terminal = 0').get(accountKey) as { n: number };
    return r.n;
  }

  private statement(sql: string): Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      if (this.statements.size >= 256) this.statements.clear();
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  toView(r: OrderRow): OrderView {
    const account = r.account_ref ?? `unknown:${r.account_id}`;
    const v: OrderView = {
      order_id: r.order_id,
      client_order_id: r.client_order_id,
      account,
      market: r.market,
      side: r.side,
      type: r.type,
      time_in_force: r.time_in_force,
      amount: r.amount,
      status: r.status,
      filled_amount: r.filled_amount,
      fee_total: r.fee_total,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
    if (r.exchange_order_id !== null) v.exchange_order_id = r.exchange_order_id;
    if (r.price !== null) v.price = r.price;
    if (r.average_price !== null) v.average_price = r.average_price;
    if (r.status_reason !== null) v.status_reason = r.status_reason;
    return v;
  }
}
