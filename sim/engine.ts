/**
 * The deterministic matching engine of one simulated account (see sim/README.md for every rule).
 * Resting orders live in price-time priority books and fill ONLY when a trade print crosses them,
 * at their own limit price, for at most the trade's size. An order reaching the book takes the
 * observed liquidity first (book snapshot levels, else the last trade price with unlimited size).
 * No wall clock, no Math.random: time comes from the events and advanceTo(), randomness from SimRandom.
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { DomainError } from '../src/domain/errors.ts';
import { isoAt } from '../src/domain/clock.ts';
import { validateOrder, type Market } from '../src/domain/market.ts';
import type { OrderRequest } from '../src/domain/order.ts';
import type { FillReport, OrderAck, OrderLocator, OrderStatusReport, PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import { BookSide, type Level } from './book.ts';
import { buyReservation, fillFee, floorToDecimals, ZERO } from './fees.ts';
import { TimerHeap, type Timer } from './heap.ts';
import { Ledger } from './ledger.ts';
import { REASONS, type SimOrder } from './order.ts';
import { comparePrice, priceKey } from './price.ts';
import { SimRandom } from './random.ts';
import { DEFAULT_FEES, type BookSnapshot, type EngineOptions, type SimEvent, type TradePrint } from './types.ts';
import { restoreEngine, snapshotEngine, type EngineState } from './engine-state.ts';
import { slippedPrice, takerLevels, toObserved } from './liquidity.ts';
import type { MarketState } from './market-state.ts';

export type { MarketState } from './market-state.ts';

const DAY_MS = 86_400_000;

export class MatchingEngine {
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
  private readonly timers = new TimerHeap();
  private nextTimerAt = Infinity;
  private events: SimEvent[] = [];
  private cur: MarketState | undefined;
  private readonly latencyMs: number;
  private readonly jitterMs: number;
  private readonly slippageBps: number;
  private readonly touch: boolean;
  private readonly record: boolean;

  constructor(
    readonly opts: EngineOptions,
    state?: EngineState,
  ) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.jitterMs = opts.latencyJitterMs ?? 0;
    this.slippageBps = opts.slippageBps ?? 5;
    this.touch = opts.fillAtTouch ?? true;
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
    while (this.nextTimerAt <= ts) {
      const t = this.timers.pop()!;
      this.nextTimerAt = this.timers.peek()?.at ?? Infinity;
      if (t.at > this.nowMs) this.nowMs = t.at;
      this.runTimer(t);
    }
    if (ts > this.nowMs) this.nowMs = ts;
  }

  /** A trade print: the hot path. Crosses resting orders; never touches decimal.js unless it crosses. */
  onTrade(t: TradePrint): void {
    if (t.ts >= this.nextTimerAt) this.advanceTo(t.ts);
    else if (t.ts > this.nowMs) this.nowMs = t.ts;
    let ms = this.cur;
    if (ms === undefined || ms.id !== t.market) ms = this.cur = this.market(t.market);
    ms.last = t.price;
    ms.lastKey = t.key;
    const bids = ms.bids.levels;
    if (bids.length !== 0) {
      const b = bids[bids.length - 1]!;
      if (t.key < b.key || (t.key === b.key && this.crosses(ms.bids, t, b))) this.fillResting(ms.bids, t);
    }
    const asks = ms.asks.levels;
    if (asks.length !== 0) {
      const a = asks[asks.length - 1]!;
      if (t.key > a.key || (t.key === a.key && this.crosses(ms.asks, t, a))) this.fillResting(ms.asks, t);
    }
  }

  /** A book snapshot replaces the observed book of its market; it never fills resting orders. */
  onBook(b: BookSnapshot): void {
    this.advanceTo(b.ts);
    this.market(b.market).book = toObserved(b);
  }

  market(id: string): MarketState {
    let ms = this.markets.get(id);
    if (!ms) {
      ms = { id, bids: new BookSide(true), asks: new BookSide(false), lastKey: NaN };
      this.markets.set(id, ms);
    }
    return ms;
  }

  lastPrice(market: string): string | undefined {
    return this.markets.get(market)?.last;
  }

  // ------------------------------------------------------------------ commands

  /** Validates like Bitstamp, reserves funds, and schedules arrival. Throws DomainError; nothing is kept then. */
  place(cmd: PlaceOrderCommand): OrderAck {
    const ms = this.market(cmd.market);
    const rules = this.rulesOf(ms);
    const isMarket = cmd.type !== 'limit';
    const reference = ms.last ?? (cmd.side === 'buy' ? ms.book?.asks[0]?.price : ms.book?.bids[0]?.price);
    const req: OrderRequest = { market: cmd.market, side: cmd.side, type: cmd.type, amount: cmd.amount, time_in_force: cmd.timeInForce, post_only: cmd.postOnly };
    if (cmd.price !== undefined) req.price = cmd.price;
    if (cmd.expireTime !== undefined) req.expire_time = cmd.expireTime;
    const opts: { now: Date; referencePrice?: string } = { now: new Date(this.nowMs) };
    if (reference !== undefined) opts.referencePrice = reference;
    const problem = validateOrder(rules, req, opts)[0];
    if (problem) throw new DomainError(problem.code, problem.message, problem.field ? { field: problem.field } : undefined);
    if (isMarket && reference === undefined)
      throw new DomainError('EXCHANGE_REJECTED', `no price observed for ${cmd.market} yet; ${cmd.type} orders need a market price`);

    const amount = new D(cmd.amount);
    const price = cmd.price === undefined ? undefined : decStr(cmd.price);
    let reserveCurrency: string;
    let need: Dec;
    if (cmd.side === 'buy') {
      reserveCurrency = rules.quote;
      const p = price ?? this.estimateBuyPrice(ms, amount, rules);
      need = buyReservation(amount, p, this.ratesOf(ms).max, rules);
      const available = this.ledger.availableOf(reserveCurrency);
      if (need.gt(available))
        throw new DomainError(
          'INSUFFICIENT_FUNDS',
          `You need ${decStr(need)} ${rules.quote} to open that order. You have only ${decStr(available)} ${rules.quote} available.`,
        );
    } else {
      reserveCurrency = rules.base;
      need = amount;
      const available = this.ledger.availableOf(reserveCurrency);
      if (need.gt(available))
        throw new DomainError(
          'INSUFFICIENT_FUNDS',
          `You have only ${decStr(available)} ${rules.base} available; the order needs ${decStr(amount)} ${rules.base}.`,
        );
    }

    const seq = ++this.orderSeq;
    const latency = this.latencyMs + (this.jitterMs > 0 ? this.rng.int(this.jitterMs + 1) : 0);
    const o: SimOrder = {
      seq,
      id: `sim-o-${seq}`,
      market: cmd.market,
      rules,
      side: cmd.side,
      type: cmd.type,
      tif: isMarket ? 'gtc' : cmd.timeInForce,
      postOnly: cmd.postOnly,
      amount,
      remaining: amount,
      filled: ZERO,
      key: price === undefined ? NaN : priceKey(price),
      placedAt: this.nowMs,
      arrivesAt: this.nowMs + latency,
      arrived: false,
      onBook: false,
      state: 'open',
      reserveCurrency,
      reserved: need,
      fills: [],
      updatedAt: this.nowMs,
    };
    if (price !== undefined) o.price = price;
    if (cmd.clientOrderId) o.clientOrderId = cmd.clientOrderId;
    if (o.tif === 'gtd' && cmd.expireTime) o.expireAt = Date.parse(cmd.expireTime);
    if (o.tif === 'daily') o.expireAt = (Math.floor(this.nowMs / DAY_MS) + 1) * DAY_MS;
    this.ledger.reserve(reserveCurrency, need);
    this.track(o);
    this.emitUpdate(o);
    if (latency === 0) this.arrive(o);
    return { exchangeOrderId: o.id, at: isoAt(o.placedAt) };
  }

  cancel(locator: OrderLocator): OrderStatusReport {
    const o = this.find(locator);
    if (!o || o.state !== 'open') {
      const what = locator.exchangeOrderId ?? locator.clientOrderId ?? '(no id)';
      throw new DomainError('ORDER_NOT_FOUND', `Order not found: ${what} is not an open order on the paper exchange`);
    }
    this.close(o, 'cancelled', REASONS.userCancel);
    return this.report(o);
  }

  cancelAll(market?: string): string[] {
    const ids: string[] = [];
    for (const o of [...this.open.values()].sort((a, b) => a.seq - b.seq)) {
      if (market !== undefined && o.market !== market) continue;
      this.close(o, 'cancelled', REASONS.userCancel);
      ids.push(o.id);
    }
    return ids;
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
    if (!o.arrived) this.schedule({ at: o.arrivesAt, kind: 1, orderSeq: o.seq });
    if (o.expireAt !== undefined) this.schedule({ at: o.expireAt, kind: 0, orderSeq: o.seq });
  }

  /** Puts a restored resting order back on its book (in its original time priority). */
  restBook(o: SimOrder): void {
    const ms = this.market(o.market);
    if (o.restSeq === undefined) o.restSeq = ++this.restCount;
    else if (o.restSeq > this.restCount) this.restCount = o.restSeq;
    (o.side === 'buy' ? ms.bids : ms.asks).insert(o);
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

  private schedule(t: Timer): void {
    this.timers.push(t);
    if (t.at < this.nextTimerAt) this.nextTimerAt = t.at;
  }

  private runTimer(t: Timer): void {
    const o = this.open.get(t.orderSeq);
    if (!o) return;
    if (t.kind === 0) this.close(o, 'expired', o.tif === 'daily' ? REASONS.expiredDaily : REASONS.expiredGtd);
    else if (!o.arrived) this.arrive(o);
  }

  private crosses(side: BookSide, t: TradePrint, level: Level): boolean {
    const c = comparePrice(t.key, t.price, level.key, level.price);
    const through = side.isBid ? c < 0 : c > 0;
    return through || (c === 0 && this.touch);
  }

  /** Fills resting orders of one side, best first, at their limit price, for at most the trade's size. */
  private fillResting(side: BookSide, t: TradePrint): void {
    let q: Dec | null = t.amount === null ? null : new D(t.amount);
    while (q === null || q.gt(0)) {
      const level = side.best();
      if (!level || !this.crosses(side, t, level)) return;
      const o = level.orders[level.head]!;
      let want = o.remaining;
      if (q !== null) {
        const cap = floorToDecimals(q, o.rules.amount_decimals);
        if (cap.lte(0)) return;
        if (cap.lt(want)) want = cap;
      }
      const done = this.execute(o, want, level.price, 'maker');
      if (q !== null) q = q.minus(done);
      if (o.state === 'filled') side.shiftBest(level);
      else if (done.lt(want)) {
        side.shiftBest(level);
        this.close(o, 'cancelled', REASONS.insufficientFunds);
      } else return; // the trade's size is used up
    }
  }

  /** The order reaches the book: take what the observed market offers, then rest or cancel the rest. */
  private arrive(o: SimOrder): void {
    o.arrived = true;
    const ms = this.market(o.market);
    const levels = takerLevels(ms, o, slippedPrice(ms, o, this.slippageBps));
    if (o.postOnly) {
      if (levels.length > 0) this.close(o, 'cancelled', REASONS.postOnlyWouldTake);
      else this.rest(ms, o);
      return;
    }
    if (o.tif === 'fok') {
      let depth: Dec | null = ZERO;
      for (const l of levels) depth = l.size === null || depth === null ? null : depth.plus(l.size);
      if (depth !== null && depth.lt(o.remaining)) return this.close(o, 'cancelled', REASONS.fokNotFillable);
    }
    for (const l of levels) {
      if (o.state !== 'open') break;
      let want = o.remaining;
      if (l.size !== null) {
        const cap = floorToDecimals(l.size, o.rules.amount_decimals);
        if (cap.lt(want)) want = cap;
      }
      if (want.lte(0)) continue;
      const done = this.execute(o, want, l.price, 'taker');
      if (l.observed) l.observed.size = l.observed.size.minus(done);
      if (done.lt(want) && o.state === 'open') return this.close(o, 'cancelled', REASONS.insufficientFunds);
    }
    if (o.state !== 'open') return;
    if (o.type !== 'limit') this.close(o, 'cancelled', REASONS.noLiquidity);
    else if (o.tif === 'ioc' || o.tif === 'fok') this.close(o, 'cancelled', REASONS.iocRemainder);
    else this.rest(ms, o);
  }

  private rest(ms: MarketState, o: SimOrder): void {
    o.restSeq = ++this.restCount;
    (o.side === 'buy' ? ms.bids : ms.asks).insert(o);
    this.emitUpdate(o);
  }

  /**
   * One fill of `want` at `price`. A buy that cannot pay (rounding pennies beyond its reservation
   * and no free balance, or a market order whose price moved) fills only what it can pay.
   * Returns the amount actually filled.
   */
  private execute(o: SimOrder, want: Dec, price: string, liquidity: 'maker' | 'taker'): Dec {
    const m = o.rules;
    const ms = this.market(o.market);
    const rates = this.ratesOf(ms);
    const rate = liquidity === 'maker' ? rates.maker : rates.taker;
    let amount = want;
    let notional = amount.times(price);
    let fee: Dec;
    if (o.side === 'buy') {
      fee = fillFee(notional, rate, m, false);
      const canPay = o.reserved.plus(this.ledger.availableOf(m.quote));
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
      this.ledger.release(m.quote, fromReserve);
      this.ledger.debit(m.quote, cost);
      this.ledger.credit(m.base, amount);
    } else {
      fee = fillFee(notional, rate, m, true);
      o.reserved = o.reserved.minus(amount);
      this.ledger.release(m.base, amount);
      this.ledger.debit(m.base, amount);
      this.ledger.credit(m.quote, notional.minus(fee));
    }
    this.ledger.addFee(m.quote, fee);
    o.remaining = o.remaining.minus(amount);
    o.filled = o.filled.plus(amount);
    o.updatedAt = this.nowMs;
    const fill: FillReport = {
      fillId: `sim-${++this.fillSeq}`,
      exchangeOrderId: o.id,
      market: o.market,
      side: o.side,
      amount: decStr(amount),
      price,
      fee: decStr(fee),
      feeCurrency: m.quote,
      liquidity,
      at: isoAt(this.nowMs),
    };
    if (o.clientOrderId !== undefined) fill.clientOrderId = o.clientOrderId;
    o.fills.push(fill);
    this.fillLog.push(fill);
    if (this.record) this.events.push({ type: 'fill', fill });
    if (o.remaining.isZero()) this.finish(o, 'filled');
    else this.emitUpdate(o);
    return amount;
  }

  /** Ends an open order: off the book, reservation released. */
  private close(o: SimOrder, state: 'cancelled' | 'expired' | 'rejected', reason: string): void {
    if (o.onBook) {
      const ms = this.market(o.market);
      (o.side === 'buy' ? ms.bids : ms.asks).remove(o);
    }
    o.reason = reason;
    this.finish(o, state);
  }

  private finish(o: SimOrder, state: 'filled' | 'cancelled' | 'expired' | 'rejected'): void {
    if (o.reserved.gt(0)) this.ledger.release(o.reserveCurrency, o.reserved);
    o.reserved = ZERO;
    o.state = state;
    o.updatedAt = this.nowMs;
    this.open.delete(o.seq);
    this.emitUpdate(o);
  }

  private emitUpdate(o: SimOrder): void {
    if (this.record) this.events.push({ type: 'order_update', report: this.report(o) });
  }

  /** Price used to size a market buy's reservation: walk the observed book, else last + slippage. */
  private estimateBuyPrice(ms: MarketState, amount: Dec, rules: Market): string {
    const asks = ms.book?.asks ?? [];
    let left = amount;
    let worst: string | undefined;
    for (const l of asks) {
      if (l.size.lte(0)) continue;
      worst = l.price;
      left = left.minus(l.size);
      if (left.lte(0)) break;
    }
    if (worst !== undefined && left.lte(0)) return worst;
    const last = ms.last ?? worst;
    if (last === undefined) throw new DomainError('EXCHANGE_REJECTED', `no price observed for ${ms.id} yet`);
    const slipped = new D(last).times(new D(1).plus(new D(this.slippageBps).div(10_000)));
    return decStr(slipped.toDecimalPlaces(rules.price_decimals, Decimal.ROUND_UP));
  }
}
