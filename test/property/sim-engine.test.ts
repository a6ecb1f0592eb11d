/**
 * Properties of the simulator over random seeds, market data and order streams:
 * determinism (identical digests), exact money conservation, never a price worse than the limit,
 * resting orders filled only by a crossing trade (and never more than the trades' size),
 * and restore-from-snapshot equivalence; with the queue model "at_touch" as well as without, and
 * no touch fill before the volume ahead of an order has printed.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { fillsDigest } from '../../sim/digest.ts';
import { priceKey } from '../../sim/price.ts';
import type { MarketEvent, TradePrint } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { D, type Dec } from '../../src/domain/money.ts';
import { DomainError } from '../../src/domain/errors.ts';

const T0 = Date.UTC(2026, 0, 1, 22, 0, 0); // close to midnight, so daily orders do expire
const RUNS = Number(process.env.SIM_PROPERTY_RUNS ?? 60);
const INITIAL = { USD: '150000', BTC: '3' };

const stepArb = fc.record({
  dt: fc.integer({ min: 0, max: 600_000 }),
  move: fc.integer({ min: -80, max: 80 }),
  amount: fc.integer({ min: 1, max: 60_000_000 }), // 1e-8 .. 0.6 BTC
  side: fc.constantFrom('buy' as const, 'sell' as const),
  book: fc.option(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50_000_000 }), fc.integer({ min: 1, max: 50_000_000 })), { freq: 5 }),
});
const actionArb = fc.record({
  at: fc.integer({ min: 0, max: 79 }),
  cancelTarget: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 39 }) }), // 20 % cancels
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('limit' as const, 'limit' as const, 'limit' as const, 'market' as const, 'instant' as const),
  tif: fc.constantFrom('gtc' as const, 'ioc' as const, 'fok' as const, 'gtd' as const, 'daily' as const),
  offset: fc.integer({ min: -150, max: 150 }),
  amount: fc.oneof(fc.integer({ min: 10_000, max: 5_000_000 }), fc.integer({ min: 10_000, max: 100_000_000 })), // 0.0001 .. 1 BTC
  postOnly: fc.boolean(),
  expireIn: fc.integer({ min: 1, max: 3_600_000 }),
});
const scenarioArb = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  latency: fc.integer({ min: 0, max: 2000 }),
  jitter: fc.integer({ min: 0, max: 1000 }),
  slippage: fc.integer({ min: 0, max: 50 }),
  touch: fc.boolean(),
  touchProb: fc.constantFrom(1, 1, 0.5, 0),
  participation: fc.constantFrom(1, 0.5, 0.1),
  queue: fc.constantFrom('none' as const, 'at_touch' as const),
  queueFraction: fc.constantFrom(1, 0.5, 0),
  steps: fc.array(stepArb, { minLength: 5, maxLength: 80 }),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 40 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function events(s: Scenario): MarketEvent[] {
  const out: MarketEvent[] = [];
  let ts = T0;
  let price = 60000;
  for (const st of s.steps) {
    ts += st.dt;
    price = Math.max(100, price + st.move);
    if (st.book) {
      const [spread, bq, aq] = st.book;
      out.push({ kind: 'book', ts, market: 'btcusd', bids: [{ price: String(price - spread), amount: (bq / 1e8).toFixed(8) }, { price: String(price - 2 * spread), amount: '1' }], asks: [{ price: String(price + spread), amount: (aq / 1e8).toFixed(8) }] });
    }
    const p = String(price);
    out.push({ kind: 'trade', ts, market: 'btcusd', price: p, key: priceKey(p), amount: new D(st.amount).div(1e8).toFixed(), side: st.side });
  }
  return out;
}

interface Outcome {
  engine: MatchingEngine;
  placed: Map<string, PlaceOrderCommand>;
  placedAt: Map<string, number>;
  /** Index of the event before which each order was placed. */
  placedIdx: Map<string, number>;
  trades: TradePrint[];
}

function simulate(s: Scenario, restoreAt?: number): Outcome {
  const opts = { getMarket: bundledMarket, fees: { maker: '0.0015', taker: '0.0025' }, latencyMs: s.latency, latencyJitterMs: s.jitter, slippageBps: s.slippage, fillAtTouch: s.touch, probFillOnTouch: s.touchProb, participation: s.participation, queue: s.queue, queueTouchFraction: s.queueFraction };
  let e = new MatchingEngine({ ...opts, seed: s.seed, startAt: T0 });
  e.fund(INITIAL);
  const evs = events(s);
  const placed = new Map<string, PlaceOrderCommand>();
  const placedAt = new Map<string, number>();
  const placedIdx = new Map<string, number>();
  const ids: string[] = [];
  evs.forEach((ev, i) => {
    if (i === restoreAt) e = new MatchingEngine(opts, JSON.parse(JSON.stringify(e.toState(true))));
    e.advanceTo(ev.ts);
    s.actions.forEach((a, k) => {
      if (a.at % evs.length !== i) return;
      if (a.cancelTarget !== null && ids.length > 0) {
        try {
          e.cancel({ clientOrderId: ids[a.cancelTarget % ids.length]! });
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
        }
        return;
      }
      const last = Number(e.lastPrice('btcusd') ?? 60000);
      const cmd: PlaceOrderCommand = { clientOrderId: `o${k}`, market: 'btcusd', side: a.side, type: a.type, amount: new D(a.amount).div(1e8).toFixed(), timeInForce: a.type === 'limit' ? a.tif : 'gtc', postOnly: a.type === 'limit' && a.postOnly && a.tif !== 'ioc' && a.tif !== 'fok' };
      if (a.type === 'limit') cmd.price = String(Math.max(1, last + a.offset));
      if (cmd.timeInForce === 'gtd') cmd.expireTime = new Date(e.now() + a.expireIn).toISOString();
      try {
        e.place(cmd);
        placed.set(cmd.clientOrderId, cmd);
        placedAt.set(cmd.clientOrderId, e.now());
        placedIdx.set(cmd.clientOrderId, i);
        ids.push(cmd.clientOrderId);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
      }
    });
    if (ev.kind === 'trade') e.onTrade(ev);
    else e.onBook(ev);
  });
  e.advanceTo(evs[evs.length - 1]!.ts + 86_400_000);
  return { engine: e, placed, placedAt, placedIdx, trades: evs.filter((x): x is TradePrint => x.kind === 'trade') };
}

describe('simulator properties', () => {
  test.prop([scenarioArb], { numRuns: RUNS })('two runs give identical digests, balances and order states', (s) => {
    const a = simulate(s).engine;
    const b = simulate(s).engine;
    expect(fillsDigest(b.fills())).toBe(fillsDigest(a.fills()));
    expect(JSON.stringify(b.toState(true))).toBe(JSON.stringify(a.toState(true)));
  });

  test.prop([scenarioArb, fc.integer({ min: 0, max: 100 })], { numRuns: RUNS })('restoring a snapshot at any event continues identically', (s, at) => {
    const straight = simulate(s).engine;
    const restored = simulate(s, at % (s.steps.length + 1)).engine;
    expect(fillsDigest(restored.fills())).toBe(fillsDigest(straight.fills()));
    expect(restored.ledger.report()).toEqual(straight.ledger.report());
  });

  test.prop([scenarioArb], { numRuns: RUNS })('money is conserved exactly; nothing negative; reservations match open orders', (s) => {
    const { engine } = simulate(s);
    const expected = new Map<string, Dec>(Object.entries(INITIAL).map(([c, v]) => [c, new D(v)]));
    const add = (c: string, v: Dec) => expected.set(c, (expected.get(c) ?? new D(0)).plus(v));
    const fees = new Map<string, Dec>();
    for (const f of engine.fills()) {
      const notional = new D(f.amount).times(f.price);
      if (f.side === 'buy') add('BTC', new D(f.amount)), add('USD', notional.neg());
      else add('BTC', new D(f.amount).neg()), add('USD', notional);
      add(f.feeCurrency, new D(f.fee).neg());
      fees.set(f.feeCurrency, (fees.get(f.feeCurrency) ?? new D(0)).plus(f.fee));
    }
    for (const b of engine.ledger.report()) {
      // initial = total + fees paid + what went to the market, per currency, exactly
      expect(b.total).toBe(expected.get(b.currency)!.toFixed());
      expect(new D(b.total).gte(0) && new D(b.available).gte(0) && new D(b.reserved).gte(0)).toBe(true);
    }
    for (const [c, v] of fees) expect(engine.ledger.feesPaid()[c]).toBe(v.toFixed());
    // what is reserved is exactly what the open orders hold (a day later only gtc orders remain)
    const held = new Map<string, Dec>();
    for (const o of engine.open.values()) {
      expect(o.tif).toBe('gtc');
      held.set(o.reserveCurrency, (held.get(o.reserveCurrency) ?? new D(0)).plus(o.reserved));
    }
    for (const b of engine.ledger.report()) expect(b.reserved).toBe((held.get(b.currency) ?? new D(0)).toFixed());
  });

  test.prop([scenarioArb], { numRuns: RUNS })('no fill worse than the limit; maker fills only from crossing trades, within their size', (s) => {
    const { engine, placed, trades } = simulate(s);
    const makerByTs = new Map<string, Dec>();
    for (const f of engine.fills()) {
      const cmd = placed.get(f.clientOrderId!)!;
      expect(cmd).toBeDefined();
      if (cmd.price !== undefined) {
        if (f.side === 'buy') expect(new D(f.price).lte(cmd.price)).toBe(true);
        else expect(new D(f.price).gte(cmd.price)).toBe(true);
      }
      if (f.liquidity === 'maker') {
        expect(f.price).toBe(cmd.price);
        const ts = Date.parse(f.at);
        const crossing = trades.filter(
          (t) =>
            t.ts === ts &&
            (f.side === 'buy'
              ? new D(t.price).lt(f.price) || (s.touch && t.side === 'sell' && new D(t.price).eq(f.price))
              : new D(t.price).gt(f.price) || (s.touch && t.side === 'buy' && new D(t.price).eq(f.price))),
        );
        expect(crossing.length).toBeGreaterThan(0);
        const key = `${ts}/${f.side}`;
        makerByTs.set(key, (makerByTs.get(key) ?? new D(0)).plus(f.amount));
        const size = crossing.reduce((acc, t) => acc.plus(t.amount!), new D(0)).times(s.participation);
        expect(makerByTs.get(key)!.lte(size)).toBe(true);
      }
    }
    for (const r of [...placed.keys()].map((id) => engine.query({ clientOrderId: id })!)) {
      const sum = r.fills.reduce((acc, f) => acc.plus(f.amount), new D(0));
      expect(sum.toFixed()).toBe(r.filledAmount);
      expect(new D(r.filledAmount).lte(r.amount)).toBe(true);
    }
  });

  test.prop([scenarioArb], { numRuns: RUNS })('trades-only tapes: no fill above print × participation, none before its order arrived', (s0) => {
    const s = { ...s0, steps: s0.steps.map((st) => ({ ...st, book: null })) };
    const { engine, placedAt, trades } = simulate(s);
    for (const f of engine.fills()) {
      const ts = Date.parse(f.at);
      expect(ts).toBeGreaterThanOrEqual(placedAt.get(f.clientOrderId!)! + s.latency);
      const prints = trades.filter((t) => t.ts === ts && new D(t.amount!).times(s.participation).gte(f.amount));
      expect(prints.length).toBeGreaterThan(0);
    }
  });

  test.prop([scenarioArb], { numRuns: RUNS })('queue at_touch on trades: no touch fill before the volume ahead has printed at the price', (s0) => {
    // Latency 0: an order placed before event i rests after the prints before i and before print i.
    // Prices on a narrow grid, so that prints at an order's price before and after it rests are common.
    const s = {
      ...s0,
      latency: 0,
      jitter: 0,
      queue: 'at_touch' as const,
      steps: s0.steps.map((st) => ({ ...st, move: st.move % 3, dt: st.dt % 20_000, book: null })),
      actions: s0.actions.map((a) => ({ ...a, offset: a.offset % 4 })),
    };
    const { engine, placed, placedIdx, trades } = simulate(s);
    const byOrder = new Map<string, { at: number; amount: Dec }[]>();
    for (const f of engine.fills()) {
      if (f.liquidity !== 'maker') continue;
      const list = byOrder.get(f.clientOrderId!) ?? [];
      list.push({ at: Date.parse(f.at), amount: new D(f.amount) });
      byOrder.set(f.clientOrderId!, list);
    }
    for (const [id, fills] of byOrder) {
      const cmd = placed.get(id)!;
      const i = placedIdx.get(id)!;
      const p = new D(cmd.price!);
      const restedAt = trades[i]!.ts; // the clock when it was placed
      const at = (t: TradePrint) => new D(t.price).eq(p);
      // What the order has ahead at least: fraction × what printed at its price in the 60 s before it rested.
      const before = trades.slice(0, i).filter((t) => at(t) && t.ts > restedAt - 60_000);
      const ahead = before.reduce((acc, t) => acc.plus(t.amount!), new D(0)).times(s.queueFraction);
      const after = trades.slice(i);
      const through = after.find((t) => (cmd.side === 'buy' ? new D(t.price).lt(p) : new D(t.price).gt(p)))?.ts ?? Infinity;
      let filled = new D(0);
      for (const f of fills) {
        if (f.at >= through) break;
        filled = filled.plus(f.amount);
        const printed = after.filter((t) => t.ts <= f.at && at(t) && t.side !== cmd.side).reduce((acc, t) => acc.plus(t.amount!), new D(0));
        expect(filled.lte(D.max(0, printed.minus(ahead))), `${id} at ${f.at}`).toBe(true);
      }
    }
  });
});
