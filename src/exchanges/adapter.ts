/**
 * The one exchange-agnostic adapter interface (DESIGN.md). An adapter only translates: commands in,
 * normalized events and status reports out. It never touches the store or the machines.
 * Amounts/prices are decimal strings; times are ISO-8601 UTC strings.
 */
import type { Currency, Market } from '../domain/market.ts';
import type { Problem } from '../domain/errors.ts';
import type { FillView, Liquidity, OrderType, Side, TimeInForce } from '../domain/order.ts';

export interface PlaceOrderCommand {
  clientOrderId: string;
  market: string;
  side: Side;
  type: OrderType;
  amount: string; // base currency, always
  price?: string; // limit orders
  timeInForce: TimeInForce;
  expireTime?: string; // gtd
  postOnly: boolean;
}

export interface OrderAck {
  exchangeOrderId: string;
  at: string;
}

export interface OrderLocator {
  exchangeOrderId?: string;
  clientOrderId?: string;
  market?: string;
}

/** Exchange-side state of one order. */
export type ExchangeOrderState = 'open' | 'filled' | 'cancelled' | 'expired' | 'rejected';

export interface FillReport {
  fillId: string; // unique per account on that exchange
  exchangeOrderId: string;
  clientOrderId?: string;
  market: string;
  side: Side;
  amount: string;
  price: string;
  fee: string;
  feeCurrency: string;
  liquidity: Liquidity;
  at: string;
}

/** The exchange's authoritative view of one order, with every fill it knows of. */
export interface OrderStatusReport {
  exchangeOrderId: string;
  clientOrderId?: string;
  market: string;
  side: Side;
  state: ExchangeOrderState;
  amount: string; // original amount
  filledAmount: string;
  price?: string;
  fills: FillReport[];
  reason?: string;
  at: string;
}

/** The contract's fill view of an exchange fill, once the service knows the order's public id. */
export function fillViewOf(f: FillReport, orderId: string): FillView {
  return {
    fill_id: f.fillId,
    order_id: orderId,
    market: f.market,
    side: f.side,
    amount: f.amount,
    price: f.price,
    fee: f.fee,
    fee_currency: f.feeCurrency,
    liquidity: f.liquidity,
    at: f.at,
  };
}

export interface BalanceReport {
  currency: string; // upper case, e.g. "BTC"
  total: string;
  available: string;
  reserved: string;
}

export interface FeeReport {
  market: string;
  maker: string; // fraction, e.g. "0.003"
  taker: string;
}

export type ExchangeEvent =
  /** A change the exchange pushed (WS or simulator); may be partial, duplicated or out of order. */
  | { type: 'order_update'; report: OrderStatusReport }
  | { type: 'fill'; fill: FillReport }
  /** The event stream (re)connected: anything during the gap is lost, so reconcile (only `market` when set: one market's channels came up later). */
  | { type: 'connected'; market?: string }
  | { type: 'disconnected'; reason: string };

export type ExchangeListener = (event: ExchangeEvent) => void;

/**
 * One account's access to one exchange. Errors are DomainErrors:
 * - placeOrder: EXCHANGE_REJECTED / INSUFFICIENT_FUNDS / BELOW_MINIMUM / PRECISION_VIOLATION /
 *   MARKET_DISABLED = definitely not placed; EXCHANGE_UNAVAILABLE / RATE_LIMITED = definitely not
 *   sent; OUTCOME_UNKNOWN = may or may not have landed (reconcile by clientOrderId, never resend blindly).
 * - cancelOrder: ORDER_NOT_FOUND if the exchange has no open order by that locator;
 *   OUTCOME_UNKNOWN if the answer was lost. `{pending: true}`: accepted, applied later (the
 *   simulator's cancel latency); the order stays open, and a pushed update ends it.
 * - queryOrder: null when the exchange has never heard of the order.
 */
export interface CancelPending {
  pending: true;
}

export interface ExchangeAdapter {
  readonly exchange: string;
  placeOrder(cmd: PlaceOrderCommand): Promise<OrderAck>;
  /** Local venues (paper, backtest): what placeOrder would refuse of `cmd`, sending nothing. */
  checkOrder?(cmd: PlaceOrderCommand): Promise<Problem[]>;
  cancelOrder(locator: OrderLocator): Promise<void | CancelPending>;
  cancelAllOrders(market?: string): Promise<string[]>; // exchange order ids cancelled
  queryOrder(locator: OrderLocator): Promise<OrderStatusReport | null>;
  listOpenOrders(market?: string): Promise<OrderStatusReport[]>;
  listFills(since?: string): Promise<FillReport[]>;
  getBalances(): Promise<BalanceReport[]>;
  getFees(): Promise<FeeReport[]>;
  /** Listen for pushed events. Returns an unsubscribe function. */
  subscribe(listener: ExchangeListener): () => void;
  /** Open streams (WS) if any; idempotent. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Public, unauthenticated metadata of an exchange (markets, currencies). */
export interface MetadataSource {
  readonly exchange: string;
  fetchMarkets(): Promise<Market[]>;
  fetchCurrencies(): Promise<Currency[]>;
}
