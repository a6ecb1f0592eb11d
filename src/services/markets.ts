import type { AuditEntry } from '../audit/audit-log.ts';
import type { Db } from '../db/connection.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import { currencySchema, marketSchema, stepSize, tickSize, type Currency, type Market } from '../domain/market.ts';
import type { MetadataSource } from '../exchanges/adapter.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Actor, ExchangeInfo, MarketRules, MarketsService, MetadataStatus } from './ports.ts';
import { parseStoredJson } from '../domain/stored-json.ts';

const EXCHANGES: ExchangeInfo[] = [
  { id: 'bitstamp', name: 'Bitstamp', live: true, paper: false },
  { id: 'paper', name: 'Paper trading (simulated Bitstamp)', live: false, paper: true },
];

/** Exchanges whose metadata is another's: paper offers exactly Bitstamp's markets and rules. */
const METADATA_OF: Record<string, string> = { bitstamp: 'bitstamp', paper: 'bitstamp' };

export interface MarketsServiceDeps {
  db: Db;
  clock: Clock;
  sources: Partial<Record<string, MetadataSource>>;
  /** Bundled offline snapshot per metadata exchange, used when the cache is empty. */
  bundled: Partial<Record<string, () => { markets: Market[]; currencies: Currency[] }>>;
  offline: boolean;
  logger: Logger;
  metrics?: Metrics;
  /** Every refresh (an operator's "refresh now" or the daily job) is an audited action. */
  audit?: { append(entry: AuditEntry): unknown };
  /** Further live exchanges (EXEC_MCP_EXCHANGES, through ccxt), each its own metadata; no bundled snapshot. */
  extraExchanges?: ExchangeInfo[];
}

interface StatusRow {
  exchange: string;
  refreshed_at: string | null;
  source: string | null;
  last_error: string | null;
  last_attempt_at: string | null;
}

/**
 * Exchange metadata cache: markets and currencies stored in SQLite, served from memory, refreshed
 * from the network at startup and daily (jobs/metadata-refresh.ts). A failed refresh keeps the
 * previous data and is visible in status(), /readyz and metrics.
 */
export class MarketsServiceImpl implements MarketsService {
  private readonly markets = new Map<string, Map<string, Market>>();
  private readonly currencies = new Map<string, Currency[]>();
  private readonly metadataOf: Record<string, string>;

  constructor(private readonly deps: MarketsServiceDeps) {
    this.metadataOf = { ...METADATA_OF, ...Object.fromEntries((deps.extraExchanges ?? []).map((e) => [e.id, e.id])) };
  }

  /** Loads the cache into memory; seeds it from the bundled snapshot when empty. */
  init(): void {
    for (const exchange of new Set(Object.values(this.metadataOf))) {
      this.loadFromDb(exchange);
      if ((this.markets.get(exchange)?.size ?? 0) === 0) {
        const snapshot = this.deps.bundled[exchange]?.();
        if (snapshot) this.store(exchange, snapshot.markets, snapshot.currencies, 'bundled-snapshot');
      }
    }
  }

  listExchanges(): ExchangeInfo[] {
    return [...EXCHANGES, ...(this.deps.extraExchanges ?? [])].map((e) => ({ ...e }));
  }

  private metadataExchange(exchange: string): string {
    const m = this.metadataOf[exchange];
    if (!m) {
      throw new DomainError('INVALID_ARGUMENT', `exchange "${exchange}" is not known; allowed: ${Object.keys(this.metadataOf).join(', ')}`, {
        fields: ['exchange'],
      });
    }
    return m;
  }

  /** A ccxt exchange's markets exist only once refreshed: before that, a clear error instead of an empty list. */
  private loaded(exchange: string): string {
    const ex = this.metadataExchange(exchange);
    if ((this.markets.get(ex)?.size ?? 0) === 0 && (this.deps.extraExchanges ?? []).some((e) => e.id === ex)) {
      const why = this.deps.offline ? 'offline mode (EXEC_MCP_OFFLINE=1) never fetches it' : 'its first refresh has not succeeded yet; see the metadata status or refresh it';
      throw new DomainError('EXCHANGE_UNAVAILABLE', `the metadata of ${ex} has not been refreshed yet (${why})`);
    }
    return ex;
  }

  listMarkets(exchange: string, filter: { base?: string; quote?: string } = {}): Market[] {
    const all = [...(this.markets.get(this.loaded(exchange))?.values() ?? [])];
    const base = filter.base?.toUpperCase();
    const quote = filter.quote?.toUpperCase();
    return all
      .filter((m) => (base === undefined || m.base === base) && (quote === undefined || m.quote === quote))
      .sort((a, b) => a.market.localeCompare(b.market));
  }

  getMarket(exchange: string, market: string): MarketRules {
    const m = this.markets.get(this.loaded(exchange))?.get(market.toLowerCase());
    if (!m) {
      throw new DomainError('MARKET_NOT_FOUND', `market "${market}" is not listed on ${exchange}; list_markets shows the ids (e.g. btcusd)`);
    }
    return { ...m, tick_size: tickSize(m), step_size: stepSize(m) };
  }

  /** Market rules or undefined, without throwing (hot paths). */
  findMarket(exchange: string, market: string): Market | undefined {
    const ex = this.metadataOf[exchange];
    return ex ? this.markets.get(ex)?.get(market.toLowerCase()) : undefined;
  }

  listCurrencies(exchange: string): Currency[] {
    return [...(this.currencies.get(this.loaded(exchange)) ?? [])];
  }

  async refresh(exchange: string, actor: Actor): Promise<MetadataStatus> {
    const ex = this.metadataExchange(exchange);
    const status = await this.refreshFromSource(ex);
    this.deps.audit?.append({
      actor,
      action: 'metadata.refresh',
      subject: ex,
      payload: status.last_error !== undefined ? { result: 'failed', error: status.last_error } : { result: 'ok', markets: status.markets },
    });
    return status;
  }

  private async refreshFromSource(ex: string): Promise<MetadataStatus> {
    const source = this.deps.sources[ex];
    const at = isoAt(this.deps.clock.now());
    if (this.deps.offline || !source) {
      this.recordFailure(ex, at, this.deps.offline ? 'offline mode (EXEC_MCP_OFFLINE=1): using cached/bundled metadata' : 'no metadata source');
      return this.statusOf(ex);
    }
    try {
      const [markets, currencies] = await Promise.all([source.fetchMarkets(), source.fetchCurrencies()]);
      if (markets.length === 0) throw new DomainError('EXCHANGE_UNAVAILABLE', 'exchange returned no markets');
      this.store(ex, markets, currencies, 'network');
      this.deps.metrics?.metadataRefresh.inc({ exchange: ex, result: 'ok' });
      this.deps.logger.info({ exchange: ex, markets: markets.length, currencies: currencies.length }, 'metadata refreshed');
    } catch (err) {
      const message = err instanceof DomainError ? err.message : 'refresh failed';
      this.recordFailure(ex, at, message);
      this.deps.metrics?.metadataRefresh.inc({ exchange: ex, result: 'error' });
      this.deps.logger.warn({ exchange: ex, err: message }, 'metadata refresh failed; keeping previous data');
    }
    return this.statusOf(ex);
  }

  status(): MetadataStatus[] {
    return [...new Set(Object.values(this.metadataOf))].map((ex) => this.statusOf(ex));
  }

  private statusOf(exchange: string): MetadataStatus {
    const row = this.deps.db.prepare('SELECT * FROM metadata_status WHERE exchange = ?').get(exchange) as StatusRow | undefined;
    const s: MetadataStatus = {
      exchange,
      markets: this.markets.get(exchange)?.size ?? 0,
      currencies: this.currencies.get(exchange)?.length ?? 0,
    };
    if (row?.refreshed_at) s.refreshed_at = row.refreshed_at;
    if (row?.source) s.source = row.source;
    if (row?.last_error) s.last_error = row.last_error;
    if (row?.last_attempt_at) s.last_attempt_at = row.last_attempt_at;
    if (s.refreshed_at) this.deps.metrics?.metadataAgeSeconds.set({ exchange }, (this.deps.clock.now() - Date.parse(s.refreshed_at)) / 1000);
    return s;
  }

  private recordFailure(exchange: string, at: string, message: string): void {
    this.deps.db
      .prepare(
        `INSERT INTO metadata_status (exchange, last_error, last_attempt_at) VALUES (?, ?, ?)
         ON CONFLICT(exchange) DO UPDATE SET last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at`,
      )
      .run(exchange, message, at);
  }

  private store(exchange: string, markets: Market[], currencies: Currency[], source: string): void {
    const db = this.deps.db;
    const at = isoAt(this.deps.clock.now());
    db.transaction(() => {
      db.prepare('DELETE FROM metadata_markets WHERE exchange = ?').run(exchange);
      db.prepare('DELETE FROM metadata_currencies WHERE exchange = ?').run(exchange);
      const im = db.prepare('INSERT INTO metadata_markets (exchange, market, json) VALUES (?, ?, ?)');
      for (const m of markets) im.run(exchange, m.market, JSON.stringify(marketSchema.parse(m)));
      const ic = db.prepare('INSERT OR REPLACE INTO metadata_currencies (exchange, code, json) VALUES (?, ?, ?)');
      for (const c of currencies) ic.run(exchange, c.code, JSON.stringify(currencySchema.parse(c)));
      db.prepare(
        `INSERT INTO metadata_status (exchange, refreshed_at, source, last_error, last_attempt_at) VALUES (?, ?, ?, NULL, ?)
         ON CONFLICT(exchange) DO UPDATE SET refreshed_at = excluded.refreshed_at, source = excluded.source, last_error = NULL, last_attempt_at = excluded.last_attempt_at`,
      ).run(exchange, at, source, at);
    })();
    this.loadFromDb(exchange);
  }

  private loadFromDb(exchange: string): void {
    const rows = this.deps.db.prepare('SELECT json FROM metadata_markets WHERE exchange = ?').all(exchange) as { json: string }[];
    const byId = new Map<string, Market>();
    for (const r of rows) {
      const parsed = marketSchema.safeParse(parseStoredJson(r.json));
      if (parsed.success) byId.set(parsed.data.market, parsed.data);
    }
    this.markets.set(exchange, byId);
    const crow = this.deps.db.prepare('SELECT json FROM metadata_currencies WHERE exchange = ? ORDER BY code').all(exchange) as { json: string }[];
    this.currencies.set(
      exchange,
      crow.flatMap((r) => {
        const parsed = currencySchema.safeParse(parseStoredJson(r.json));
        return parsed.success ? [parsed.data] : [];
      }),
    );
  }
}
