/**
 * The deterministic matching engine of one simulated account (see sim/README.md for every rule):
 * the facade that owns the account's state and exposes commands, market-data entry points and queries.
 * Resting orders live in price-time priority books and fill ONLY when a trade print crosses them,
 * at their own limit price, for at most participation × the trade's size. An order reaching the book
 * takes the observed liquidity first (book snapshot levels; on a trade tape participation × each
 * print from its arrival on, taker-tape.ts; price-only marks: the last price with unlimited size).
 * No wall clock, no Math.random: time comes from the events and advanceTo(), randomness from SimRandom.
 * The work itself lives in order-intake.ts (place), matching.ts (fills) and order-timers.ts (latency,
 * expiry); they reach the state below through the structural EngineCore interface.
 */
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { DomainError, type Problem } from '../src/domain/errors.ts';
import { isoAt } from '../src/domain/clock.ts';
import type { Market } from '../src/domain/market.ts';
import type { FillReport, OrderAck, OrderLocator, OrderStatusReport, PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import { BookSide } from './book.ts';
import { ZERO } from './fees.ts';
import { TimerHeap } from './heap.ts';
import { Ledger } from './ledger.ts';
import { REASONS, type SimOrder } from './order.ts';
import { SimRandom } from './random.ts';
import { DEFAULT_FEES, type BookSnapshot, type EngineOptions, type QueueOptions, type SimEvent, type TradePrint } from './types.ts';
import { restoreEngine, snapshotEngine, type EngineState } from './engine-state.ts';
import { toObserved } from './liquidity.ts';
import { bookMid } from './equity.ts';
import type { MarketState } from './market-state.ts';
import type { EngineCore } from './engine-core.ts';
import { crosses, fillResting, rearriveOnBook, serveWaitingTakers } from './matching.ts';
import { addTaker, notePrint, removeTaker } from './taker-tape.ts';
import { checkOrder, placeOrder } from './order-intake.ts';
import { drawLatency, runTimersUntil, scheduleTimer } from './order-timers.ts';
import { capQueues, noteQueuePrint, queueOptions } from './queue.ts';

export type { MarketState } from './market-state.ts';

export class MatchingEngine implements EngineCore {
  nowMs: number;
  readonly ledger: Ledger;
  rng: SimRandom;
  orderSeq = 0;
  fillSeq = 0;
  /** Orders put on a book so far (SimOrder.restSeq). */
  restCount = 0;
  readonly markets = new Map<string, MarketState>();
  /** Every order still known: all open ones, plus closed ones until forgetClosed(). */
  readonly orders = new Map<string, SimOrder>();
  readonly open = new Map<number, SimOrder>();
  readonly byClientId = new Map<string, SimOrder>();
  readonly fillLog: FillReport[] = [];
  // Internal (EngineCore): read and written by order-intake.ts, matching.ts and order-timers.ts only.
  readonly timers = new TimerHeap();
  nextTimerAt = Infinity;
  events: SimEvent[] = [];
  private cur: MarketState | undefined;
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly slippageBps: number;
  readonly touch: boolean;
  readonly touchProb: number;
  readonly participation: number;
  readonly queue: QueueOptions | undefined;
  readonly record: boolean;

  constructor(
    readonly opts: EngineOptions,
    state?: EngineState,
  ) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.jitterMs = opts.latencyJitterMs ?? 0;
    this.slippageBps = opts.slippageBps ?? 5;
    this.touch = opts.fillAtTouch ?? true;
    this.touchProb = opts.probFillOnTouch ?? 1;
    if (!(this.touchProb >= 0 && this.touchProb <= 1)) throw new DomainError('INVALID_ARGUMENT', 'prob_fill_on_touch must be in [0, 1]');
    this.participation = opts.participation ?? 1;
    if (!(this.participation > 0 && this.participation <= 1)) throw new DomainError('INVALID_ARGUMENT', 'participation must be in (0, 1]');
    this.queue = queueOptions(opts);
    this.record = opts.recordEvents ?? true;
    this.nowMs = opts.startAt ?? 0;
    this.rng = new SimRandom(opts.seed ?? 1);
    this.ledger = new Ledger();
    if (state) restoreEngine(this, state);
  }

  // ------------------------------------------------------------------ time and market data

  now(): number {
    return this.nowMs;
  }

  /** Moves simulated time forward to ts (never backwards), running arrivals and expiries on the way. */
  advanceTo(ts: number): void {
    runTimersUntil(this, ts);
  }

  /** A trade print: the hot path. Crosses resting orders; never touches decimal.js unless it crosses. */
  onTrade(t: TradePrint): void {
    if (t.ts >= this.nextTimerAt) this.advanceTo(t.ts);
    else if (t.ts > this.nowMs) this.nowMs = t.ts;
    let ms = this.cur;
    if (ms === undefined || ms.id !== t.market) ms = this.cur = this.market(t.market);
    ms.last = t.price;
    ms.lastKey = t.key;
    if (ms.mid !== undefined) ms.mid = undefined;
    notePrint(ms, t);
    if (this.queue !== undefined) noteQueuePrint(this.queue, ms, t);
    if (ms.takers.length !== 0) serveWaitingTakers(this, ms, t);
    const bids = ms.bids.levels;
    if (bids.length !== 0) {
      const b = bids[bids.length - 1]!;
      if (t.key < b.key || (t.key === b.key && crosses(this, ms.bids, t, b))) fillResting(this, ms.bids, t);
    }
    const asks = ms.asks.levels;
    if (asks.length !== 0) {
      const a = asks[asks.length - 1]!;
      if (t.key > a.key || (t.key === a.key && crosses(this, ms.asks, t, a))) fillResting(this, ms.asks, t);
    }
  }

  /** A book snapshot replaces the observed book of its market; it never fills resting orders. */
  onBook(b: BookSnapshot): void {
    this.advanceTo(b.ts);
    const ms = this.market(b.market);
    ms.book = toObserved(b);
    ms.mid = bookMid(ms.book);
    if (this.queue !== undefined) capQueues(ms, ms.book);
    if (ms.takers.length !== 0) rearriveOnBook(this, ms);
  }

  market(id: string): MarketState {
    let ms = this.markets.get(id);
    if (!ms) {
      ms = { id, bids: new BookSide(true), asks: new BookSide(false), lastKey: NaN, mid: undefined, tape: false, instTs: NaN, inst: [], instTakenBuy: ZERO, instTakenSell: ZERO, takers: [] };
      this.markets.set(id, ms);
    }
    return ms;
  }

  lastPrice(market: string): string | undefined {
    return this.markets.get(market)?.last;
  }

  /** Valuation mark: the mid of the latest book snapshot if no trade printed since, else the last trade. */
  markPrice(market: string): string | undefined {
    const ms = this.markets.get(market);
    return ms?.mid ?? ms?.last;
  }

  // ------------------------------------------------------------------ commands

  /** Validates like Bitstamp, reserves funds, and schedules arrival. Throws DomainError; nothing is kept then. */
  place(cmd: PlaceOrderCommand): OrderAck {
    return placeOrder(this, cmd);
  }

  /** What the venue would refuse of `cmd` (order-intake.ts checkOrder); places nothing. */
  check(cmd: PlaceOrderCommand): Problem[] {
    return checkOrder(this, cmd);
  }

  cancel(locator: OrderLocator): OrderStatusReport {
    const o = this.find(locator);
    if (!o || o.state !== 'open') {
      const what = locator.exchangeOrderId ?? locator.clientOrderId ?? '(no id)';
      throw new DomainError('ORDER_NOT_FOUND', `Order not found: ${what} is not an open order on the paper exchange`);
    }
    this.requestCancel(o);
    return this.report(o);
  }

  cancelAll(market?: string): string[] {
    const ids: string[] = [];
    for (const o of [...this.open.values()].sort((a, b) => a.seq - b.seq)) {
      if (market !== undefined && o.market !== market) continue;
      this.requestCancel(o);
      ids.push(o.id);
    }
    return ids;
  }

  /** Is a cancel of this open order still in flight (latency)? */
  cancelPending(locator: OrderLocator): boolean {
    const o = this.find(locator);
    return o !== undefined && o.state === 'open' && o.cancelAt !== undefined;
  }

  /**
   * A cancel reaches the book after the same latency as an order (latencyMs + seeded jitter);
   * meanwhile the order can still fill. Without latency it is cancelled at once. A second
   * cancel of an order whose cancel is in flight changes nothing.
   */
  private requestCancel(o: SimOrder): void {
    if (o.cancelAt !== undefined) return;
    const latency = drawLatency(this);
    if (latency === 0) return this.close(o, 'cancelled', REASONS.userCancel);
    o.cancelAt = this.nowMs + latency;
    scheduleTimer(this, { at: o.cancelAt, kind: 2, orderSeq: o.seq });
  }

  find(locator: OrderLocator): SimOrder | undefined {
    if (locator.exchangeOrderId !== undefined) return this.orders.get(locator.exchangeOrderId);
    if (locator.clientOrderId !== undefined) return this.byClientId.get(locator.clientOrderId);
    return undefined;
  }

  query(locator: OrderLocator): OrderStatusReport | null {
    const o = this.find(locator);
    return o ? this.report(o) : null;
  }

  openOrders(market?: string): OrderStatusReport[] {
    return [...this.open.values()]
      .filter((o) => market === undefined || o.market === market)
      .sort((a, b) => a.seq - b.seq)
      .map((o) => this.report(o));
  }

  fills(since?: string): FillReport[] {
    if (since === undefined) return [...this.fillLog];
    const t = Date.parse(since);
    return this.fillLog.filter((f) => Date.parse(f.at) >= t);
  }

  /** Sets balances (funding a paper account); currencies not named keep their balance. */
  fund(balances: Record<string, string>): void {
    for (const [c, v] of Object.entries(balances)) this.ledger.setTotal(c, new D(v));
  }

  drainEvents(): SimEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** Drops closed orders and the fill log from memory (the paper adapter keeps them in SQLite). */
  forgetClosed(): void {
    for (const [id, o] of this.orders) if (o.state !== 'open') this.orders.delete(id);
    for (const [cid, o] of this.byClientId) if (o.state !== 'open') this.byClientId.delete(cid);
    this.fillLog.length = 0;
  }

  toState(includeHistory: boolean): EngineState {
    return snapshotEngine(this, includeHistory);
  }

  report(o: SimOrder): OrderStatusReport {
    const r: OrderStatusReport = {
      exchangeOrderId: o.id,
      market: o.market,
      side: o.side,
      state: o.state,
      amount: decStr(o.amount),
      filledAmount: decStr(o.filled),
      fills: [...o.fills],
      at: isoAt(o.updatedAt),
    };
    if (o.clientOrderId !== undefined) r.clientOrderId = o.clientOrderId;
    if (o.price !== undefined) r.price = o.price;
    if (o.reason !== undefined) r.reason = o.reason;
    return r;
  }

  // ------------------------------------------------------------------ internals

  /** Registers an open order (also used when restoring state). */
  track(o: SimOrder): void {
    this.orders.set(o.id, o);
    if (o.clientOrderId !== undefined) this.byClientId.set(o.clientOrderId, o);
    if (o.state !== 'open') return;
    this.open.set(o.seq, o);
    if (!o.arrived) scheduleTimer(this, { at: o.arrivesAt, kind: 1, orderSeq: o.seq });
    if (o.expireAt !== undefined) scheduleTimer(this, { at: o.expireAt, kind: 0, orderSeq: o.seq });
    if (o.cancelAt !== undefined) scheduleTimer(this, { at: o.cancelAt, kind: 2, orderSeq: o.seq });
  }

  /** Puts a restored resting order back on its book (in its original time priority). */
  restBook(o: SimOrder): void {
    const ms = this.market(o.market);
    if (o.restSeq === undefined) o.restSeq = ++this.restCount;
    else if (o.restSeq > this.restCount) this.restCount = o.restSeq;
    (o.side === 'buy' ? ms.bids : ms.asks).insert(o);
  }

  /** Puts a restored arrived, open, non-resting order back among its market's waiting takers. */
  restTaker(o: SimOrder): void {
    addTaker(this.market(o.market), o);
  }

  rulesOf(ms: MarketState): Market {
    if (!ms.rules) ms.rules = this.opts.getMarket(ms.id);
    return ms.rules;
  }

  ratesOf(ms: MarketState): { maker: Dec; taker: Dec; max: Dec } {
    if (!ms.rates) {
      const f = this.opts.marketFees?.[ms.id] ?? this.opts.fees ?? DEFAULT_FEES;
      const maker = new D(f.maker);
      const taker = new D(f.taker);
      ms.rates = { maker, taker, max: maker.gt(taker) ? maker : taker };
    }
    return ms.rates;
  }

  /** Ends an open order: off the book, reservation released. */
  close(o: SimOrder, state: 'cancelled' | 'expired' | 'rejected', reason: string): void {
    if (o.taking) removeTaker(this.market(o.market), o);
    if (o.onBook) {
      const ms = this.market(o.market);
      (o.side === 'buy' ? ms.bids : ms.asks).remove(o);
    }
    o.reason = reason;
    this.finish(o, state);
  }

  finish(o: SimOrder, state: 'filled' | 'cancelled' | 'expired' | 'rejected'): void {
    if (o.reserved.gt(0)) this.ledger.release(o.reserveCurrency, o.reserved);
    o.reserved = ZERO;
    o.state = state;
    o.updatedAt = this.nowMs;
    this.open.delete(o.seq);
    this.emitUpdate(o);
  }

  emitUpdate(o: SimOrder): void {
    if (this.record) this.events.push({ type: 'order_update', report: this.report(o) });
  }
}
