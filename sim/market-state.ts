/** Per-market state of the simulated exchange: the account's resting books and what it observed. */
import type { Dec } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';
import type { BookSide } from './book.ts';
import type { ObservedBook } from './liquidity.ts';

export interface MarketState {
  id: string;
  bids: BookSide;
  asks: BookSide;
  last?: string;
  lastKey: number;
  book?: ObservedBook;
  rules?: Market;
  rates?: { maker: Dec; taker: Dec; max: Dec };
}
