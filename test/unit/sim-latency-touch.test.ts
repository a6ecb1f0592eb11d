/** Seeded latency jitter, cancel latency and prob_fill_on_touch (sim/README.md "Latency", "Resting orders"). */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { SimRandom } from '../../sim/random.ts';
import { priceKey } from '../../sim/price.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import type { EngineOptions, TradePrint } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
function engine(opts: Partial<EngineOptions> = {}): MatchingEngine {
  const e = new MatchingEngine({ getMarket: bundledMarket, startAt: T0, slippageBps: 0, ...opts });
  e.fund({ USD: '100000', BTC: '2' });
  return e;
}
const trade = (ts: number, price: string, amount: string, side: 'buy' | 'sell'): TradePrint => ({ kind: 'trade', ts, market: 'btcusd', price, key: priceKey(price), amount, side });
const order = (p: Partial<PlaceOrderCommand>): PlaceOrderCommand => ({
  clientOrderId: 'c1',
  market: 'btcusd',
  side: 'buy',
  type: 'limit',
  price: '60000',
  amount: '0.1',
  timeInForce: 'gtc',
  postOnly: false,
  ...p,
});

describe('latency', () => {
  it('jitter is drawn from the seeded PRNG per order: the same seed gives the same arrivals, another seed others', () => {
    const arrivals = (seed: number) => {
      const e = engine({ latencyMs: 100, latencyJitterMs: 50, seed });
      e.onTrade(trade(T0, '60500', '1', 'buy'));
      for (let i = 1; i <= 3; i++) e.place(order({ clientOrderId: `c${i}` }));
      return [...e.orders.values()].map((o) => o.arrivesAt - T0);
    };
    const r = new SimRandom(7);
    expect(arrivals(7)).toEqual([100 + r.int(51), 100 + r.int(51), 100 + r.int(51)]);
    expect(arrivals(7)).toEqual(arrivals(7));
    expect(arrivals(8)).not.toEqual(arrivals(7));
    // No jitter: no draw at all, the PRNG state is untouched (today's determinism).
    const e = engine({ latencyMs: 100, seed: 7 });
    e.place(order({}));
    expect(e.rng.state).toBe(new SimRandom(7).state);
  });

  it('a cancel reaches the book after the latency: the order can fill meanwhile, and is cancelled at cancel time before a print of that ms', () => {
    const e = engine({ latencyMs: 100 });
    e.onTrade(trade(T0, '60500', '1', 'buy'));
    e.place(order({ amount: '0.3' })); // arrives at T0 + 100, rests at 60000
    e.advanceTo(T0 + 200);
    expect(e.cancel({ clientOrderId: 'c1' })).toMatchObject({ state: 'open' });
    expect(e.cancelPending({ clientOrderId: 'c1' })).toBe(true);
    e.cancel({ clientOrderId: 'c1' }); // a second cancel in flight changes nothing
    e.onTrade(trade(T0 + 250, '59990', '0.1', 'sell')); // fills 0.1 while the cancel travels
    e.onTrade(trade(T0 + 300, '59990', '0.1', 'sell')); // the cancel lands at T0 + 300, before this print
    expect(e.fills().map((f) => [f.amount, f.at])).toEqual([['0.1', new Date(T0 + 250).toISOString()]]);
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled', filledAmount: '0.1', at: new Date(T0 + 300).toISOString(), reason: 'cancelled on request' });
    expect(e.ledger.report().find((b) => b.currency === 'USD')).toMatchObject({ reserved: '0' });
  });

  it('without latency a cancel is immediate, as before', () => {
    const e = engine();
    e.onTrade(trade(T0, '60500', '1', 'buy'));
    e.place(order({}));
    expect(e.cancel({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled' });
    expect(e.cancelPending({ clientOrderId: 'c1' })).toBe(false);
  });

  it('a cancel in flight survives a snapshot / restore (paper persistence)', () => {
    const e = engine({ latencyMs: 100 });
    e.onTrade(trade(T0, '60500', '1', 'buy'));
    e.place(order({}));
    e.advanceTo(T0 + 150);
    e.cancel({ clientOrderId: 'c1' });
    const back = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0, latencyMs: 100 }, e.toState(true));
    back.advanceTo(T0 + 250);
    expect(back.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled', at: new Date(T0 + 250).toISOString() });
  });
});

describe('prob_fill_on_touch', () => {
  const touches = (opts: Partial<EngineOptions>) => {
    const e = engine({ ...opts, participation: 0.1 });
    e.onTrade(trade(T0, '60500', '1', 'buy'));
    e.place(order({ amount: '1' }));
    for (let i = 1; i <= 8; i++) e.onTrade(trade(T0 + i, '60000', '1', 'sell')); // sell prints exactly at the bid: touches
    return e;
  };

  it('each touching print fills with the given chance, one seeded draw per print and side', () => {
    const e = touches({ probFillOnTouch: 0.5, seed: 11 });
    const r = new SimRandom(11);
    const expected = Array.from({ length: 8 }, (_, i) => (r.next() < 0.5 ? new Date(T0 + i + 1).toISOString() : undefined)).filter((x) => x !== undefined);
    expect(e.fills().map((f) => f.at)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(8);
    expect(e.rng.state).toBe(r.state); // exactly 8 draws
  });

  it('0 never fills at the touch, but a print through the price still fills; 1 (default) always, without a draw', () => {
    const never = touches({ probFillOnTouch: 0 });
    expect(never.fills()).toEqual([]);
    never.onTrade(trade(T0 + 20, '59990', '1', 'sell'));
    expect(never.fills().map((f) => [f.amount, f.price])).toEqual([['0.1', '60000']]);
    const always = touches({ seed: 5 });
    expect(always.fills()).toHaveLength(8);
    expect(always.rng.state).toBe(new SimRandom(5).state);
    expect(() => engine({ probFillOnTouch: 1.5 })).toThrow(/prob_fill_on_touch must be in \[0, 1\]/);
  });
});
