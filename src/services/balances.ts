/**
 * Balances: the latest balances per account are cached in `balances`; history rows in
 * `balance_snapshots` (get_balance_history and the chart) come from the snapshot job and from
 * refreshes that found a change.
 * Freshness: a local venue (paper, backtest) is read on every get, so reservations and fills show at
 * once. A live account's cache is invalidated by each of its order changes (own orders, WS fills), so
 * the next get asks the exchange; `refresh` asks at most once per `refreshThrottleMs` per account.
 */
import type { Statement } from 'better-sqlite3';
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import { storeFaultsOf } from '../db/store-faults.ts';
import { accountRef, type Account, type AccountDirectory, type AccountKey, type AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock } from '../domain/clock.ts';
import { DomainError, invalidArgumentFromIssues } from '../domain/errors.ts';
import { dec } from '../domain/money.ts';
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
  /** True for venues in this process (paper, backtest): read on every get, nothing cached. */
  localVenue?: (record: AccountRecord) => boolean;
  /** Order changes of any account (committed); each one makes that account's cached balances stale. */
  onOrderChange?: (listener: (account: Account) => void) => () => void;
  /** The account's own clock (a backtest's simulated time), else the service clock. */
  nowFor?: (record: AccountRecord) => number | undefined;
  refreshThrottleMs?: number;
}

/** refresh asks the exchange at most once per this many ms per account; the rest are served from that answer. */
export const REFRESH_THROTTLE_MS = 5_000;

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
  /** Per account ref: bumped by each order change. The cache is fresh while it equals `fetchedGen`. */
  private readonly generation = new Map<string, number>();
  private readonly fetchedGen = new Map<string, number>();
  /** One exchange call per account at a time; callers that want no newer state than its start share it. */
  private readonly inFlight = new Map<string, { gen: number; promise: Promise<BalancesResult> }>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: BalancesDeps) {
    this.unsubscribe = deps.onOrderChange?.((a) => this.invalidate(accountRef(a))) ?? (() => undefined);
  }

  /** The account's balances changed (or may have) outside what the cache saw. */
  invalidate(ref: string): void {
    this.generation.set(ref, (this.generation.get(ref) ?? 0) + 1);
  }

  /** Stops listening to order changes. */
  close(): void {
    this.unsubscribe();
  }

  /**
   * Current balances: a local venue is read now; a live account is served from the cache unless an
   * order change made it stale, nothing is cached, or `refresh` is set and the last exchange answer
   * is older than the throttle. `refresh` records a history row only when the balances changed.
   */
  async get(account: string, refresh: boolean): Promise<BalancesResult> {
    const record = this.deps.directory.resolve(account);
    const rows = this.cached(record.key);
    const cached = rows.length > 0 ? this.fromRows(record, rows) : undefined;
    if (this.deps.localVenue?.(record)) {
      try {
        const balances = sorted(await this.deps.adapterFor(record).getBalances());
        const asOf = isoAt(this.now(record));
        if (refresh) this.store(record, balances, asOf, !cached || !sameBalances(cached.balances, balances));
        return { account: record.account.name, as_of: asOf, balances };
      } catch (err) {
        // An ended backtest's venue is gone: what was last recorded is still the truth of its as_of.
        if (cached && !refresh) return cached;
        throw err;
      }
    }
    const gen = this.generation.get(record.ref) ?? 0;
    const stale = (this.fetchedGen.get(record.ref) ?? 0) !== gen;
    if (cached) {
      const age = this.deps.clock.now() - Date.parse(cached.as_of);
      const throttled = age >= 0 && age < (this.deps.refreshThrottleMs ?? REFRESH_THROTTLE_MS);
      if (!stale && (!refresh || throttled)) return cached;
      if (!refresh && !record.account.enabled) return cached;
    }
    try {
      return await this.fetchShared(record, gen, false);
    } catch (err) {
      // Stale only by an order change: the last answer, with its as_of, beats no answer.
      if (cached && !refresh) {
        this.deps.logger.debug({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'balances refetch failed; serving the cache');
        return cached;
      }
      throw err;
    }
  }

  /** Always fetches and records a snapshot (the scheduled job and the after-fill trigger call this). */
  async snapshot(account: string): Promise<void> {
    const record = this.deps.directory.resolve(account);
    await this.fetchAndRecord(record, this.generation.get(record.ref) ?? 0, true);
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

  private fromRows(record: AccountRecord, rows: BalanceRow[]): BalancesResult {
    const asOf = rows.reduce((max, r) => (r.as_of > max ? r.as_of : max), rows[0]!.as_of);
    return { account: record.account.name, as_of: asOf, balances: rows.map(view) };
  }

  private now(record: AccountRecord): number {
    return this.deps.nowFor?.(record) ?? this.deps.clock.now();
  }

  /** Joins the exchange call in flight when it started no earlier than generation `gen`. */
  private fetchShared(record: AccountRecord, gen: number, alwaysHistory: boolean): Promise<BalancesResult> {
    const running = this.inFlight.get(record.ref);
    if (running && running.gen === gen) return running.promise;
    const promise = this.fetchAndRecord(record, gen, alwaysHistory).finally(() => {
      if (this.inFlight.get(record.ref)?.promise === promise) this.inFlight.delete(record.ref);
    });
    this.inFlight.set(record.ref, { gen, promise });
    return promise;
  }

  /** Fetches from the exchange, caches, and appends history always (snapshot job) or when changed. */
  private async fetchAndRecord(record: AccountRecord, gen: number, alwaysHistory: boolean): Promise<BalancesResult> {
    if (!record.account.enabled)
      throw new DomainError('ACCOUNT_DISABLED', `account ${record.account.name} is disabled; enable it on the dashboard to fetch balances`);
    const balances = sorted(await this.deps.adapterFor(record).getBalances());
    const asOf = isoAt(this.now(record));
    const before = this.cached(record.key).map(view);
    this.store(record, balances, asOf, alwaysHistory || before.length === 0 || !sameBalances(before, balances));
    // Only orders changed since this call started make the answer stale.
    this.fetchedGen.set(record.ref, Math.max(this.fetchedGen.get(record.ref) ?? 0, gen));
    return { account: record.account.name, as_of: asOf, balances };
  }

  /** Replaces the cached balances; appends a history row when `history`. */
  private store(record: AccountRecord, balances: BalanceView[], asOf: string, history: boolean): void {
    const { db } = this.deps;
    try {
      db.transaction(() => {
        db.prepare('DELETE FROM balances WHERE account_id = ?').run(record.key);
        const insert = db.prepare('INSERT INTO balances (account_id, currency, total, available, reserved, as_of) VALUES (?, ?, ?, ?, ?, ?)');
        for (const b of balances) insert.run(record.key, b.currency, b.total, b.available, b.reserved, asOf);
        if (history) db.prepare('INSERT INTO balance_snapshots (account_id, at, balances_json) VALUES (?, ?, ?)').run(record.key, asOf, JSON.stringify(balances));
      })();
      storeFaultsOf(db).wrote();
      this.deps.logger.debug({ account: record.ref, currencies: balances.length, history }, 'balances recorded');
    } catch (err) {
      // A read must keep working when storage does not (disk full, read-only): answer, just do not record.
      // The failure still counts (/readyz degraded; a damaged store halts trading).
      storeFaultsOf(db).note(err);
      this.deps.logger.warn({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'balances fetched but could not be recorded');
    }
  }
}

function sorted(reports: BalanceReport[]): BalanceView[] {
  return reports.map(view).sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

/** Same currencies with the same amounts (as decimals: "1.0" equals "1"). */
function sameBalances(a: BalanceView[], b: BalanceView[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return x.currency === y.currency && dec(x.total).eq(y.total) && dec(x.available).eq(y.available) && dec(x.reserved).eq(y.reserved);
  });
}

const storedBalances = z.array(z.object({ currency: z.string(), total: z.string(), available: z.string(), reserved: z.string() }));

/** Stored snapshot JSON -> balances ([] when unreadable). */
export function parseBalances(json: string): BalanceView[] {
  try {
    const r = storedBalances.safeParse(JSON.parse(json));
    return r.success ? r.data.map(view) : [];
  } catch {
    return [];
  }
}
