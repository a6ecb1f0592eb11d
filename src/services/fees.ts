/**
 * Fee schedules per account and market, cached in `fees` and re-fetched from the exchange when the
 * cache is missing or older than 24 h (and daily by the fee-refresh job). If a re-fetch fails while
 * an older schedule is cached, the stale schedule is served (fees change rarely) and a warning logged.
 */
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { ExchangeAdapter } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeesService } from './ports.ts';

export const FEE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface FeesDeps {
  db: Db;
  clock: Clock;
  directory: AccountDirectory;
  adapterFor: (record: AccountRecord) => ExchangeAdapter;
  logger: Logger;
  /** Cache lifetime (default 24 h). */
  maxAgeMs?: number;
}

export interface FeeEntry {
  market: string;
  maker: string;
  taker: string;
}
interface FeeRow extends FeeEntry {
  as_of: string;
}

export class FeesServiceImpl implements FeesService {
  constructor(private readonly deps: FeesDeps) {}

  async get(account: string, market?: string): Promise<{ fees: FeeEntry[] }> {
    const record = this.deps.directory.resolve(account);
    let rows = this.cached(record.key);
    if (this.isStale(rows)) {
      try {
        rows = await this.fetchAndStore(record);
      } catch (err) {
        if (rows.length === 0) throw err;
        this.deps.logger.warn({ account: record.ref, err: String(err) }, 'fee refresh failed; serving the cached schedule');
      }
    }
    const fees = rows.map(({ market: m, maker, taker }) => ({ market: m, maker, taker }));
    if (market === undefined) return { fees };
    const wanted = market.toLowerCase();
    const one = fees.filter((f) => f.market.toLowerCase() === wanted);
    if (one.length === 0) {
      const known = fees.slice(0, 10).map((f) => f.market).join(', ');
      throw new DomainError(
        'MARKET_NOT_FOUND',
        `account ${record.account.name} has no fee schedule for market ${market}${known ? `; markets with fees include ${known}${fees.length > 10 ? ', ...' : ''}` : ''}`,
      );
    }
    return { fees: one };
  }

  /** Fetches the schedule now regardless of age (the daily job). */
  async refresh(account: string): Promise<{ fees: FeeEntry[] }> {
    const rows = await this.fetchAndStore(this.deps.directory.resolve(account));
    return { fees: rows.map(({ market, maker, taker }) => ({ market, maker, taker })) };
  }

  private isStale(rows: FeeRow[]): boolean {
    if (rows.length === 0) return true;
    const oldest = Math.min(...rows.map((r) => Date.parse(r.as_of)));
    // A damaged as_of (NaN) counts as stale: compared with NaN it would otherwise stay fresh for ever.
    return !(this.deps.clock.now() - oldest < (this.deps.maxAgeMs ?? FEE_MAX_AGE_MS));
  }

  private cached(key: AccountKey): FeeRow[] {
    return this.deps.db.prepare('SELECT market, maker, taker, as_of FROM fees WHERE account_id = ? ORDER BY market').all(key) as FeeRow[];
  }

  private async fetchAndStore(record: AccountRecord): Promise<FeeRow[]> {
    if (!record.account.enabled)
      throw new DomainError('ACCOUNT_DISABLED', `account ${record.account.name} is disabled; enable it on the dashboard to fetch fees`);
    const reports = await this.deps.adapterFor(record).getFees();
    const asOf = isoAt(this.deps.clock.now());
    const byMarket = new Map(reports.map((r) => [r.market.toLowerCase(), r]));
    const rows: FeeRow[] = [...byMarket.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([m, r]) => ({ market: m, maker: r.maker, taker: r.taker, as_of: asOf }));
    const { db } = this.deps;
    db.transaction(() => {
      db.prepare('DELETE FROM fees WHERE account_id = ?').run(record.key);
      const insert = db.prepare('INSERT INTO fees (account_id, market, maker, taker, as_of) VALUES (?, ?, ?, ?, ?)');
      for (const r of rows) insert.run(record.key, r.market, r.maker, r.taker, r.as_of);
    })();
    this.deps.logger.debug({ account: record.ref, markets: rows.length }, 'fee schedule stored');
    return rows;
  }
}
