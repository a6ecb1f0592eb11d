/**
 * Where a live paper account's prices come from (DESIGN.md "Paper and backtests"): the market-data
 * MCP (paper-mcp-price-source.ts), Bitstamp's public ticker, a replay file looped over time, or a
 * fixed price (tests). Every source answers a canonical decimal string or throws a DomainError
 * EXCHANGE_UNAVAILABLE whose message names the source kind (never a URL, which may carry a token).
 */
import { z } from 'zod';
import type { Clock } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { Config } from '../config.ts';
import type { Market } from '../domain/market.ts';
import { parseMarketDataFile, type MarketData } from '../../sim/market-data/parse.ts';
import { SAMPLE_FILE } from '../../sim/sample-data/generate-sample.ts';
import { validPrice, type PriceSource } from './paper-price.ts';
import { McpPriceSource } from './paper-mcp-price-source.ts';

export { validPrice, type PriceSource } from './paper-price.ts';

export class FixedPriceSource implements PriceSource {
  private readonly prices: Map<string, string>;
  constructor(prices: Record<string, string>) {
    this.prices = new Map(Object.entries(prices));
  }
  set(market: string, price: string): void {
    this.prices.set(market, price);
  }
  async price(market: string): Promise<string> {
    return validPrice(this.prices.get(market), 'fixed price source', market);
  }
}

/**
 * Replays a trades file as a live price feed: the file's time span is laid over the clock from
 * `anchorMs` (default: the first call) and looped, so the bundled sample keeps "trading" forever.
 */
export class ReplayPriceSource implements PriceSource {
  private readonly byMarket = new Map<string, { ts: number[]; price: string[] }>();
  private anchor: number | undefined;

  constructor(
    private readonly data: MarketData,
    private readonly clock: Clock,
    anchorMs?: number,
  ) {
    this.anchor = anchorMs;
    for (const e of data.events) {
      if (e.kind !== 'trade') continue;
      let s = this.byMarket.get(e.market);
      if (!s) this.byMarket.set(e.market, (s = { ts: [], price: [] }));
      s.ts.push(e.ts);
      s.price.push(e.price);
    }
  }

  static fromFile(file: string, clock: Clock, market = 'btcusd'): ReplayPriceSource {
    return new ReplayPriceSource(parseMarketDataFile(file, { market }), clock);
  }

  async price(market: string): Promise<string> {
    const s = this.byMarket.get(market);
    if (!s) throw new DomainError('EXCHANGE_UNAVAILABLE', `replay price source has no trades for ${market}`);
    const now = this.clock.now();
    this.anchor ??= now;
    const span = this.data.last - this.data.first + 1;
    const at = this.data.first + ((((now - this.anchor) % span) + span) % span);
    let lo = 0;
    let hi = s.ts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s.ts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return s.price[lo]!;
  }
}

const tickerSchema = z.object({ last: z.string() }).passthrough();

/** GET {baseUrl}/api/v2/ticker/{market}/ (public, no auth). */
export class BitstampTickerPriceSource implements PriceSource {
  constructor(
    private readonly opts: { baseUrl: string; fetch?: typeof fetch; timeoutMs?: number },
  ) {}

  async price(market: string): Promise<string> {
    if (!/^[a-z0-9-]{2,32}$/.test(market)) throw new DomainError('INVALID_ARGUMENT', `market ${market} is not a Bitstamp market symbol`);
    const f = this.opts.fetch ?? fetch;
    let body: unknown;
    try {
      const res = await f(`${this.opts.baseUrl.replace(/\/+$/, '')}/api/v2/ticker/${market}/`, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = await res.json();
    } catch (e) {
      throw new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ticker for ${market} is unavailable (${e instanceof Error ? e.message.slice(0, 80) : 'error'})`);
    }
    const parsed = tickerSchema.safeParse(body);
    if (!parsed.success) throw new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ticker for ${market} answered without a "last" price`);
    return validPrice(parsed.data.last, 'Bitstamp ticker', market);
  }
}

/** Tries each source in order (e.g. the market-data MCP, then Bitstamp's ticker). */
export class FallbackPriceSource implements PriceSource {
  constructor(private readonly sources: PriceSource[]) {}
  async price(market: string): Promise<string> {
    let last: unknown;
    for (const s of this.sources) {
      try {
        return await s.price(market);
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof DomainError ? last : new DomainError('EXCHANGE_UNAVAILABLE', `no price source answered for ${market}`);
  }
  async close(): Promise<void> {
    await Promise.allSettled(this.sources.map((s) => s.close?.()));
  }
}

/** A PATH for the spawned market-data MCP when the composition root passes none (no other variable is ever passed). */
const DEFAULT_CHILD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** "btcusd" -> "BTC/USD" for the MCP's symbol argument when no market rules are at hand. */
export function symbolOfMarket(market: string): string {
  const quotes = ['usdt', 'usdc', 'pyusd', 'usd', 'eur', 'gbp', 'btc', 'eth'];
  const q = quotes.find((x) => market.endsWith(x) && market.length > x.length);
  return q ? `${market.slice(0, -q.length).toUpperCase()}/${q.toUpperCase()}` : market.toUpperCase();
}

export interface PriceSourceOptions {
  clock: Clock;
  logger?: { warn(obj: object, msg?: string): void };
  /** Market rules, for the MCP symbol (e.g. "BTC/USD"); else derived from the market id. */
  getMarket?: (market: string) => Market;
  /** Environment of a spawned market-data MCP: pass {PATH: process.env.PATH}; nothing else is ever passed. */
  childEnv?: Record<string, string>;
  /** Replay file used offline (default: the bundled sample). */
  replayFile?: string;
}

/**
 * The price source of live paper accounts from the config: the market-data MCP (EXEC_MCP_PRICE_MCP)
 * first when set, then Bitstamp's public ticker; with EXEC_MCP_OFFLINE=1 no network at all: a
 * stdio MCP (a local process) if set, then a replay of the bundled sample dataset.
 */
export function createPriceSource(config: Pick<Config, 'priceMcp' | 'priceTool' | 'offline' | 'bitstampApiUrl'>, opts: PriceSourceOptions): PriceSource {
  const sources: PriceSource[] = [];
  const isUrl = config.priceMcp !== undefined && /^https?:\/\//i.test(config.priceMcp.trim());
  if (config.priceMcp && !(config.offline && isUrl)) {
    const getMarket = opts.getMarket;
    const symbolOf = getMarket ? (m: string) => getMarket(m).name : symbolOfMarket;
    sources.push(new McpPriceSource({ target: config.priceMcp, tool: config.priceTool, symbolOf, childEnv: opts.childEnv ?? { PATH: DEFAULT_CHILD_PATH } }));
  }
  if (config.offline) {
    let replay: ReplayPriceSource | undefined;
    sources.push({ price: (m) => (replay ??= ReplayPriceSource.fromFile(opts.replayFile ?? SAMPLE_FILE, opts.clock)).price(m) });
  } else sources.push(new BitstampTickerPriceSource({ baseUrl: config.bitstampApiUrl }));
  return sources.length === 1 ? sources[0]! : new FallbackPriceSource(sources);
}
