/** Hand-computed tapes for the queue model of resting orders (sim/queue.ts, sim/README.md "Queue"). */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { priceKey } from '../../sim/price.ts';
import type { EngineOptions, TradePrint } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function engine(opts: Partial<EngineOptions> = {}): MatchingEngine {
  const e = new MatchingEngine({ getMarket: bundledMarket, startAt: T0, slippageBps: 0, queue: 'at_touch', ...opts });
  e.fund({ USD: '100000', BTC: '2' });
  return e;
}
function trade(ts: number, price: string, amount: string | null, side: 'buy' | 'sell'): TradePrint {
  return { kind: 'trade', ts, market: 'btcusd', price, key: priceKey(price), amount, side };
}
function bid(price: string, amount: string, clientOrderId = 'c1'): PlaceOrderCommand {
  return { clientOrderId, market: 'btcusd', side: 'buy', type: 'limit', price, amount, timeInForce: 'gtc', postOnly: false };
}
const fills = (e: MatchingEngine) => e.fills().map((f) => [f.exchangeOrderId, f.amount, f.price, f.liquidity]);
function book(e: MatchingEngine, ts: number, bids: [string, string][], asks: [string, string][]): void {
  e.onBook({ kind: 'book', ts, market: 'btcusd', bids: bids.map(([price, amount]) => ({ price, amount })), asks: asks.map(([price, amount]) => ({ price, amount })) });
}

/** 0.5 BTC printed at 59990 before the bid rests there, then the tape of the first test. */
function restBehindHalf(e: MatchingEngine): void {
  e.onTrade(trade(T0, '59990', '0.3', 'sell'));
  e.onTrade(trade(T0 + 1, '59990', '0.2', 'buy')); // both aggressors count as volume at the price
  e.onTrade(trade(T0 + 2, '60000', '1', 'buy'));
  e.place(bid('59990', '0.5')); // ahead = 1.0 × (0.3 + 0.2) = 0.5
}

describe('queue "at_touch" on trade data', () => {
  it('fills only from what printed at the price beyond the volume ahead; prints through fill regardless', () => {
    const e = engine();
    restBehindHalf(e);
    e.onTrade(trade(T0 + 3, '59990', '0.4', 'sell')); // consumes 0.4 of 0.5 ahead: no fill
    e.onTrade(trade(T0 + 4, '59990', '0.5', 'buy')); // same-side print: hits asks, not our queue
    expect(fills(e)).toEqual([]);
    e.onTrade(trade(T0 + 5, '59990', '0.3', 'sell')); // 0.1 ahead left: 0.2 passes
    e.onTrade(trade(T0 + 6, '59990', '0.1', 'sell')); // front of the queue: all 0.1
    e.onTrade(trade(T0 + 7, '59980', '0.05', 'sell')); // through the price
    expect(fills(e)).toEqual([
      ['sim-o-1', '0.2', '59990', 'maker'],
      ['sim-o-1', '0.1', '59990', 'maker'],
      ['sim-o-1', '0.05', '59990', 'maker'],
    ]);
  });

  it('with prob_fill_on_touch 0 a touch never fills, yet still uses up the volume ahead; prints through fill', () => {
    const e = engine({ probFillOnTouch: 0 });
    restBehindHalf(e);
    e.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    e.onTrade(trade(T0 + 5, '59990', '0.3', 'sell')); // 0.2 would pass the queue: the draw says no
    e.onTrade(trade(T0 + 6, '59990', '0.1', 'sell'));
    expect(fills(e)).toEqual([]);
    e.onTrade(trade(T0 + 7, '59980', '0.05', 'sell')); // through the price: no draw
    expect(fills(e)).toEqual([['sim-o-1', '0.05', '59990', 'maker']]);
    // At 1 the queued path fills as before (no draw).
    const one = engine({ probFillOnTouch: 1 });
    restBehindHalf(one);
    one.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    one.onTrade(trade(T0 + 5, '59990', '0.3', 'sell'));
    expect(fills(one)).toEqual([['sim-o-1', '0.2', '59990', 'maker']]);
  });

  it('queue "none" (the default) fills the same tape at once', () => {
    const e = engine({ queue: 'none' });
    restBehindHalf(e);
    e.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    e.onTrade(trade(T0 + 5, '59990', '0.3', 'sell'));
    expect(fills(e)).toEqual([
      ['sim-o-1', '0.4', '59990', 'maker'],
      ['sim-o-1', '0.1', '59990', 'maker'],
    ]);
  });

  it('queue_touch_fraction scales the volume ahead', () => {
    const e = engine({ queueTouchFraction: 0.5 });
    restBehindHalf(e); // ahead = 0.5 × 0.5 = 0.25
    e.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    expect(fills(e)).toEqual([['sim-o-1', '0.15', '59990', 'maker']]);
  });

  it('counts only the prints of the window before the order rests', () => {
    const e = engine({ queueWindowMs: 60_000 });
    e.onTrade(trade(T0, '59990', '5', 'sell'));
    e.onTrade(trade(T0 + 60_000, '60000', '1', 'buy')); // the 59990 print is 60 s old: out of the window
    e.place(bid('59990', '0.5'));
    e.onTrade(trade(T0 + 60_001, '59990', '0.1', 'sell'));
    expect(fills(e)).toEqual([['sim-o-1', '0.1', '59990', 'maker']]);
  });

  it('our later order at the same price queues behind our earlier one', () => {
    const e = engine();
    restBehindHalf(e); // sim-o-1: 0.5 BTC, 0.5 ahead
    e.place(bid('59990', '0.3', 'c2')); // sim-o-2: 0.5 ahead too
    e.onTrade(trade(T0 + 3, '59990', '0.9', 'sell')); // 0.4 passes: sim-o-1 takes it all; nothing for sim-o-2
    e.onTrade(trade(T0 + 4, '59990', '0.2', 'sell')); // sim-o-1 first (0.1), then sim-o-2 (0.1)
    expect(fills(e)).toEqual([
      ['sim-o-1', '0.4', '59990', 'maker'],
      ['sim-o-1', '0.1', '59990', 'maker'],
      ['sim-o-2', '0.1', '59990', 'maker'],
    ]);
  });

  it('participation still bounds what passes the queue', () => {
    const e = engine({ participation: 0.5 });
    restBehindHalf(e);
    e.onTrade(trade(T0 + 3, '59990', '0.8', 'sell')); // 0.3 passes, but at most 0.5 × 0.8 = 0.4 → 0.3
    e.onTrade(trade(T0 + 4, '59990', '0.2', 'sell')); // front: min(0.2 left, 0.5 × 0.2) = 0.1
    expect(fills(e)).toEqual([
      ['sim-o-1', '0.3', '59990', 'maker'],
      ['sim-o-1', '0.1', '59990', 'maker'],
    ]);
  });

  it('the volume ahead survives a snapshot / restore', () => {
    const e = engine();
    restBehindHalf(e);
    e.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    const r = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0, queue: 'at_touch' }, JSON.parse(JSON.stringify(e.toState(true))));
    r.onTrade(trade(T0 + 5, '59990', '0.3', 'sell'));
    expect(fills(r)).toEqual([['sim-o-1', '0.2', '59990', 'maker']]);
  });

  it('the window of recent prints survives a snapshot / restore too', () => {
    const e = engine();
    e.onTrade(trade(T0, '59990', '0.3', 'sell'));
    e.onTrade(trade(T0 + 2, '60000', '1', 'buy'));
    const r = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0, queue: 'at_touch' }, JSON.parse(JSON.stringify(e.toState(true))));
    r.place(bid('59990', '0.5')); // 0.3 ahead
    r.onTrade(trade(T0 + 3, '59990', '0.4', 'sell'));
    expect(fills(r)).toEqual([['sim-o-1', '0.1', '59990', 'maker']]);
  });

  it('refuses a fraction outside [0, 100]', () => {
    expect(() => engine({ queueTouchFraction: -1 })).toThrow(/queue_touch_fraction/);
  });
});

describe('queue "at_touch" with book data', () => {
  it('the level amount when it rested is ahead; a smaller later snapshot lowers it', () => {
    const e = engine();
    book(e, T0, [['59990', '2']], [['60010', '1']]);
    e.place(bid('59990', '0.5')); // 2 ahead
    e.onTrade(trade(T0 + 1, '59990', '1.5', 'sell')); // 0.5 ahead left
    expect(fills(e)).toEqual([]);
    book(e, T0 + 2, [['59990', '0.2']], [['60010', '1']]); // cancels ahead: at most 0.2 left
    e.onTrade(trade(T0 + 3, '59990', '0.5', 'sell')); // 0.3 passes
    expect(fills(e)).toEqual([['sim-o-1', '0.3', '59990', 'maker']]);
  });

  it('a bid inside the spread has nothing ahead', () => {
    const e = engine();
    book(e, T0, [['59990', '2']], [['60010', '1']]);
    e.place(bid('59995', '0.5'));
    e.onTrade(trade(T0 + 1, '59995', '0.1', 'sell'));
    expect(fills(e)).toEqual([['sim-o-1', '0.1', '59995', 'maker']]);
  });
});

describe('queue "at_touch" on price-only marks (paper tickers)', () => {
  it('the queue is unknown: a mark at the price never fills, a mark through it does', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', null, 'buy'));
    e.place(bid('59990', '0.5'));
    e.onTrade(trade(T0 + 1, '59990', null, 'sell'));
    expect(fills(e)).toEqual([]);
    e.onTrade(trade(T0 + 2, '59980', null, 'sell'));
    expect(fills(e)).toEqual([['sim-o-1', '0.5', '59990', 'maker']]);
  });
});
