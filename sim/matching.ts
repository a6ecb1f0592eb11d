/**
 * Matching of orders against market events: resting orders filled by crossing trade prints (at their
 * own limit price, for at most the print's size), arriving orders taking the observed liquidity, and
 * the fill accounting itself (ledger, fees, fill reports).
 */
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { isoAt } from '../src/domain/clock.ts';
import type { FillReport } from '../src/exchanges/adapter.ts';
import type { BookSide, Level } from './book.ts';
import { fillFee, floorToDecimals, ZERO } from './fees.ts';
import { REASONS, type SimOrder } from './order.ts';
import { comparePrice } from './price.ts';
import type { TradePrint } from './types.ts';
import { slippedPrice, takerLevels, type TakerLevel } from './liquidity.ts';
import { addTaker, fokCovered, printCap, serveTakers, takeInstant } from './taker-tape.ts';
import type { MarketState } from './market-state.ts';
import type { EngineCore } from './engine-core.ts';
import { fillRestingQueued, queueAtRest, type QueueFillOps } from './queue.ts';

export function crosses(e: EngineCore, side: BookSide, t: TradePrint, level: Level): boolean {
  const c = comparePrice(t.key, t.price, level.key, level.price);
  if (side.isBid ? c < 0 : c > 0) return true;
  // At exactly the price only a print by the other side fills it (a sell hitting our bid); a
  // price-only mark (no size, no real aggressor) fills at touch as before.
  return c === 0 && e.touch && (t.amount === null || t.side !== (side.isBid ? 'buy' : 'sell'));
}

/** Fills resting orders of one side, best first, at their limit price, for at most the trade's size. */
export function fillResting(e: EngineCore, side: BookSide, t: TradePrint): void {
  if (e.queue !== undefined) return fillRestingQueued(e, side, t, queueOps);
  let q: Dec | null = printCap(e, t);
  let touchDraw: boolean | undefined; // one draw per print and side (probFillOnTouch)
  while (q === null || q.gt(0)) {
    const level = side.best();
    if (!level || !crosses(e, side, t, level)) return;
    if (e.touchProb < 1 && comparePrice(t.key, t.price, level.key, level.price) === 0) {
      touchDraw ??= e.rng.next() < e.touchProb;
      if (!touchDraw) return;
    }
    const o = level.orders[level.head]!;
    let want = o.remaining;
    if (q !== null) {
      const cap = floorToDecimals(q, o.rules.amount_decimals);
      if (cap.lte(0)) return;
      if (cap.lt(want)) want = cap;
    }
    const done = execute(e, o, want, level.price, 'maker');
    if (q !== null) q = q.minus(done);
    if (o.state === 'filled') side.shiftBest(level);
    else if (done.lt(want)) {
      side.shiftBest(level);
      e.close(o, 'cancelled', REASONS.insufficientFunds);
    } else return; // the trade's size is used up
  }
}

/** The order reaches the book: take what the observed market offers, then rest or cancel the rest. */
export function arrive(e: EngineCore, o: SimOrder): void {
  o.arrived = true;
  const ms = e.market(o.market);
  if (!ms.book && ms.tape) return arriveOnTape(e, ms, o);
  // Before any price a market order waits for the first print (or book snapshot).
  if (!ms.book && ms.last === undefined && o.type !== 'limit' && !o.postOnly) return addTaker(ms, o);
  const levels = takerLevels(ms, o, slippedPrice(ms, o, e.slippageBps));
  if (o.postOnly) {
    if (postOnlyWouldTake(e, ms, o, levels)) e.close(o, 'cancelled', REASONS.postOnlyWouldTake);
    else rest(e, ms, o);
    return;
  }
  if (o.tif === 'fok') {
    let depth: Dec | null = ZERO;
    for (const l of levels) depth = l.size === null || depth === null ? null : depth.plus(l.size);
    if (depth !== null && depth.lt(o.remaining)) return e.close(o, 'cancelled', REASONS.fokNotFillable);
  }
  for (const l of levels) {
    if (o.state !== 'open') break;
    let want = o.remaining;
    if (l.size !== null) {
      const cap = floorToDecimals(l.size, o.rules.amount_decimals);
      if (cap.lt(want)) want = cap;
    }
    if (want.lte(0)) continue;
    const done = execute(e, o, want, l.price, 'taker');
    if (l.observed) l.observed.size = l.observed.size.minus(done);
    if (done.lt(want) && o.state === 'open') return e.close(o, 'cancelled', REASONS.insufficientFunds);
  }
  if (o.state !== 'open') return;
  if (o.type !== 'limit') e.close(o, 'cancelled', REASONS.noLiquidity);
  else if (o.tif === 'ioc' || o.tif === 'fok') e.close(o, 'cancelled', REASONS.iocRemainder);
  else rest(e, ms, o);
}

/**
 * Would this post_only order take liquidity if it arrived now (so the venue cancels it)? The one rule
 * arrival applies and order-intake's checkOrder reports. `levels`: what arrive() already computed.
 */
export function postOnlyWouldTake(e: EngineCore, ms: MarketState, o: SimOrder, levels?: readonly TakerLevel[]): boolean {
  if (!ms.book && ms.tape) return tapeMarketable(ms, o);
  return (levels ?? takerLevels(ms, o, slippedPrice(ms, o, e.slippageBps))).length > 0;
}

/** On a tape, marketable = strictly better than the last print: a limit at exactly the last price rests. */
function tapeMarketable(ms: MarketState, o: SimOrder): boolean {
  if (o.price === undefined) return true;
  const c = comparePrice(ms.lastKey, ms.last!, o.key, o.price);
  return o.side === 'buy' ? c < 0 : c > 0;
}

/** Trades-only data with sizes: bounded taking from the tape (taker-tape.ts). */
function arriveOnTape(e: EngineCore, ms: MarketState, o: SimOrder): void {
  const marketable = tapeMarketable(ms, o);
  if (!marketable) {
    if (o.postOnly || (o.tif !== 'ioc' && o.tif !== 'fok')) rest(e, ms, o);
    else e.close(o, 'cancelled', o.tif === 'fok' ? REASONS.fokNotFillable : REASONS.iocRemainder);
    return;
  }
  if (o.postOnly) return e.close(o, 'cancelled', REASONS.postOnlyWouldTake);
  if (o.tif === 'fok' && !fokCovered(e, ms, o)) return e.close(o, 'cancelled', REASONS.fokNotFillable);
  takeInstant(e, ms, o, takerExec, cutShort);
  if (o.state !== 'open') return;
  if (o.tif === 'ioc' || o.tif === 'fok') e.close(o, 'cancelled', REASONS.iocRemainder);
  else addTaker(ms, o);
}

/** The orders waiting for prints take from this one (called by the engine's onTrade). */
export function serveWaitingTakers(e: EngineCore, ms: MarketState, t: TradePrint): void {
  serveTakers(e, ms, t, takerExec, cutShort);
}

/** A book snapshot arrived: waiting takers meet it as if arriving now (walk its levels). */
export function rearriveOnBook(e: EngineCore, ms: MarketState): void {
  const waiting = ms.takers.splice(0, ms.takers.length);
  for (const o of waiting) {
    o.taking = false;
    if (o.state === 'open') arrive(e, o);
  }
}

const takerExec = (e: EngineCore, o: SimOrder, want: Dec, price: string): Dec => execute(e, o, want, price, 'taker');
const cutShort = (e: EngineCore, o: SimOrder): void => e.close(o, 'cancelled', REASONS.insufficientFunds);

const queueOps: QueueFillOps = { exec: (e, o, want, price) => execute(e, o, want, price, 'maker'), cutShort, crosses };

function rest(e: EngineCore, ms: MarketState, o: SimOrder): void {
  o.restSeq = ++e.restCount;
  const side = o.side === 'buy' ? ms.bids : ms.asks;
  if (e.queue !== undefined) queueAtRest(e, e.queue, ms, side, o);
  side.insert(o);
  e.emitUpdate(o);
}

/**
 * One fill of `want` at `price`. A buy that cannot pay (rounding pennies beyond its reservation
 * and no free balance, or a market order whose price moved) fills only what it can pay.
 * Returns the amount actually filled.
 */
function execute(e: EngineCore, o: SimOrder, want: Dec, price: string, liquidity: 'maker' | 'taker'): Dec {
  const m = o.rules;
  const ms = e.market(o.market);
  const rates = e.ratesOf(ms);
  const rate = liquidity === 'maker' ? rates.maker : rates.taker;
  let amount = want;
  let notional = amount.times(price);
  let fee: Dec;
  if (o.side === 'buy') {
    fee = fillFee(notional, rate, m, false);
    const canPay = o.reserved.plus(e.ledger.availableOf(m.quote));
    if (notional.plus(fee).gt(canPay)) {
      const step = new D(10).pow(-m.amount_decimals);
      amount = floorToDecimals(canPay.div(rate.plus(1).times(price)), m.amount_decimals);
      if (amount.gt(want)) amount = want;
      for (;;) {
        if (amount.lte(0)) return ZERO;
        notional = amount.times(price);
        fee = fillFee(notional, rate, m, false);
        if (notional.plus(fee).lte(canPay)) break;
        amount = amount.minus(step);
      }
    }
    const cost = notional.plus(fee);
    const fromReserve = o.reserved.lt(cost) ? o.reserved : cost;
    o.reserved = o.reserved.minus(fromReserve);
    e.ledger.release(m.quote, fromReserve);
    e.ledger.debit(m.quote, cost);
    e.ledger.credit(m.base, amount);
  } else {
    fee = fillFee(notional, rate, m, true);
    o.reserved = o.reserved.minus(amount);
    e.ledger.release(m.base, amount);
    e.ledger.debit(m.base, amount);
    e.ledger.credit(m.quote, notional.minus(fee));
  }
  e.ledger.addFee(m.quote, fee);
  o.remaining = o.remaining.minus(amount);
  o.filled = o.filled.plus(amount);
  o.updatedAt = e.nowMs;
  const fill: FillReport = {
    fillId: `sim-${++e.fillSeq}`,
    exchangeOrderId: o.id,
    market: o.market,
    side: o.side,
    amount: decStr(amount),
    price,
    fee: decStr(fee),
    feeCurrency: m.quote,
    liquidity,
    at: isoAt(e.nowMs),
  };
  if (o.clientOrderId !== undefined) fill.clientOrderId = o.clientOrderId;
  o.fills.push(fill);
  e.fillLog.push(fill);
  if (e.record) e.events.push({ type: 'fill', fill });
  if (o.remaining.isZero()) e.finish(o, 'filled');
  else e.emitUpdate(o);
  return amount;
}
