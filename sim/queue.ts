/**
 * Optional queue model for resting (maker) orders, `queue: "at_touch"` (sim/README.md "Queue"):
 * hftbacktest's RiskAverseQueueModel. An order resting at p has `queueAhead`, the market volume
 * ahead of it; only prints at p by the other side (those that would fill it at the touch) consume
 * it, and a book snapshot can only lower it (cancels happen behind us). The order fills at p only
 * from the part of a print that passes the queue ahead; prints strictly through p fill it regardless.
 * Volume ahead when it rests: the observed book's amount at p (0 inside the spread); where no book shows p,
 * on a trade tape, `touchFraction` × the volume printed at p in the last `windowMs`; on price-only
 * marks only (no sized print seen) it is unknown (Infinity): only prints through the price fill it.
 * With `queue: "none"` (default) nothing here runs: fills and digests are as before.
 */
import { D, type Dec } from '../src/domain/money.ts';
import { DomainError } from '../src/domain/errors.ts';
import type { BookSide, Level } from './book.ts';
import { floorToDecimals, ZERO } from './fees.ts';
import type { ObservedBook, ObservedLevel } from './liquidity.ts';
import type { MarketState } from './market-state.ts';
import type { SimOrder } from './order.ts';
import { comparePrice } from './price.ts';
import { printCap } from './taker-tape.ts';
import type { EngineCore } from './engine-core.ts';
import type { QueueOptions, TradePrint } from './types.ts';

export type QueueModel = 'none' | 'at_touch';

export type { QueueOptions };

export const DEFAULT_QUEUE_TOUCH_FRACTION = 1;
export const DEFAULT_QUEUE_WINDOW_MS = 60_000;
const UNKNOWN = new D(Infinity);

/** Validated queue options of the engine; undefined = no queue model (the default). */
export function queueOptions(o: { queue?: QueueModel; queueTouchFraction?: number; queueWindowMs?: number }): QueueOptions | undefined {
  if ((o.queue ?? 'none') === 'none') return undefined;
  const touchFraction = o.queueTouchFraction ?? DEFAULT_QUEUE_TOUCH_FRACTION;
  const windowMs = o.queueWindowMs ?? DEFAULT_QUEUE_WINDOW_MS;
  if (!(touchFraction >= 0 && touchFraction <= 100)) throw new DomainError('INVALID_ARGUMENT', 'queue_touch_fraction must be in [0, 100]');
  if (!(Number.isInteger(windowMs) && windowMs >= 0)) throw new DomainError('INVALID_ARGUMENT', 'queue window must be whole ms >= 0');
  return { touchFraction, windowMs };
}

/** Keeps the sized prints of the last windowMs (the trade-data estimate of the volume at a price). */
export function noteQueuePrint(q: QueueOptions, ms: MarketState, t: TradePrint): void {
  if (t.amount === null) return;
  const r = (ms.queueRecent ??= { prints: [], head: 0 });
  r.prints.push(t);
  prune(r, t.ts - q.windowMs);
}

function prune(r: NonNullable<MarketState['queueRecent']>, after: number): void {
  while (r.head < r.prints.length && r.prints[r.head]!.ts <= after) r.head++;
  if (r.head > 1024 && r.head * 2 > r.prints.length) {
    r.prints.splice(0, r.head);
    r.head = 0;
  }
}

/**
 * Observed volume ahead of a new order at `price` on its side: the level's amount, 0 when no one
 * shows at that price within the shown range (or the order improves the best), undefined when the
 * price is deeper than the book shows.
 */
function shownAhead(levels: ObservedLevel[], isBid: boolean, key: number, price: string): Dec | undefined {
  for (const l of levels) {
    const c = comparePrice(key, price, l.key, l.price);
    if (c === 0) return l.size.gt(0) ? l.size : ZERO;
    if (isBid ? c > 0 : c < 0) return ZERO; // better than this level (and all after it): nobody ahead
  }
  return undefined;
}

/** Sets `queueAhead` of an order going onto its book (before it is inserted). */
export function queueAtRest(e: EngineCore, q: QueueOptions, ms: MarketState, side: BookSide, o: SimOrder): void {
  const price = o.price!;
  let ahead: Dec | undefined;
  if (ms.book) ahead = shownAhead(side.isBid ? ms.book.bids : ms.book.asks, side.isBid, o.key, price);
  if (ahead === undefined) {
    if (!ms.tape || !ms.queueRecent) ahead = UNKNOWN;
    else {
      const r = ms.queueRecent;
      prune(r, e.nowMs - q.windowMs);
      let sum = ZERO;
      for (let i = r.head; i < r.prints.length; i++) {
        const t = r.prints[i]!;
        if (t.key === o.key && comparePrice(t.key, t.price, o.key, price) === 0) sum = sum.plus(t.amount!);
      }
      ahead = q.touchFraction === 1 ? sum : sum.times(q.touchFraction);
    }
  }
  // Time priority: an order is never ahead of one that rested before it at the same price.
  const level = side.levelAt(o.key, price);
  const before = level?.orders[level.orders.length - 1]?.queueAhead;
  if (before !== undefined && before.gt(ahead)) ahead = before;
  o.queueAhead = ahead;
}

/** A book snapshot: the volume ahead of each resting order is at most what its level now shows. */
export function capQueues(ms: MarketState, book: ObservedBook): void {
  for (const side of [ms.bids, ms.asks]) {
    const shown = side.isBid ? book.bids : book.asks;
    for (const l of side.levels) {
      const cap = shownAhead(shown, side.isBid, l.key, l.price);
      if (cap === undefined) continue;
      for (let j = l.head; j < l.orders.length; j++) {
        const o = l.orders[j]!;
        if (o.queueAhead === undefined || o.queueAhead.gt(cap)) o.queueAhead = cap;
      }
    }
  }
}

export interface QueueFillOps {
  /** Maker fill of `want` at `price`; returns the amount filled. */
  exec: (e: EngineCore, o: SimOrder, want: Dec, price: string) => Dec;
  /** The order could not pay: cancel its rest. */
  cutShort: (e: EngineCore, o: SimOrder) => void;
  /** Does this print fill orders resting at this level (matching.ts's touch rule)? */
  crosses: (e: EngineCore, side: BookSide, t: TradePrint, level: Level) => boolean;
}

/**
 * fillResting with the queue model: levels strictly through the print fill as without a queue
 * (their queue is gone); at the touched level each order, first rested first, gets what of the print
 * passed the volume ahead of it and the account's earlier orders there, within participation × print.
 */
export function fillRestingQueued(e: EngineCore, side: BookSide, t: TradePrint, ops: QueueFillOps): void {
  const size = t.amount === null ? null : new D(t.amount);
  let cap = printCap(e, t);
  let touch: Level | undefined;
  const levels = side.levels;
  for (let i = levels.length - 1; i >= 0; i--) {
    const l = levels[i]!;
    const c = comparePrice(t.key, t.price, l.key, l.price);
    if (side.isBid ? c >= 0 : c <= 0) {
      if (c === 0 && ops.crosses(e, side, t, l)) touch = l;
      break;
    }
    for (let j = l.head; j < l.orders.length; j++) l.orders[j]!.queueAhead = ZERO; // traded through
  }
  // Through levels, best first, as without a queue.
  while (cap === null || cap.gt(0)) {
    const level = side.best();
    if (!level || level === touch) break;
    const c = comparePrice(t.key, t.price, level.key, level.price);
    if (side.isBid ? c >= 0 : c <= 0) break;
    const r = fillHead(e, side, level, cap, null, ops);
    if (r === null) break;
    if (cap !== null) cap = cap.minus(r);
  }
  if (!touch) return;
  let taken = ZERO;
  let touchDraw: boolean | undefined; // prob_fill_on_touch: one draw per print and side, as without a queue
  while (side.best() === touch && (cap === null || cap.gt(0))) {
    const o = touch.orders[touch.head]!;
    const ahead = o.queueAhead ?? ZERO;
    // A price-only mark (no size) passes an order only with nothing ahead of it.
    const pass = size === null ? (ahead.isZero() ? null : ZERO) : size.minus(ahead).minus(taken);
    if (pass !== null && pass.lte(0)) break;
    if (e.touchProb < 1) {
      touchDraw ??= e.rng.next() < e.touchProb;
      if (!touchDraw) break; // the print still used up the volume ahead (below)
    }
    const r = fillHead(e, side, touch, cap, pass, ops);
    if (r === null) break;
    taken = taken.plus(r);
    if (cap !== null) cap = cap.minus(r);
  }
  if (size === null) return;
  for (let j = touch.head; j < touch.orders.length; j++) {
    const o = touch.orders[j]!;
    const ahead = o.queueAhead ?? ZERO;
    o.queueAhead = ahead.gt(size) ? ahead.minus(size) : ZERO;
  }
}

/** Fills the level's first order for at most cap and pass; returns what it filled, null to stop. */
function fillHead(e: EngineCore, side: BookSide, level: Level, cap: Dec | null, pass: Dec | null, ops: QueueFillOps): Dec | null {
  const o = level.orders[level.head]!;
  let want = o.remaining;
  for (const bound of [cap, pass]) {
    if (bound === null) continue;
    const b = floorToDecimals(bound, o.rules.amount_decimals);
    if (b.lte(0)) return null;
    if (b.lt(want)) want = b;
  }
  const done = ops.exec(e, o, want, level.price);
  if (o.state === 'filled') side.shiftBest(level);
  else if (done.lt(want)) {
    side.shiftBest(level);
    ops.cutShort(e, o);
  }
  return done; // a partial fill: its bound is used up, the caller's next bound check stops
}
