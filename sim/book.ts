/**
 * One side of one market's resting orders, with price-time priority. Levels are kept sorted so that
 * the best level is LAST (bids ascending, asks descending): looking at and removing the best level
 * is O(1), inserting a new level is a binary search plus splice.
 */
import { comparePrice } from './price.ts';
import type { SimOrder } from './order.ts';

export interface Level {
  key: number;
  price: string;
  orders: SimOrder[];
  head: number; // orders before head are gone (filled); compacted lazily
}

export class BookSide {
  readonly levels: Level[] = [];
  count = 0;

  /** isBid: best = highest price; else best = lowest. */
  constructor(readonly isBid: boolean) {}

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Sort order of a price relative to a level: negative = belongs before (worse for bids). */
  private order(key: number, price: string, level: Level): number {
    const c = comparePrice(key, price, level.key, level.price);
    return this.isBid ? c : -c;
  }

  private find(key: number, price: string): { index: number; found: boolean } {
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.order(key, price, this.levels[mid]!);
      if (c === 0) return { index: mid, found: true };
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
    return { index: lo, found: false };
  }

  /** The level at exactly this price, if any order rests there. */
  levelAt(key: number, price: string): Level | undefined {
    const { index, found } = this.find(key, price);
    return found ? this.levels[index] : undefined;
  }

  insert(o: SimOrder): void {
    const price = o.price!;
    const { index, found } = this.find(o.key, price);
    if (found) this.levels[index]!.orders.push(o);
    else this.levels.splice(index, 0, { key: o.key, price, orders: [o], head: 0 });
    o.onBook = true;
    this.count++;
  }

  remove(o: SimOrder): boolean {
    if (!o.onBook) return false;
    const { index, found } = this.find(o.key, o.price!);
    if (!found) return false;
    const level = this.levels[index]!;
    const i = level.orders.indexOf(o, level.head);
    if (i < 0) return false;
    level.orders.splice(i, 1);
    o.onBook = false;
    this.count--;
    if (level.head >= level.orders.length) this.levels.splice(index, 1);
    return true;
  }

  /** Drops the front order of the best level (it was filled). */
  shiftBest(level: Level): void {
    const o = level.orders[level.head];
    if (o) o.onBook = false;
    level.head++;
    this.count--;
    if (level.head >= level.orders.length) {
      this.levels.pop();
    } else if (level.head > 32 && level.head * 2 > level.orders.length) {
      level.orders.splice(0, level.head);
      level.head = 0;
    }
  }

  *orders(): Generator<SimOrder> {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const l = this.levels[i]!;
      for (let j = l.head; j < l.orders.length; j++) yield l.orders[j]!;
    }
  }
}
