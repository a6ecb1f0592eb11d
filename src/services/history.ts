/**
 * Dashboard reads of the stored history (HistoryService): one order with its fills and audit trail,
 * and keyset-paged, date-ranged lists of orders, fills, audit rows and balance snapshots (pages and
 * CSV downloads). Straight SQL on the projection tables; never an exchange call, never an actor.
 */
import { z } from 'zod';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import type { AccountDirectory } from '../domain/account.ts';
import { DomainError, invalidArgumentFromIssues } from '../domain/errors.ts';
import { isoTimestamp, ORDER_STATUSES, type OrderView } from '../domain/order.ts';
import { FILL_VIEW_COLS, fillViewOf, VIEW_COLS, type FillRow, type OrderReadModel, type OrderRow } from '../runtime/order-read-model.ts';
import { parseBalances } from './balances.ts';
import type {
  AccountFillView,
  AuditEntryView,
  AuditHistoryFilter,
  BalanceHistoryFilter,
  BalanceView,
  FillHistoryFilter,
  HistoryPage,
  HistoryService,
  OrderDetail,
  OrderHistoryFilter,
} from './ports.ts';

export interface HistoryServiceDeps {
  db: Db;
  directory: AccountDirectory;
  reads: OrderReadModel;
}

const range = { since: isoTimestamp.optional(), until: isoTimestamp.optional() };
const limit = (max: number) => z.number().int().min(1).max(max).optional();
const cursor = z.string().min(1).max(200).optional();
const ordersSchema = z
  .object({ ...range, account: z.string().min(1).max(200).optional(), market: z.string().min(1).max(32).optional(), statuses: z.array(z.enum(ORDER_STATUSES)).optional(), cursor, limit: limit(1000) })
  .strict();
const fillsSchema = z.object({ ...range, account: z.string().min(1).max(200).optional(), market: z.string().min(1).max(32).optional(), cursor, limit: limit(1000) }).strict();
const auditSchema = z.object({ ...range, before: z.number().int().min(1).optional(), limit: limit(500) }).strict();
const balancesSchema = z
  .object({ ...range, currency: z.string().min(1).max(16).regex(/^[A-Za-z0-9]+$/, 'must be a currency code such as "BTC"').optional(), cursor, limit: limit(1000) })
  .strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidArgumentFromIssues(r.error.issues);
  return r.data;
}

/** WHERE parts of a time range on `column` (stored as toISOString() text, so text order is time order). */
function rangeWhere(column: string, f: { since?: string | undefined; until?: string | undefined }, where: string[], args: unknown[]): void {
  const since = f.since !== undefined ? new Date(f.since).toISOString() : undefined;
  const until = f.until !== undefined ? new Date(f.until).toISOString() : undefined;
  if (since !== undefined && until !== undefined && since >= until)
    throw new DomainError('INVALID_ARGUMENT', `since ${f.since} must be before until ${f.until}`, { fields: ['since', 'until'] });
  if (since !== undefined) {
    where.push(`${column} >= ?`);
    args.push(since);
  }
  if (until !== undefined) {
    where.push(`${column} < ?`);
    args.push(until);
  }
}

/** Opaque cursor of a row ordered by (at DESC, row DESC): the row key stays inside the token. */
function timeCursor(at: string, row: number): string {
  return Buffer.from(JSON.stringify([at, row])).toString('base64url');
}
function readTimeCursor(c: string): [string, number] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isSafeInteger(v[1])) return [v[0], v[1] as number];
  } catch {
    // fall through to the error below
  }
  throw new DomainError('INVALID_ARGUMENT', 'cursor is not one this service handed out; start again from the first page', { fields: ['cursor'] });
}

/** Takes `limit` of `rows` (read as limit + 1) and the cursor of the next page if there is one. */
function pageOf<R, T>(rows: R[], n: number, view: (r: R) => T, cursorOf: (r: R) => string): HistoryPage<T> {
  const items = rows.slice(0, n);
  const last = items[items.length - 1];
  return rows.length > n && last !== undefined ? { items: items.map(view), next: cursorOf(last) } : { items: items.map(view) };
}

interface AccountFillRow extends FillRow {
  row: number;
  account: string | null;
}
const FILL_COLS = `id AS row, (SELECT a.exchange || ':' || a.exchange_account_id FROM accounts a WHERE a.id = fills.account_id) AS account, ${FILL_VIEW_COLS}`;

function fillView(r: AccountFillRow): AccountFillView {
  return { account: r.account ?? 'unknown', ...fillViewOf(r) };
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  payload: string;
}
function auditView(r: AuditRow): AuditEntryView {
  return { seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, payload: JSON.parse(r.payload) as Record<string, unknown> };
}

export class HistoryServiceImpl implements HistoryService {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly deps: HistoryServiceDeps) {}

  order(orderId: string): OrderDetail {
    const id = parse(z.string().min(1).max(64), orderId);
    const order = this.deps.reads.get(id);
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `no order with order_id ${id}`);
    const fills = (this.statement(`SELECT ${FILL_COLS} FROM fills WHERE order_id = ? ORDER BY at, id`).all(id) as AccountFillRow[]).map(fillView);
    // fills_order and audit_log_subject (migration 005) keep these index ranges, not scans of the whole tables.
    const audit = (this.statement('SELECT seq, at, actor, action, subject, payload FROM audit_log WHERE subject = ? ORDER BY seq').all(id) as AuditRow[]).map(auditView);
    return { order, fills, audit };
  }

  orders(filter: OrderHistoryFilter): HistoryPage<OrderView> {
    const f = parse(ordersSchema, filter ?? {});
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.account !== undefined) {
      where.push('account_id = ?');
      args.push(this.deps.directory.resolve(f.account).key);
    }
    if (f.statuses !== undefined) {
      if (f.statuses.length === 0) return { items: [] };
      where.push(`status IN (${f.statuses.map(() => '?').join(', ')})`);
      args.push(...f.statuses);
    }
    if (f.market !== undefined) {
      where.push('market = ?');
      args.push(f.market.toLowerCase());
    }
    rangeWhere('created_at', f, where, args);
    if (f.cursor !== undefined) {
      // The cursor is the public order_id of the last row shown; the next page starts below it.
      const at = this.statement('SELECT id FROM orders WHERE order_id = ?').get(f.cursor) as { id: number } | undefined;
      if (!at) throw new DomainError('INVALID_ARGUMENT', `cursor ${f.cursor} names no order; start again from the first page`, { fields: ['cursor'] });
      where.push('id < ?');
      args.push(at.id);
    }
    const n = f.limit ?? 100;
    const sql = `SELECT ${VIEW_COLS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.statement(sql).all(...args, n + 1) as OrderRow[];
    return pageOf(rows, n, (r) => this.deps.reads.toView(r), (r) => r.order_id);
  }

  fills(filter: FillHistoryFilter): HistoryPage<AccountFillView> {
    const f = parse(fillsSchema, filter ?? {});
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.account !== undefined) {
      where.push('account_id = ?');
      args.push(this.deps.directory.resolve(f.account).key);
    }
    if (f.market !== undefined) {
      where.push('market = ?');
      args.push(f.market.toLowerCase());
    }
    rangeWhere('at', f, where, args);
    if (f.cursor !== undefined) {
      const [at, row] = readTimeCursor(f.cursor);
      where.push('at <= ? AND (at < ? OR id < ?)'); // (at, id) below the cursor's, as an index range on at
      args.push(at, at, row);
    }
    const n = f.limit ?? 100;
    const sql = `SELECT ${FILL_COLS} FROM fills ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    const rows = this.statement(sql).all(...args, n + 1) as AccountFillRow[];
    return pageOf(rows, n, fillView, (r) => timeCursor(r.at, r.row));
  }

  audit(filter: AuditHistoryFilter): HistoryPage<AuditEntryView> {
    const f = parse(auditSchema, filter ?? {});
    const where: string[] = [];
    const args: unknown[] = [];
    rangeWhere('at', f, where, args);
    if (f.before !== undefined) {
      where.push('seq < ?');
      args.push(f.before);
    }
    const n = f.limit ?? 50;
    const sql = `SELECT seq, at, actor, action, subject, payload FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.statement(sql).all(...args, n + 1) as AuditRow[];
    return pageOf(rows, n, auditView, (r) => String(r.seq));
  }

  balances(account: string, filter: BalanceHistoryFilter): HistoryPage<{ at: string; balances: BalanceView[] }> {
    const f = parse(balancesSchema, filter ?? {});
    const where = ['account_id = ?'];
    const args: unknown[] = [this.deps.directory.resolve(account).key];
    rangeWhere('at', f, where, args);
    if (f.cursor !== undefined) {
      const [at, row] = readTimeCursor(f.cursor);
      where.push('at <= ? AND (at < ? OR id < ?)'); // (at, id) below the cursor's, as an index range on at
      args.push(at, at, row);
    }
    const n = f.limit ?? 100;
    const currency = f.currency?.toUpperCase();
    const rows = this.statement(`SELECT id AS row, at, balances_json FROM balance_snapshots WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`).all(...args, n + 1) as {
      row: number;
      at: string;
      balances_json: string;
    }[];
    return pageOf(
      rows,
      n,
      (r) => {
        const balances = parseBalances(r.balances_json);
        return { at: r.at, balances: currency === undefined ? balances : balances.filter((b) => b.currency.toUpperCase() === currency) };
      },
      (r) => timeCursor(r.at, r.row),
    );
  }

  private statement(sql: string): Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      if (this.statements.size >= 256) this.statements.clear();
      st = this.deps.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
}
