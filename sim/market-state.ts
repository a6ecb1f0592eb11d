/** Per-market state of the simulated exchange: the account's resting books and what it observed. */
import type { Dec } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';
import type { BookSide } from './book.ts';
import type { SimOrder } from './order.ts';
import type { TradePrint } from './types.ts';
import type { ObservedBook } from './liquidity.ts';

export interface MarketState {
  id: string;
  bids: BookSide;
  asks: BookSide;
  last?: string;
  lastKey: number;
  book?: ObservedBook;
  /** Mid of the latest book snapshot while no trade printed since (the mark on quote data). */
  mid?: string;
  /** Did the last print carry a size (a trade tape)? false for price-only marks (paper tickers). */
  tape: boolean;
  /** Prints of the current instant (instTs), for orders arriving within it (reused array). */
  instTs: number;
  readonly inst: TradePrint[];
  /** What this account's takers already took from the current instant's prints, per side. */
  instTakenBuy: Dec;
  instTakenSell: Dec;
  /** Arrived taker orders waiting for later prints (market, GTC marketable limit), by seq. */
  readonly takers: SimOrder[];
  /** Queue model "at_touch": the sized prints of the last window (queue.ts). */
  queueRecent?: { prints: TradePrint[]; head: number };
  rules?: Market;
  rates?: { maker: Dec; taker: Dec; max: Dec };
}
