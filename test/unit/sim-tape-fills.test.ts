/** Hand-computed tapes for the trade-tape rules of sim/README.md: bounded takers, maker aggressor side, waiting market orders. */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { priceKey } from '../../sim/price.ts';
import type { EngineOptions, TradePrint } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function engine(opts: Partial<EngineOptions> = {}): MatchingEngine {
  const e = new MatchingEngine({ getMarket: bundledMarket, startAt: T0, slippageBps: 0, ...opts });
  e.fund({ USD: '100000', BTC: '2' });
  return e;
}
function trade(ts: number, price: string, amount: string | null, side: 'buy' | 'sell' = 'buy'): TradePrint {
  return { kind: 'trade', ts, market: 'btcusd', price, key: priceKey(price), amount, side };
}
function order(p: Partial<PlaceOrderCommand>): PlaceOrderCommand {
  return { clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'market', amount: '1', timeInForce: 'gtc', postOnly: false, ...p };
}
const fills = (e: MatchingEngine) => e.fills().map((f) => [f.amount, f.price, f.liquidity]);

describe('bounded taker fills on a trade tape', () => {
  it('a market buy takes participation × each print, at each print price, and keeps the rest for later prints', () => {
    const e = engine({ participation: 0.5 });
    e.onTrade(trade(T0, '60000', '0.4'));
    e.place(order({ amount: '1' })); // within the T0 instant: 0.5 × 0.4 = 0.2 at 60000
    e.onTrade(trade(T0 + 1, '60010', '0.6', 'sell')); // 0.3
    e.onTrade(trade(T0 + 2, '60020', '2')); // 1 available, 0.5 left to fill
    expect(fills(e)).toEqual([
      ['0.2', '60000', 'taker'],
      ['0.3', '60010', 'taker'],
      ['0.5', '60020', 'taker'],
    ]);
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'filled', filledAmount: '1' });
  });

  it('a 1,000 BTC market buy on 0.01 BTC prints fills 0.01 per print, not at once', () => {
    const e = engine();
    e.fund({ USD: '100000000' });
    e.onTrade(trade(T0, '60000', '0.01'));
    e.place(order({ amount: '1000' }));
    e.onTrade(trade(T0 + 1, '60000', '0.01'));
    expect(fills(e)).toEqual([
      ['0.01', '60000', 'taker'],
      ['0.01', '60000', 'taker'],
    ]);
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'open', filledAmount: '0.02' });
  });

  it('two takers in one instant share the prints: the second gets only what the first left', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '0.3'));
    e.place(order({ amount: '0.2' }));
    e.place(order({ clientOrderId: 'c2', amount: '0.2', timeInForce: 'ioc', type: 'limit', price: '60100' }));
    expect(fills(e)).toEqual([
      ['0.2', '60000', 'taker'],
      ['0.1', '60000', 'taker'],
    ]);
    expect(e.query({ clientOrderId: 'c2' })).toMatchObject({ state: 'cancelled', filledAmount: '0.1' }); // ioc: rest cancelled
  });

  it('fok is killed unless the prints of its arrival instant cover it; when covered it fills in full', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '0.5'));
    e.onTrade(trade(T0, '60005', '0.4'));
    e.place(order({ type: 'limit', price: '60100', amount: '1', timeInForce: 'fok' }));
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled', filledAmount: '0' });
    e.place(order({ clientOrderId: 'c2', type: 'limit', price: '60100', amount: '0.9', timeInForce: 'fok' }));
    expect(fills(e)).toEqual([
      ['0.5', '60000', 'taker'],
      ['0.4', '60005', 'taker'],
    ]);
  });

  it('a marketable limit pays the slippage of market orders, capped at its limit', () => {
    const e = engine({ slippageBps: 10 });
    e.onTrade(trade(T0, '60000', '1'));
    e.place(order({ type: 'limit', price: '60030', amount: '0.1' })); // 60060 would be beyond the limit
    expect(fills(e)).toEqual([['0.1', '60030', 'taker']]);
  });

  it('a gtc marketable limit waits as a taker and skips prints beyond its limit', () => {
    const e = engine();
    e.onTrade(trade(T0, '59990', '0.1'));
    e.place(order({ type: 'limit', price: '60000', amount: '0.3' }));
    e.onTrade(trade(T0 + 1, '60050', '5'));
    e.onTrade(trade(T0 + 2, '59995', '0.1', 'sell'));
    expect(fills(e)).toEqual([
      ['0.1', '59990', 'taker'],
      ['0.1', '59995', 'taker'],
    ]);
  });

  it('price-only marks (no size, the paper ticker) keep unlimited taking at the mark', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', null));
    e.place(order({ amount: '1.5' }));
    expect(fills(e)).toEqual([['1.5', '60000', 'taker']]);
  });
});

describe('resting orders and the aggressor side', () => {
  it('a buy-aggressor print at exactly a resting buy does not fill it; a sell-aggressor print does; any print below does', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '1'));
    e.place(order({ type: 'limit', price: '59990', amount: '0.5' }));
    e.onTrade(trade(T0 + 1, '59990', '1', 'buy'));
    expect(fills(e)).toEqual([]);
    e.onTrade(trade(T0 + 2, '59990', '0.2', 'sell'));
    e.onTrade(trade(T0 + 3, '59980', '0.1', 'buy'));
    expect(fills(e)).toEqual([
      ['0.2', '59990', 'maker'],
      ['0.1', '59990', 'maker'],
    ]);
  });

  it('mirror for sells: a sell-aggressor print at the ask does not fill a resting sell; a buy-aggressor print does', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '1'));
    e.place(order({ side: 'sell', type: 'limit', price: '60010', amount: '0.5' }));
    e.onTrade(trade(T0 + 1, '60010', '1', 'sell'));
    e.onTrade(trade(T0 + 2, '60010', '1', 'buy'));
    expect(fills(e)).toEqual([['0.5', '60010', 'maker']]);
  });

  it('a limit at exactly the last trade price rests instead of taking', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '1', 'sell'));
    e.place(order({ type: 'limit', price: '60000', amount: '0.1' }));
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'open', filledAmount: '0' });
    expect(fills(e)).toEqual([]);
  });

  it('maker fills are bounded by participation too', () => {
    const e = engine({ participation: 0.25 });
    e.onTrade(trade(T0, '60000', '1'));
    e.place(order({ type: 'limit', price: '59990', amount: '0.5' }));
    e.onTrade(trade(T0 + 1, '59900', '1', 'sell'));
    expect(fills(e)).toEqual([['0.25', '59990', 'maker']]);
  });
});

describe('a market order before any price', () => {
  it('waits for the first print instead of being rejected, holding the free quote meanwhile', () => {
    const e = engine();
    e.place(order({ amount: '0.1' }));
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'open' });
    expect(e.ledger.report().find((b) => b.currency === 'USD')!.reserved).toBe('100000');
    e.onTrade(trade(T0 + 5, '60000', '1'));
    expect(fills(e)).toEqual([['0.1', '60000', 'taker']]);
    expect(e.ledger.report().find((b) => b.currency === 'USD')).toMatchObject({ total: '93976', reserved: '0' }); // 6000 + 24 fee
  });

  it('a waiting market sell takes the first book snapshot instead', () => {
    const e = engine();
    e.place(order({ side: 'sell', amount: '0.3' }));
    e.onBook({ kind: 'book', ts: T0 + 1, market: 'btcusd', bids: [{ price: '59990', amount: '1' }], asks: [{ price: '60010', amount: '1' }] });
    expect(fills(e)).toEqual([['0.3', '59990', 'taker']]);
  });

  it('survives a snapshot/restore while waiting', () => {
    const e = engine();
    e.place(order({ amount: '0.1' }));
    const r = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0 }, JSON.parse(JSON.stringify(e.toState(true))));
    r.onTrade(trade(T0 + 5, '60000', '1'));
    expect(fills(r)).toEqual([['0.1', '60000', 'taker']]);
  });

  it('a restored engine keeps what is left of the current instant for the next arrival', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000', '0.3'));
    e.place(order({ amount: '0.2', timeInForce: 'gtc' }));
    const r = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0 }, JSON.parse(JSON.stringify(e.toState(true))));
    r.place(order({ clientOrderId: 'c2', amount: '0.2', type: 'limit', price: '60100', timeInForce: 'ioc' }));
    expect(fills(r)).toEqual([
      ['0.2', '60000', 'taker'],
      ['0.1', '60000', 'taker'],
    ]);
  });
});
