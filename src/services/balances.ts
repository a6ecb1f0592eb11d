/**
 * Balances: the latest balances per account are cached in `balances`; every fetch from the exchange
 * also appends a row to `balance_snapshots` (the history behind get_balance_history and the chart).
 */
import type { Statement } from 'better-sqlite3';
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock } from '../domain/clock.ts';
import { DomainError, invalidArgumentFromIssues } from '../domain/errors.ts';
import { isoTimestamp } from '../domain/order.ts';
import type { BalanceReport, ExchangeAdapter } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { BalanceView, BalancesResult, BalancesService } from './ports.ts';

export interface BalancesDeps {
  db: Db;
  clock: Clock;
  directory: AccountDirectory;
  adapterFor: (record: AccountRecord) => ExchangeAdapter;
  logger: Logger;
  /** The account's own "now" when it is not the wall clock (a backtest's simulated time): as_of and history. */
  nowFor?: (record: AccountRecord) => number | undefined;
}

export const HISTORY_DEFAULT_LIMIT = 100;
export const HISTORY_MAX_LIMIT = 1000;

const historyFilterSchema = z
  .object({
    currency: z.string().min(1).max(16).regex(/^[A-Za-z0-9]+$/, 'must be a currency code such as "BTC"').optional(),
    since: isoTimestamp.optional(),
    until: isoTimestamp.optional(),
    limit: z.number().int().min(1).max(HISTORY_MAX_LIMIT).optional(),
  })
  .strict();
export type HistoryFilter = z.infer<typeof historyFilterSchema>;

interface BalanceRow {
  currency: string;
  total: string;
  available: string;
  reserved: string;
  as_of: string;
}

function view(b: BalanceReport | BalanceRow): BalanceView {
  return { currency: b.currency, total: b.total, available: b.available, reserved: b.reserved };
}

/** All accounts' stored balances as one JSON array (see latestForAll). */
const LATEST_FOR_ALL_JSON = `SELECT json_group_array(json_array(a.name, a.exchange, a.exchange_account_id, b.currency, b.total, b.available, b.reserved, b.as_of)
    ORDER BY b.account_id, b.currency)
  FROM balances b JOIN accounts a ON a.id = b.account_id`;

export class BalancesServiceImpl implements BalancesService {
  /** Prepared once: the dashboard runs it on every page view. */
  private latestForAllStatement: Statement | undefined;

  constructor(private readonly deps: BalancesDeps) {}

  /** Cached balances, or fresh ones from the exchange when `refresh` is set or nothing is cached yet. */
  async get(account: string, refresh: boolean): Promise<BalancesResult> {
    const record = this.deps.directory.resolve(account);
    if (!refresh) {
      const rows = this.cached(record.key);
      if (rows.length > 0) {
        const asOf = rows.reduce((max, r) => (r.as_of > max ? r.as_of : max), rows[0]!.as_of);
        return { account: record.account.name, as_of: asOf, balances: rows.map(view) };
      }
    }
    return this.fetchAndRecord(record);
  }

  /** Always fetches and records a snapshot (the scheduled job and the after-fill trigger call this). */
  async snapshot(account: string): Promise<void> {
    await this.fetchAndRecord(this.deps.directory.resolve(account));
  }

  /**
   * Snapshots within since/until (inclusive): the most recent `limit` of them (default 100, max
   * 1000), returned oldest first so they read (and chart) chronologically.
   */
  history(account: string, filter: HistoryFilter): { snapshots: { at: string; balances: BalanceView[] }[] } {
    const parsed = historyFilterSchema.safeParse(filter);
    if (!parsed.success) throw invalidArgumentFromIssues(parsed.error.issues);
    const f = parsed.data;
    const record = this.deps.directory.resolve(account);
    // Stored times are toISOString() (UTC, ms); normalizing the bounds makes string comparison exact.
    const since = f.since !== undefined ? new Date(f.since).toISOString() : undefined;
    const until = f.until !== undefined ? new Date(f.until).toISOString() : undefined;
    if (since !== undefined && until !== undefined && since > until)
      throw new DomainError('INVALID_ARGUMENT', `since ${f.since} is after until ${f.until}`, { fields: ['since', 'until'] });
    const where = ['account_id = ?'];
    const params: Array<string | number> = [record.key];
    if (since !== undefined) {
      where.push('at >= ?');
      params.push(since);
    }
    if (until !== undefined) {
      where.push('at <= ?');
      params.push(until);
    }
    params.push(f.limit ?? HISTORY_DEFAULT_LIMIT);
    const rows = this.deps.db
      .prepare(`SELECT at, balances_json FROM balance_snapshots WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`)
      .all(...params) as { at: string; balances_json: string }[];
    const currency = f.currency?.toUpperCase();
    const snapshots = rows.reverse().map((r) => {
      const balances = parseBalances(r.balances_json);
      return { at: r.at, balances: currency === undefined ? balances : balances.filter((b) => b.currency.toUpperCase() === currency) };
    });
    return { snapshots };
  }

  /**
   * Stored latest balances of all accounts in one query (the dashboard's accounts table); no
   * exchange call. One JSON array instead of a row object per balance: about half the cost with
   * better-sqlite3, which makes every column of every row its own V8 property.
   */
  latestForAll(): Map<string, BalancesResult> {
    this.latestForAllStatement ??= this.deps.db.prepare(LATEST_FOR_ALL_JSON).pluck();
    const json = this.latestForAllStatement.get() as string;
    const rows = JSON.parse(json) as Array<[name: string, exchange: string, exchangeAccountId: string, currency: string, total: string, available: string, reserved: string, asOf: string]>;
    const out = new Map<string, BalancesResult>();
    for (const [name, exchange, exchangeAccountId, currency, total, available, reserved, asOf] of rows) {
      const ref = `${exchange}:${exchangeAccountId}`;
      const balance: BalanceView = { currency, total, available, reserved };
      const result = out.get(ref);
      if (!result) out.set(ref, { account: name, as_of: asOf, balances: [balance] });
      else {
        result.balances.push(balance);
        if (asOf > result.as_of) result.as_of = asOf;
      }
    }
    return out;
  }

  private cached(key: AccountKey): BalanceRow[] {
    return this.deps.db
      .prepare('SELECT currency, total, available, reserved, as_of FROM balances WHERE account_id = ? ORDER BY currency')
      .all(key) as BalanceRow[];
  }

  private async fetchAndRecord(record: AccountRecord): Promise<BalancesResult> {
    if (!record.account.enabled)
      throw new DomainError('ACCOUNT_DISABLED', `account ${record.account.name} is disabled; enable it on the dashboard to fetch balances`);
    const reports = await this.deps.adapterFor(record).getBalances();
    const balances = reports.map(view).sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
    const asOf = isoAt(this.deps.nowFor?.(record) ?? this.deps.clock.now());
    const { db } = this.deps;
    try {
      db.transaction(() => {
        db.prepare('DELETE FROM balances WHERE account_id = ?').run(record.key);
        const insert = db.prepare('INSERT INTO balances (account_id, currency, total, available, reserved, as_of) VALUES (?, ?, ?, ?, ?, ?)');
        for (const b of balances) insert.run(record.key, b.currency, b.total, b.available, b.reserved, asOf);
        db.prepare('INSERT INTO balance_snapshots (account_id, at, balances_json) VALUES (?, ?, ?)').run(record.key, asOf, JSON.stringify(balances));
      })();
      this.deps.logger.debug({ account: record.ref, currencies: balances.length }, 'balances recorded');
    } catch (err) {
      // A read must keep working when storage does not (disk full, read-only): answer, just do not record.
      this.deps.logger.warn({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'balances fetched but could not be recorded');
    }
    return { account: record.account.name, as_of: asOf, balances };
  }
}

const storedBalances = z.array(z.object({ currency: z.string(), total: z.string(), available: z.string(), reserved: z.string() }));

function parseBalances(json: string): BalanceView[] {
  try {
    const r = storedBalances.safeParse(JSON.parse(json));
    return r.success ? r.data.map(view) : [];
  } catch {
    return [];
  }
}
