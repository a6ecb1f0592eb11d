/** One order inside the simulated exchange. Amounts are Decimals; the price is a canonical string. */
import type { Dec } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';
import type { OrderType, Side, TimeInForce } from '../src/domain/order.ts';
import type { ExchangeOrderState, FillReport } from '../src/exchanges/adapter.ts';

export interface SimOrder {
  seq: number;
  id: string; // exchange order id, "sim-o-<seq>": deterministic
  clientOrderId?: string;
  market: string;
  rules: Market;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  postOnly: boolean;
  amount: Dec;
  remaining: Dec;
  filled: Dec;
  price?: string; // limit orders
  key: number; // priceKey(price), NaN without a price
  expireAt?: number; // gtd / daily
  /** A cancel in flight (latency): the order is cancelled at this time unless done before. */
  cancelAt?: number;
  placedAt: number;
  arrivesAt: number;
  arrived: boolean;
  onBook: boolean;
  /** Waiting in its market's `takers` list for later prints (a taker on a trade tape). */
  taking?: boolean;
  /**
   * When it went onto its book, as a per-engine counter: its time priority within its price level.
   * Stable for the order's life (unlike its rank among all resting orders), so an order can be
   * persisted on its own (the paper exchange stores each open order as a row).
   */
  restSeq?: number;
  /** Queue model "at_touch" (queue.ts): market volume still ahead of it at its price. */
  queueAhead?: Dec;
  state: ExchangeOrderState;
  /** Funds held for this order, in reserveCurrency (quote for buys, base for sells). */
  reserveCurrency: string;
  reserved: Dec;
  fills: FillReport[];
  reason?: string;
  updatedAt: number;
}

/** Why an order ended without filling completely (reported as status_reason). */
export const REASONS = {
  // Coded like a refusal ("CODE: message"): nothing was placed, and place_order answers it as an error.
  postOnlyWouldTake: 'EXCHANGE_REJECTED: post_only order would have taken liquidity; cancelled like Bitstamp does',
  iocRemainder: 'ioc: the unfilled rest was cancelled',
  fokNotFillable: 'fok: the whole amount could not be filled at once; nothing was filled',
  noLiquidity: 'market order: the observed book had no more liquidity; the rest was cancelled',
  insufficientFunds: 'insufficient funds at execution; the rest was cancelled',
  expiredGtd: 'gtd: expire_time reached',
  expiredDaily: 'daily: expired at 00:00 UTC',
  userCancel: 'cancelled on request',
} as const;
