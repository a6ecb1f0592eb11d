/**
 * Rules of the spot markets in Bitstamp's recorded /api/v2/markets/ sample (shared/bitstamp-samples),
 * for the simulator used without the service (sim-only backtests, the bench, tests). The service
 * passes the cached Bitstamp metadata instead.
 */
import { DomainError } from '../src/domain/errors.ts';
import type { Market } from '../src/domain/market.ts';

export const SAMPLE_MARKETS: readonly Market[] = [
  {
    market: 'btcusd',
    name: 'BTC/USD',
    base: 'BTC',
    quote: 'USD',
    price_decimals: 0,
    amount_decimals: 8,
    instant_order_counter_decimals: 2,
    min_order_value: '10',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'btceur',
    name: 'BTC/EUR',
    base: 'BTC',
    quote: 'EUR',
    price_decimals: 0,
    amount_decimals: 8,
    instant_order_counter_decimals: 2,
    min_order_value: '10',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'ltcusd',
    name: 'LTC/USD',
    base: 'LTC',
    quote: 'USD',
    price_decimals: 2,
    amount_decimals: 8,
    instant_order_counter_decimals: 2,
    min_order_value: '10.00',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'ethusd',
    name: 'ETH/USD',
    base: 'ETH',
    quote: 'USD',
    price_decimals: 2,
    amount_decimals: 6,
    instant_order_counter_decimals: 2,
    min_order_value: '10.00',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'btcusdt',
    name: 'BTC/USDT',
    base: 'BTC',
    quote: 'USDT',
    price_decimals: 0,
    amount_decimals: 8,
    instant_order_counter_decimals: 2,
    min_order_value: '10',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'xrpusdt',
    name: 'XRP/USDT',
    base: 'XRP',
    quote: 'USDT',
    price_decimals: 5,
    amount_decimals: 8,
    instant_order_counter_decimals: 5,
    min_order_value: '10.00000',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'ethusdt',
    name: 'ETH/USDT',
    base: 'ETH',
    quote: 'USDT',
    price_decimals: 2,
    amount_decimals: 6,
    instant_order_counter_decimals: 2,
    min_order_value: '10.00',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
  {
    market: 'linkusd',
    name: 'LINK/USD',
    base: 'LINK',
    quote: 'USD',
    price_decimals: 2,
    amount_decimals: 8,
    instant_order_counter_decimals: 2,
    min_order_value: '10.00',
    trading_enabled: true,
    instant_and_market_orders_enabled: true,
  },
];

export function sampleMarket(market: string): Market {
  const m = SAMPLE_MARKETS.find((x) => x.market === market);
  if (!m) throw new DomainError('MARKET_NOT_FOUND', `market ${market} is unknown; known: ${SAMPLE_MARKETS.map((x) => x.market).join(', ')}`);
  return m;
}
