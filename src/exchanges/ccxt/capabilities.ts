/**
 * What a ccxt exchange can do for exec-mcp, from ccxt's `has` plus a small table of facts that
 * `has` does not carry. Keep the table short: one line per exchange, each with its reason.
 */
import type { CcxtLike } from './ccxt-like.ts';

interface ExchangeQuirks {
  /** createOrder param for the client order id; null = the exchange has none (read-only here). */
  clientOrderIdParam?: string | null;
  /** fetchOrder accepts `{clientOrderId}` instead of an id. */
  fetchByClientOrderId?: boolean;
  /** Private WS channels are per market: watch each market instead of all at once. */
  watchPerMarket?: boolean;
  /** fetchTradingFees returns percentages (0.3 = 0.3 %) instead of fractions. */
  feesArePercent?: boolean;
  /** Raw reply field with what is left of an order, where ccxt reads no amount from it. */
  remainingField?: string;
}

const QUIRKS: Record<string, ExchangeQuirks> = {
  // ccxt maps clientOrderId to client_order_id; order_status finds orders by it; channels are
  // private-my_orders_<pair>; fees come back as Bitstamp's percentages (BITSTAMP.md, corrections);
  // order_status has amount_remaining and no amount, which ccxt does not read (amount 0).
  bitstamp: { fetchByClientOrderId: true, watchPerMarket: true, feesArePercent: true, remainingField: 'amount_remaining' },
  // ccxt maps clientOrderId to cl_ord_id on AddOrder, CancelOrder and QueryOrders.
  kraken: { fetchByClientOrderId: true },
  // No client order id in their APIs (ccxt's createOrder takes none).
  coinspot: { clientOrderIdParam: null },
  paymium: { clientOrderIdParam: null },
};

export interface CcxtCapabilities {
  clientOrderIdParam: string | null;
  fetchByClientOrderId: boolean;
  watchOrders: boolean;
  watchMyTrades: boolean;
  watchPerMarket: boolean;
  feesArePercent: boolean;
  fetchClosedOrders: boolean;
  fetchTradingFees: boolean;
  remainingField?: string;
}

const yes = (v: boolean | string | undefined): boolean => v === true || v === 'emulated';

export function capabilitiesOf(ex: Pick<CcxtLike, 'id' | 'has'>): CcxtCapabilities {
  const q = QUIRKS[ex.id] ?? {};
  return {
    clientOrderIdParam: q.clientOrderIdParam === undefined ? 'clientOrderId' : q.clientOrderIdParam,
    fetchByClientOrderId: q.fetchByClientOrderId ?? yes(ex.has['fetchOrderWithClientOrderId']),
    watchOrders: yes(ex.has['watchOrders']),
    watchMyTrades: yes(ex.has['watchMyTrades']),
    watchPerMarket: q.watchPerMarket ?? false,
    feesArePercent: q.feesArePercent ?? false,
    fetchClosedOrders: yes(ex.has['fetchClosedOrders']),
    fetchTradingFees: yes(ex.has['fetchTradingFees']),
    ...(q.remainingField !== undefined ? { remainingField: q.remainingField } : {}),
  };
}

/** Why trading is refused on this exchange, or undefined when it is allowed. */
export function tradingRefusal(exchangeId: string, caps: CcxtCapabilities): string | undefined {
  if (caps.clientOrderIdParam !== null) return undefined;
  return (
    `${exchangeId} has no client order ids, so exec-mcp cannot tell after a lost reply whether an order landed ` +
    `(and would risk placing it twice); accounts on ${exchangeId} are read-only: markets, balances and order queries work, placing orders does not`
  );
}
