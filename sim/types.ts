/** Shapes shared by the simulator's parts. Times are epoch milliseconds of simulated time. */
import type { Market } from '../src/domain/market.ts';
import type { Side } from '../src/domain/order.ts';
import type { FillReport, OrderStatusReport } from '../src/exchanges/adapter.ts';

/** A trade printed by the market (replayed or observed). `side` is the taker's side. */
export interface TradePrint {
  kind: 'trade';
  ts: number;
  market: string;
  price: string; // canonical decimal string
  key: number; // parseFloat(price): ordering key (see price.ts)
  /** null = unlimited size (a live ticker price has no size). */
  amount: string | null;
  side: Side;
}

export interface BookLevel {
  price: string;
  amount: string;
}

/** Observed order book (top-of-book quotes are a one-level snapshot). Replaces the previous one. */
export interface BookSnapshot {
  kind: 'book';
  ts: number;
  market: string;
  bids: BookLevel[];
  asks: BookLevel[];
}

export type MarketEvent = TradePrint | BookSnapshot;

export interface FeeSchedule {
  maker: string; // fraction, e.g. "0.003"
  taker: string;
}

export const DEFAULT_FEES: FeeSchedule = { maker: '0.003', taker: '0.004' };

export interface EngineOptions {
  /** Trading rules of a market; throws DomainError MARKET_NOT_FOUND for an unknown market. */
  getMarket: (market: string) => Market;
  fees?: FeeSchedule;
  /** Per-market fee overrides. */
  marketFees?: Record<string, FeeSchedule>;
  /** Simulated ms between placeOrder and the order reaching the book. */
  latencyMs?: number;
  /** Extra uniformly random latency in [0, latencyJitterMs] drawn from the seeded PRNG. */
  latencyJitterMs?: number;
  /** Market/instant orders when only trades are known: price = last ± slippageBps (default 5). */
  slippageBps?: number;
  /** Does a trade exactly at a resting order's price fill it? Default true (see sim/README.md). */
  fillAtTouch?: boolean;
  /**
   * Chance that a print exactly at a resting order's price (one that may fill it) does, drawn from
   * the seeded PRNG once per print and side, [0, 1]; default 1 (no draw: deterministic as before).
   */
  probFillOnTouch?: number;
  /** Share of each trade print's amount the account can trade (takers and makers), (0, 1]; default 1. */
  participation?: number;
  /** Queue model of resting orders (sim/README.md "Queue"): default "none". */
  queue?: 'none' | 'at_touch';
  /** at_touch on trade data: volume ahead = this × the volume printed at the price in the window (default 1). */
  queueTouchFraction?: number;
  /** at_touch on trade data: that window, ms (default 60000). */
  queueWindowMs?: number;
  seed?: number;
  /** Simulated start time (ms). */
  startAt?: number;
  /** Record events for drainEvents() (adapters); the bench turns this off. Default true. */
  recordEvents?: boolean;
}

/** Validated queue model options (queue.ts). */
export interface QueueOptions {
  readonly touchFraction: number;
  readonly windowMs: number;
}

export type SimEvent = { type: 'fill'; fill: FillReport } | { type: 'order_update'; report: OrderStatusReport };
