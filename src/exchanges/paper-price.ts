/** The price-source port of live paper accounts, and validation of prices from the outside world. */
import { DomainError } from '../domain/errors.ts';
import { DECIMAL_RE } from '../domain/money.ts';
import { canonicalDecimal } from '../../sim/market-data/rows.ts';

export interface PriceSource {
  /** Last price of a market (Bitstamp url symbol, e.g. "btcusd") as a decimal string. */
  price(market: string): Promise<string>;
  close?(): Promise<void>;
}

/** A price from the outside world as a canonical positive decimal string, or EXCHANGE_UNAVAILABLE. */
export function validPrice(raw: unknown, source: string, market: string): string {
  const s = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof s !== 'string' || !DECIMAL_RE.test(s) || !/[1-9]/.test(s))
    throw new DomainError('EXCHANGE_UNAVAILABLE', `${source} gave no usable price for ${market} (expected a positive decimal)`);
  return canonicalDecimal(s);
}
