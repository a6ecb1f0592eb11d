/**
 * Markets and currencies of a ccxt exchange (public, unauthenticated) for the metadata cache:
 * loadMarkets/fetchCurrencies, rules from ccxt's precision (in its precisionMode) and limits.
 * Market ids are the exchange's own, lower case (as list_markets shows them).
 */
import { D } from '../../domain/money.ts';
import type { Currency, Market } from '../../domain/market.ts';
import type { MetadataSource } from '../adapter.ts';
import { toDomainError } from './errors.ts';

/** ccxt's precisionMode constants. */
const DECIMAL_PLACES = 2;
const SIGNIFICANT_DIGITS = 3;
const TICK_SIZE = 4;

export interface CcxtMarketFull {
  id: string;
  symbol: string;
  base: string;
  quote: string;
  spot?: boolean | undefined;
  active?: boolean | undefined;
  precision: { amount?: number | undefined; price?: number | undefined };
  limits: { cost?: { min?: number | undefined } | undefined };
}

export interface CcxtMetadataLike {
  readonly id: string;
  readonly precisionMode: number;
  readonly has: Record<string, boolean | string | undefined>;
  loadMarkets(reload?: boolean): Promise<Record<string, CcxtMarketFull>>;
  fetchCurrencies(): Promise<Record<string, { code: string; name?: string | undefined; precision?: number | undefined; active?: boolean | undefined; type?: string | undefined }> | undefined>;
}

/** Decimals of a precision value in the exchange's mode (a tick of 0.5 needs 1 decimal). */
export function decimalsOf(precision: number | undefined, mode: number, fallback = 8): number {
  if (precision === undefined || !Number.isFinite(precision)) return fallback;
  if (mode === TICK_SIZE) return Math.min(18, Math.max(0, new D(precision).decimalPlaces()));
  if (mode === DECIMAL_PLACES || mode === SIGNIFICANT_DIGITS) return Math.min(18, Math.max(0, Math.trunc(precision)));
  return fallback;
}

export class CcxtMetadataSource implements MetadataSource {
  readonly exchange: string;
  constructor(private readonly ex: CcxtMetadataLike) {
    this.exchange = ex.id;
  }

  async fetchMarkets(): Promise<Market[]> {
    let markets: Record<string, CcxtMarketFull>;
    try {
      markets = await this.ex.loadMarkets(true);
    } catch (e) {
      throw toDomainError(e, 'read', this.exchange, (s) => s);
    }
    const mode = this.ex.precisionMode;
    return Object.values(markets)
      .filter((m) => m.spot !== false)
      .map((m) => {
        const priceDecimals = decimalsOf(m.precision.price, mode);
        return {
          market: m.id.toLowerCase(),
          name: m.symbol,
          base: m.base,
          quote: m.quote,
          price_decimals: priceDecimals,
          amount_decimals: decimalsOf(m.precision.amount, mode),
          instant_order_counter_decimals: priceDecimals,
          min_order_value: m.limits.cost?.min !== undefined ? new D(m.limits.cost.min).toFixed() : '0',
          trading_enabled: m.active !== false,
          instant_and_market_orders_enabled: m.active !== false,
        };
      });
  }

  async fetchCurrencies(): Promise<Currency[]> {
    if (this.ex.has['fetchCurrencies'] !== true) return [];
    let cs;
    try {
      cs = (await this.ex.fetchCurrencies()) ?? {};
    } catch {
      return []; // currencies are informative: markets alone are a usable refresh
    }
    return Object.values(cs).map((c) => ({
      code: c.code.toUpperCase(),
      name: c.name ?? c.code,
      decimals: decimalsOf(c.precision, this.ex.precisionMode),
      type: c.type ?? 'crypto',
      enabled: c.active !== false,
    }));
  }
}

/** The metadata side of a real ccxt instance (created by the factory's CcxtCreate). */
export function metadataSourceOf(instance: unknown): CcxtMetadataSource {
  // A ccxt Exchange has these members; typed loosely by ccxt (Dictionary<Market>): the one cast.
  return new CcxtMetadataSource(instance as CcxtMetadataLike);
}
