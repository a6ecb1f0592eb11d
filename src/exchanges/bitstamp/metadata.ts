/**
 * Bitstamp public metadata: GET /api/v2/markets/ and /api/v2/currencies/ (BITSTAMP.md §2), parsed
 * with zod and mapped to our Market/Currency. The same parser reads the bundled offline snapshot,
 * so the snapshot and a live refresh can never disagree on meaning.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { Currency, Market } from '../../domain/market.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MetadataSource } from '../adapter.ts';

const enabledFlag = z.string(); // "Enabled" | "Disabled"; other values are treated as disabled
const decimalText = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string');

/** One entry of /api/v2/markets/. Derivative-only fields are allowed and ignored. */
export const bitstampMarketSchema = z.looseObject({
  name: z.string(),
  market_symbol: z.string().min(1),
  base_currency: z.string().min(1),
  base_decimals: z.number().int().min(0).max(18),
  counter_currency: z.string().min(1),
  counter_decimals: z.number().int().min(0).max(18),
  minimum_order_value: decimalText,
  trading: enabledFlag,
  instant_order_counter_decimals: z.number().int().min(0).max(18),
  instant_and_market_orders: enabledFlag,
  description: z.string().optional(),
  market_type: z.string().optional(),
});
export type BitstampMarket = z.infer<typeof bitstampMarketSchema>;

/** One entry of /api/v2/currencies/. */
export const bitstampCurrencySchema = z.looseObject({
  name: z.string(),
  currency: z.string().min(1),
  type: z.string(),
  decimals: z.number().int().min(0).max(18),
  deposit: enabledFlag.optional(),
  withdrawal: enabledFlag.optional(),
});
export type BitstampCurrency = z.infer<typeof bitstampCurrencySchema>;

const isEnabled = (v: string | undefined): boolean => v === 'Enabled';

/** An entry of a metadata reply that could not be read, left out of the refresh. */
export interface SkippedEntry {
  index: number;
  /** market_symbol / currency code when the entry had a readable one. */
  symbol?: string;
  problem: string;
}

export interface ParsedList<T> {
  items: T[];
  skipped: SkippedEntry[];
}

/**
 * Entries that do not parse are skipped and reported, so one odd market cannot stop the refresh
 * of the others; a reply that is not an array, or whose every entry is bad, is still malformed.
 */
function parseEntries<S extends z.ZodType, T>(what: string, raw: unknown, schema: S, symbolKey: string, map: (e: z.output<S>) => T | undefined): ParsedList<T> {
  const parsed = z.array(z.unknown()).safeParse(raw);
  if (!parsed.success) throw malformed(what, 'expected a JSON array');
  const items: T[] = [];
  const skipped: SkippedEntry[] = [];
  parsed.data.forEach((entry, index) => {
    const r = schema.safeParse(entry);
    if (!r.success) {
      const problem = `entry ${index}: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`;
      const sym = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)[symbolKey] : undefined;
      skipped.push(typeof sym === 'string' ? { index, symbol: sym.slice(0, 40), problem } : { index, problem });
      return;
    }
    const item = map(r.data);
    if (item !== undefined) items.push(item);
  });
  if (parsed.data.length > 0 && skipped.length === parsed.data.length) throw malformed(what, skipped[0]?.problem ?? 'no valid entry');
  return { items, skipped };
}

/** Maps a markets reply to our Market list; non-SPOT markets (perpetuals) and unreadable entries are skipped. */
export function parseMarkets(raw: unknown): Market[] {
  return parseMarketsReport(raw).items;
}

export function parseMarketsReport(raw: unknown): ParsedList<Market> {
  return parseEntries('markets', raw, bitstampMarketSchema, 'market_symbol', (m): Market | undefined => {
    // Missing market_type (older replies) means spot; anything else is a derivative we do not trade.
    if (m.market_type !== undefined && m.market_type !== 'SPOT') return undefined;
    return {
      market: m.market_symbol.toLowerCase(),
      name: m.name,
      base: m.base_currency.toUpperCase(),
      quote: m.counter_currency.toUpperCase(),
      price_decimals: m.counter_decimals,
      amount_decimals: m.base_decimals,
      instant_order_counter_decimals: m.instant_order_counter_decimals,
      min_order_value: m.minimum_order_value,
      trading_enabled: isEnabled(m.trading),
      instant_and_market_orders_enabled: isEnabled(m.instant_and_market_orders),
    };
  });
}

/** Maps a currencies reply; a currency is "enabled" when deposits or withdrawals are. */
export function parseCurrencies(raw: unknown): Currency[] {
  return parseCurrenciesReport(raw).items;
}

export function parseCurrenciesReport(raw: unknown): ParsedList<Currency> {
  return parseEntries('currencies', raw, bitstampCurrencySchema, 'currency', (c): Currency => {
    return {
      code: c.currency.toUpperCase(),
      name: c.name,
      decimals: c.decimals,
      type: c.type,
      // Fiat entries may omit the flags: treat absence as enabled.
      enabled: (c.deposit === undefined && c.withdrawal === undefined) || isEnabled(c.deposit) || isEnabled(c.withdrawal),
    };
  });
}

function malformed(what: string, detail: string): DomainError {
  return new DomainError('EXCHANGE_UNAVAILABLE', `malformed Bitstamp ${what} reply: ${detail}`);
}

export interface BitstampMetadataOptions {
  /** Base URL without the /api/v2 suffix, e.g. "https://www.bitstamp.net". */
  apiUrl: string;
  timeoutMs?: number;
  fetchFn?: typeof fetch;
  /** Skipped entries are logged here (warn). */
  logger?: Logger;
}

/** Live metadata from Bitstamp's public endpoints (no auth). */
export class BitstampMetadataSource implements MetadataSource {
  readonly exchange = 'bitstamp';
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private skipped: { markets: SkippedEntry[]; currencies: SkippedEntry[] } = { markets: [], currencies: [] };

  constructor(private readonly opts: BitstampMetadataOptions) {
    this.base = opts.apiUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchFn = opts.fetchFn ?? fetch;
  }

  async fetchMarkets(): Promise<Market[]> {
    return (await this.fetchMarketsReport()).items;
  }

  async fetchCurrencies(): Promise<Currency[]> {
    return (await this.fetchCurrenciesReport()).items;
  }

  /** The markets refreshed and the entries skipped (also logged, and kept for lastSkipped()). */
  async fetchMarketsReport(): Promise<ParsedList<Market>> {
    const r = parseMarketsReport(await this.getJson('/api/v2/markets/'));
    this.report('markets', r.skipped);
    return r;
  }

  async fetchCurrenciesReport(): Promise<ParsedList<Currency>> {
    const r = parseCurrenciesReport(await this.getJson('/api/v2/currencies/'));
    this.report('currencies', r.skipped);
    return r;
  }

  /** Entries of the latest refresh that could not be read. */
  lastSkipped(): { markets: SkippedEntry[]; currencies: SkippedEntry[] } {
    return { markets: [...this.skipped.markets], currencies: [...this.skipped.currencies] };
  }

  private report(what: 'markets' | 'currencies', skipped: SkippedEntry[]): void {
    this.skipped = { ...this.skipped, [what]: skipped };
    if (skipped.length > 0)
      this.opts.logger?.warn({ exchange: 'bitstamp', what, skipped: skipped.length, entries: skipped.slice(0, 10) }, `bitstamp ${what}: unreadable entries skipped; the rest refreshed`);
  }

  private async getJson(path: string): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ${path} unreachable: ${e instanceof Error ? e.message : 'network error'}`);
    }
    if (!res.ok) throw new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ${path} answered HTTP ${res.status}`);
    const text = await res.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ${path} answered with invalid JSON`);
    }
  }
}

const SNAPSHOT_DIR = new URL('./snapshot/', import.meta.url);

/** Raw snapshot files in Bitstamp's own format (also served by the emulator). */
export function readSnapshotRaw(): { markets: unknown; currencies: unknown } {
  return {
    markets: JSON.parse(readFileSync(new URL('markets.json', SNAPSHOT_DIR), 'utf8')) as unknown,
    currencies: JSON.parse(readFileSync(new URL('currencies.json', SNAPSHOT_DIR), 'utf8')) as unknown,
  };
}

/** The bundled offline snapshot (used before the first refresh and when Bitstamp is unreachable). */
export function loadBundledSnapshot(): { markets: Market[]; currencies: Currency[] } {
  const raw = readSnapshotRaw();
  return { markets: parseMarkets(raw.markets), currencies: parseCurrencies(raw.currencies) };
}

let bundledById: Map<string, Market> | undefined;

/** One market of the bundled snapshot (sim-only backtests, benches and tests, without the service's cache). */
export function bundledMarket(market: string): Market {
  bundledById ??= new Map(loadBundledSnapshot().markets.map((m) => [m.market, m]));
  const m = bundledById.get(market);
  if (!m) throw new DomainError('MARKET_NOT_FOUND', `market ${market} is unknown; known: ${[...bundledById.keys()].join(', ')}`);
  return m;
}
