/**
 * Market and side of orders, for order_status replies that leave `market`/`type` out (documented
 * as optional; replies recorded in 2021 lack them). The adapter remembers what it learned from its
 * own commands and replies; the caller's locator may name the market; the transaction currency
 * keys ("btc", "usd") name it too when the quote of a symbol is known.
 */
import type { Side } from '../../domain/order.ts';
import type { MarketParts } from './parse.ts';

const MAX_REMEMBERED = 20_000;

export interface OrderFacts {
  market?: string; // "btcusd"
  side?: Side;
}

export class OrderHintBook {
  private readonly byId = new Map<string, OrderFacts>();
  private readonly byClientId = new Map<string, OrderFacts>();

  remember(ids: { exchangeOrderId?: string | undefined; clientOrderId?: string | undefined }, facts: OrderFacts): void {
    if (ids.exchangeOrderId !== undefined) put(this.byId, ids.exchangeOrderId, facts);
    if (ids.clientOrderId !== undefined && ids.clientOrderId !== '') put(this.byClientId, ids.clientOrderId, facts);
  }

  lookup(ids: { exchangeOrderId?: string | undefined; clientOrderId?: string | undefined }): OrderFacts {
    const a = ids.exchangeOrderId !== undefined ? this.byId.get(ids.exchangeOrderId) : undefined;
    const b = ids.clientOrderId !== undefined ? this.byClientId.get(ids.clientOrderId) : undefined;
    const out: OrderFacts = {};
    const market = a?.market ?? b?.market;
    const side = a?.side ?? b?.side;
    if (market !== undefined) out.market = market;
    if (side !== undefined) out.side = side;
    return out;
  }
}

function put(map: Map<string, OrderFacts>, key: string, facts: OrderFacts): void {
  const merged = { ...map.get(key), ...definedOnly(facts) };
  map.delete(key); // re-insert: the map's order is the eviction order
  map.set(key, merged);
  if (map.size > MAX_REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

function definedOnly(f: OrderFacts): OrderFacts {
  const o: OrderFacts = {};
  if (f.market !== undefined) o.market = f.market;
  if (f.side !== undefined) o.side = f.side;
  return o;
}

/** "btcusd" -> {market, base: "BTC", quote: "USD"} when the symbol's quote is known. */
export function marketPartsOf(symbol: string, quoteOf: (market: string) => string | undefined): MarketParts | undefined {
  const market = symbol.toLowerCase();
  const quote = quoteOf(market)?.toLowerCase();
  if (!quote || !market.endsWith(quote) || market.length <= quote.length) return undefined;
  return { market, base: market.slice(0, -quote.length).toUpperCase(), quote: quote.toUpperCase() };
}

/** Quote currencies, most likely first: "usdt"+"eth" is ETH/USDT, not USDT/ETH. */
const QUOTE_RANK = ['usd', 'eur', 'gbp', 'usdt', 'usdc', 'pyusd', 'eurc', 'chf', 'btc', 'eth'];
const rank = (q: string): number => {
  const i = QUOTE_RANK.indexOf(q.toLowerCase());
  return i === -1 ? QUOTE_RANK.length : i;
};

/** The market whose base and quote are two of `currencies` (order_status transaction keys). */
export function marketFromCurrencies(currencies: string[], quoteOf: (market: string) => string | undefined): MarketParts | undefined {
  const candidates: MarketParts[] = [];
  for (const a of currencies)
    for (const b of currencies) {
      if (a === b) continue;
      const parts = marketPartsOf(a + b, quoteOf);
      if (parts && parts.quote.toLowerCase() === b) candidates.push(parts);
    }
  candidates.sort((x, y) => rank(x.quote) - rank(y.quote));
  return candidates[0];
}
