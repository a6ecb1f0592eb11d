/**
 * Serialized engine state (JSON): what a paper exchange persists after every mutation and restores
 * on start. Without history it holds only balances, open orders and counters, so it stays small.
 */
import { D, decStr } from '../src/domain/money.ts';
import type { OrderType, Side, TimeInForce } from '../src/domain/order.ts';
import type { ExchangeOrderState, FillReport } from '../src/exchanges/adapter.ts';
import type { LedgerState } from './ledger.ts';
import { Ledger } from './ledger.ts';
import type { SimOrder } from './order.ts';
import { priceKey } from './price.ts';
import { SimRandom } from './random.ts';
import type { Ledger as LedgerT } from './ledger.ts';
import type { MarketState } from './market-state.ts';
import type { Market } from '../src/domain/market.ts';

/** What snapshot/restore need of the engine (structural, so this file does not import engine.ts). */
export interface EngineInternals {
  nowMs: number;
  orderSeq: number;
  fillSeq: number;
  rng: SimRandom;
  readonly ledger: LedgerT;
  readonly markets: Map<string, MarketState>;
  readonly orders: Map<string, SimOrder>;
  readonly fillLog: FillReport[];
  market(id: string): MarketState;
  rulesOf(ms: MarketState): Market;
  track(o: SimOrder): void;
  restBook(o: SimOrder): void;
  restTaker(o: SimOrder): void;
}

export const ENGINE_STATE_VERSION = 1;

export interface SerializedOrder {
  seq: number;
  client_order_id?: string;
  market: string;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  post_only: boolean;
  amount: string;
  remaining: string;
  price?: string;
  expire_at?: number;
  cancel_at?: number;
  placed_at: number;
  arrives_at: number;
  arrived: boolean;
  /** Index in book priority order among resting orders, -1 when not resting. */
  rest_rank: number;
  state: ExchangeOrderState;
  reserve_currency: string;
  reserved: string;
  fills: FillReport[];
  reason?: string;
  updated_at: number;
  /** Queue model "at_touch": volume ahead of a resting order ("Infinity" = unknown). */
  queue_ahead?: string;
}

export interface EngineState {
  version: number;
  now: number;
  order_seq: number;
  fill_seq: number;
  rng: number;
  ledger: LedgerState;
  markets: {
    id: string;
    last?: string;
    tape?: true;
    /** Prints of the current instant and what takers took of them (see taker-tape.ts). */
    inst?: { ts: number; prints: [string, string, Side][]; taken_buy: string; taken_sell: string };
    book?: { bids: [string, string][]; asks: [string, string][] };
    /** Queue model "at_touch": the sized prints of the recent window, [ts, price, amount] (queue.ts). */
    queue_recent?: [number, string, string][] }[];
  orders: SerializedOrder[];
  fills?: FillReport[];
}

/** One order as persisted; `rank` orders resting orders for restoreEngine (-1: not resting). */
export function serializeSimOrder(o: SimOrder, rank: number): SerializedOrder {
  const s: SerializedOrder = {
    seq: o.seq,
    market: o.market,
    side: o.side,
    type: o.type,
    tif: o.tif,
    post_only: o.postOnly,
    amount: decStr(o.amount),
    remaining: decStr(o.remaining),
    placed_at: o.placedAt,
    arrives_at: o.arrivesAt,
    arrived: o.arrived,
    rest_rank: rank,
    state: o.state,
    reserve_currency: o.reserveCurrency,
    reserved: decStr(o.reserved),
    fills: o.fills,
    updated_at: o.updatedAt,
  };
  if (o.clientOrderId !== undefined) s.client_order_id = o.clientOrderId;
  if (o.price !== undefined) s.price = o.price;
  if (o.expireAt !== undefined) s.expire_at = o.expireAt;
  if (o.cancelAt !== undefined) s.cancel_at = o.cancelAt;
  if (o.reason !== undefined) s.reason = o.reason;
  if (o.queueAhead !== undefined) s.queue_ahead = o.queueAhead.toFixed();
  return s;
}

export function snapshotEngine(e: EngineInternals, includeHistory: boolean): EngineState {
  const rank = new Map<SimOrder, number>();
  for (const ms of e.markets.values())
    for (const side of [ms.bids, ms.asks]) for (const o of side.orders()) rank.set(o, rank.size);
  const orders = [...e.orders.values()]
    .filter((o) => includeHistory || o.state === 'open')
    .sort((a, b) => a.seq - b.seq)
    .map((o) => serializeSimOrder(o, rank.get(o) ?? -1));
  const state = snapshotEngineWithoutOrders(e);
  state.orders = orders;
  if (includeHistory) state.fills = [...e.fillLog];
  return state;
}

/**
 * Everything of the state but the orders (`orders: []`): balances, counters, PRNG, markets. Its
 * size does not grow with the number of open orders (the paper exchange stores those as rows).
 */
export function snapshotEngineWithoutOrders(e: EngineInternals): EngineState {
  const state: EngineState = {
    version: ENGINE_STATE_VERSION,
    now: e.nowMs,
    order_seq: e.orderSeq,
    fill_seq: e.fillSeq,
    rng: e.rng.state,
    ledger: e.ledger.toState(),
    markets: [...e.markets.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((ms) => {
        const m: EngineState['markets'][number] = { id: ms.id };
        if (ms.last !== undefined) m.last = ms.last;
        if (ms.tape) m.tape = true;
        if (ms.tape && ms.inst.length > 0)
          m.inst = {
            ts: ms.instTs,
            prints: ms.inst.map((t): [string, string, Side] => [t.price, t.amount ?? '', t.side]),
            taken_buy: decStr(ms.instTakenBuy),
            taken_sell: decStr(ms.instTakenSell),
          };
        const recent = ms.queueRecent;
        if (recent && recent.head < recent.prints.length) m.queue_recent = recent.prints.slice(recent.head).map((t): [number, string, string] => [t.ts, t.price, t.amount!]);
        if (ms.book)
          m.book = {
            bids: ms.book.bids.map((l) => [l.price, decStr(l.size)]),
            asks: ms.book.asks.map((l) => [l.price, decStr(l.size)]),
          };
        return m;
      }),
    orders: [],
  };
  return state;
}

export function restoreEngine(e: EngineInternals, s: EngineState): void {
  if (s.version !== ENGINE_STATE_VERSION) throw new Error(`paper exchange state version ${s.version} is not supported`);
  e.nowMs = s.now;
  e.orderSeq = s.order_seq;
  e.fillSeq = s.fill_seq;
  e.rng = new SimRandom(s.rng);
  const ledger = Ledger.fromState(s.ledger);
  for (const c of ledger.currencies()) {
    e.ledger.setTotal(c, ledger.totalOf(c));
    e.ledger.reserve(c, ledger.reservedOf(c));
    e.ledger.addFee(c, ledger.feesPaidOf(c));
  }
  for (const m of s.markets) {
    const ms = e.market(m.id);
    if (m.last !== undefined) {
      ms.last = m.last;
      ms.lastKey = priceKey(m.last);
    }
    if (m.tape) ms.tape = true;
    if (m.inst) {
      ms.instTs = m.inst.ts;
      for (const [price, amount, side] of m.inst.prints)
        ms.inst.push({ kind: 'trade', ts: m.inst.ts, market: m.id, price, key: priceKey(price), amount: amount === '' ? null : amount, side });
      ms.instTakenBuy = new D(m.inst.taken_buy);
      ms.instTakenSell = new D(m.inst.taken_sell);
    }
    if (m.queue_recent)
      ms.queueRecent = { prints: m.queue_recent.map(([ts, price, amount]) => ({ kind: 'trade', ts, market: m.id, price, key: priceKey(price), amount, side: 'buy' })), head: 0 };
    if (m.book) {
      const lv = ([p, q]: [string, string]) => ({ price: p, key: priceKey(p), size: new D(q) });
      ms.book = { bids: m.book.bids.map(lv), asks: m.book.asks.map(lv) };
    }
  }
  const resting: { o: SimOrder; rank: number }[] = [];
  for (const so of s.orders) {
    const o: SimOrder = {
      seq: so.seq,
      id: `sim-o-${so.seq}`,
      market: so.market,
      rules: e.rulesOf(e.market(so.market)),
      side: so.side,
      type: so.type,
      tif: so.tif,
      postOnly: so.post_only,
      amount: new D(so.amount),
      remaining: new D(so.remaining),
      filled: new D(so.amount).minus(so.remaining),
      key: so.price === undefined ? NaN : priceKey(so.price),
      placedAt: so.placed_at,
      arrivesAt: so.arrives_at,
      arrived: so.arrived,
      onBook: false,
      state: so.state,
      reserveCurrency: so.reserve_currency,
      reserved: new D(so.reserved),
      fills: so.fills,
      updatedAt: so.updated_at,
    };
    if (so.client_order_id !== undefined) o.clientOrderId = so.client_order_id;
    if (so.price !== undefined) o.price = so.price;
    if (so.expire_at !== undefined) o.expireAt = so.expire_at;
    if (so.cancel_at !== undefined) o.cancelAt = so.cancel_at;
    if (so.reason !== undefined) o.reason = so.reason;
    if (so.queue_ahead !== undefined) o.queueAhead = new D(so.queue_ahead);
    e.track(o);
    if (so.rest_rank >= 0) resting.push({ o, rank: so.rest_rank });
    else if (so.arrived && so.state === 'open') e.restTaker(o);
  }
  // Any rank that orders each price level's queue works: the dense priority index snapshotEngine
  // writes, or restSeq (what the paper exchange's per-order rows carry). Kept as restSeq.
  for (const { o, rank } of resting.sort((a, b) => a.rank - b.rank)) {
    o.restSeq = rank;
    e.restBook(o);
  }
  if (s.fills) e.fillLog.push(...s.fills);
}
