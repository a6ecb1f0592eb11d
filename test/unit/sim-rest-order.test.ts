/**
 * Each order's restSeq (when it went onto its book) is a stable time-priority key: persisting every
 * open order on its own with rank = restSeq (what the paper exchange's per-order rows do) and
 * restoring gives the very same books, even when latency jitter makes orders arrive out of
 * placement order; and numbering goes on after the restored keys.
 */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { serializeSimOrder, snapshotEngineWithoutOrders } from '../../sim/engine-state.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { priceKey } from '../../sim/price.ts';
import type { EngineOptions } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const opts: EngineOptions = { getMarket: bundledMarket, startAt: T0, slippageBps: 0, latencyMs: 10, latencyJitterMs: 40, seed: 7 };
const order = (i: number, side: 'buy' | 'sell', price: string): PlaceOrderCommand => ({
  clientOrderId: `c${i}`, market: 'btcusd', side, type: 'limit', amount: '0.01', price, timeInForce: 'gtc', postOnly: false,
});
function bookOf(e: MatchingEngine): string[] {
  const ms = e.market('btcusd');
  return [...ms.bids.orders(), ...ms.asks.orders()].map((o) => `${o.price}:${o.clientOrderId}`);
}
/** What the paper store persists: the state without orders, plus each open order with rank = restSeq. */
function persistedAsRows(e: MatchingEngine) {
  const state = snapshotEngineWithoutOrders(e);
  state.orders = [...e.open.values()].map((o) => serializeSimOrder(o, o.onBook ? (o.restSeq ?? -1) : -1)).sort((a, b) => a.seq - b.seq);
  return JSON.parse(JSON.stringify(state)) as typeof state;
}

describe('restSeq: per-order time priority', () => {
  it('restores identical books from per-order records, whatever the arrival order', () => {
    const e = new MatchingEngine(opts);
    e.fund({ USD: '100000', BTC: '5' });
    const prices = ['59000', '59000', '59500', '59000', '59500', '59000'];
    let t = T0;
    for (let i = 0; i < 24; i++) {
      e.place(order(i, i % 3 === 2 ? 'sell' : 'buy', i % 3 === 2 ? String(61000 + (i % 2) * 500) : prices[i % prices.length]!));
      t += 7;
      e.advanceTo(t);
      if (i === 9) e.cancel({ clientOrderId: 'c3' });
    }
    e.advanceTo(t + 1000); // every order has arrived
    const arrival = bookOf(e);
    // jitter really reordered arrivals relative to placement somewhere (else this test proves little)
    const bySeq = [...e.open.values()].filter((o) => o.onBook).sort((a, b) => a.seq - b.seq).map((o) => o.restSeq!);
    expect(bySeq).not.toEqual([...bySeq].sort((a, b) => a - b));

    const restored = new MatchingEngine(opts, persistedAsRows(e));
    expect(bookOf(restored)).toEqual(arrival);
    // a later order queues behind the restored ones at its level, in both engines
    for (const x of [e, restored]) {
      x.place(order(99, 'buy', '59000'));
      x.advanceTo(t + 5000);
    }
    expect(bookOf(restored)).toEqual(bookOf(e));
    // and a sized trade fills the same orders in the same order
    const fillsOf = (x: MatchingEngine) => x.drainEvents().flatMap((ev) => (ev.type === 'fill' ? [`${ev.fill.clientOrderId}:${ev.fill.amount}`] : []));
    const fills = [e, restored].map((x) => {
      x.drainEvents();
      x.onTrade({ kind: 'trade', ts: t + 6000, market: 'btcusd', price: '58900', key: priceKey('58900'), amount: '0.035', side: 'sell' });
      return fillsOf(x);
    });
    expect(fills[0]!.length).toBeGreaterThan(2);
    expect(fills[1]).toEqual(fills[0]);
  });
});
