import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../sim/engine.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { priceKey } from '../../sim/price.ts';
import type { EngineOptions, TradePrint } from '../../sim/types.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { thrownDomainError } from '../fixtures/domain-errors.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function engine(opts: Partial<EngineOptions> = {}): MatchingEngine {
  const e = new MatchingEngine({ getMarket: bundledMarket, startAt: T0, slippageBps: 0, ...opts });
  e.fund({ USD: '100000', BTC: '2' });
  return e;
}
function trade(ts: number, price: string, amount: string | null = '1', side: 'buy' | 'sell' = 'buy'): TradePrint {
  return { kind: 'trade', ts, market: 'btcusd', price, key: priceKey(price), amount, side };
}
function order(p: Partial<PlaceOrderCommand>): PlaceOrderCommand {
  return { clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '60000', timeInForce: 'gtc', postOnly: false, ...p };
}
function bal(e: MatchingEngine, c: string) {
  const b = e.ledger.report().find((x) => x.currency === c)!;
  return { total: b.total, reserved: b.reserved, available: b.available };
}
const thrown = thrownDomainError;

describe('taker orders against the observed book', () => {
  it('a market buy walks two ask levels, each fill at its level price with taker fees rounded up', () => {
    const e = engine();
    e.onBook({ kind: 'book', ts: T0, market: 'btcusd', bids: [{ price: '59990', amount: '1' }], asks: [{ price: '60010', amount: '1' }, { price: '60000', amount: '0.5' }] });
    e.place(order({ type: 'market', price: undefined, amount: '0.8' }));
    const fills = e.fills();
    expect(fills.map((f) => [f.amount, f.price, f.fee, f.liquidity])).toEqual([
      ['0.5', '60000', '120', 'taker'], // 30000 * 0.004 = 120
      ['0.3', '60010', '72.02', 'taker'], // 18003 * 0.004 = 72.012 -> up to the cent
    ]);
    expect(bal(e, 'USD')).toEqual({ total: '51804.98', reserved: '0', available: '51804.98' });
    expect(bal(e, 'BTC').total).toBe('2.8');
    expect(e.query({ clientOrderId: 'c1' })!.state).toBe('filled');
    // what was taken is gone until the next snapshot
    e.place(order({ clientOrderId: 'c2', type: 'market', price: undefined, amount: '0.8' }));
    const c2 = e.query({ clientOrderId: 'c2' })!;
    expect(c2.fills.map((f) => [f.amount, f.price])).toEqual([['0.7', '60010']]);
    expect(c2.state).toBe('cancelled');
    expect(c2.reason).toMatch(/no more liquidity/);
  });

  it('an ioc limit buy fills what the book offers up to its limit and cancels the rest', () => {
    const e = engine();
    e.onBook({ kind: 'book', ts: T0, market: 'btcusd', bids: [], asks: [{ price: '60000', amount: '0.3' }, { price: '60001', amount: '5' }] });
    e.place(order({ amount: '0.5', price: '60000', timeInForce: 'ioc' }));
    const r = e.query({ clientOrderId: 'c1' })!;
    expect(r.state).toBe('cancelled');
    expect(r.filledAmount).toBe('0.3');
    expect(r.reason).toMatch(/ioc/);
    expect(bal(e, 'USD').reserved).toBe('0');
    expect(bal(e, 'USD').total).toBe('81928'); // 100000 - 18000 - 72
  });

  it('fok fills nothing unless the whole amount is available', () => {
    const e = engine();
    e.onBook({ kind: 'book', ts: T0, market: 'btcusd', bids: [], asks: [{ price: '60000', amount: '0.3' }] });
    e.place(order({ amount: '0.5', timeInForce: 'fok' }));
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'cancelled', filledAmount: '0' });
    e.place(order({ clientOrderId: 'c2', amount: '0.3', timeInForce: 'fok' }));
    expect(e.query({ clientOrderId: 'c2' })).toMatchObject({ state: 'filled', filledAmount: '0.3' });
  });

  it('with trades only, a marketable limit and a market order both pay slippage on the print (a limit never beyond its price)', () => {
    const e = engine({ slippageBps: 10 });
    e.onTrade(trade(T0, '60000'));
    e.place(order({ price: '60100' }));
    expect(e.fills()[0]).toMatchObject({ price: '60060', liquidity: 'taker' }); // 60000 * 1.001
    e.place(order({ clientOrderId: 'c2', type: 'market', price: undefined, side: 'sell', amount: '0.1' }));
    expect(e.fills()[1]).toMatchObject({ price: '59940', side: 'sell' }); // 60000 * (1 - 0.001), rounded down to the tick
  });
});

describe('post-only', () => {
  it('a post-only order that would cross is cancelled (not filled, funds released), like Bitstamp', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000'));
    const ack = e.place(order({ price: '60001', postOnly: true }));
    expect(ack.exchangeOrderId).toBe('sim-o-1');
    const r = e.query({ clientOrderId: 'c1' })!;
    expect(r.state).toBe('cancelled');
    expect(r.reason).toMatch(/post_only/);
    expect(e.fills()).toEqual([]);
    expect(bal(e, 'USD')).toEqual({ total: '100000', reserved: '0', available: '100000' });
  });

  it('a post-only order that does not cross rests and fills as maker', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000'));
    e.place(order({ price: '59999', postOnly: true }));
    expect(e.query({ clientOrderId: 'c1' })!.state).toBe('open');
    e.onTrade(trade(T0 + 1000, '59999', '5', 'sell'));
    expect(e.fills()[0]).toMatchObject({ price: '59999', liquidity: 'maker', amount: '0.1' });
  });
});

describe('resting orders and trade prints', () => {
  it('fills only when a trade crosses, at the order price, for at most the trade size, in price-time order', () => {
    const e = engine();
    e.onTrade(trade(T0, '61000'));
    e.place(order({ clientOrderId: 'a', amount: '0.5', price: '60000' }));
    e.place(order({ clientOrderId: 'b', amount: '0.5', price: '60000' }));
    e.place(order({ clientOrderId: 'c', amount: '0.5', price: '60500' }));
    e.onTrade(trade(T0 + 1, '60600', '10'));
    expect(e.fills()).toEqual([]);
    e.onTrade(trade(T0 + 2, '59990', '0.8', 'sell'));
    expect(e.fills().map((f) => [f.clientOrderId, f.amount, f.price])).toEqual([
      ['c', '0.5', '60500'],
      ['a', '0.3', '60000'],
    ]);
    e.onTrade(trade(T0 + 3, '60000', '0.4', 'sell')); // at the touch: fills (fillAtTouch default)
    expect(e.fills().slice(2).map((f) => [f.clientOrderId, f.amount])).toEqual([
      ['a', '0.2'],
      ['b', '0.2'],
    ]);
    expect(e.query({ clientOrderId: 'b' })).toMatchObject({ state: 'open', filledAmount: '0.2' });
  });

  it('with fillAtTouch=false a trade at the order price does not fill', () => {
    const e = engine({ fillAtTouch: false });
    e.onTrade(trade(T0, '61000'));
    e.place(order({ price: '60000' }));
    e.onTrade(trade(T0 + 1, '60000'));
    expect(e.fills()).toEqual([]);
    e.onTrade(trade(T0 + 2, '59999'));
    expect(e.fills()).toHaveLength(1);
  });

  it('fee rounding: maker fee 60.001 * 0.003 = 0.180003 is charged as 0.19 (rounded up to the cent)', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000'));
    e.place(order({ side: 'sell', amount: '0.001', price: '60001' }));
    e.onTrade(trade(T0 + 1, '60001'));
    expect(e.fills()[0]).toMatchObject({ fee: '0.19', feeCurrency: 'USD', liquidity: 'maker' });
    expect(bal(e, 'USD').total).toBe('100059.811');
    expect(e.ledger.feesPaid()).toEqual({ USD: '0.19' });
  });

  it('latency: an order reaches the book only after latency_ms of simulated time', () => {
    const e = engine({ latencyMs: 100 });
    e.onTrade(trade(T0, '61000'));
    e.place(order({ price: '60000' }));
    e.onTrade(trade(T0 + 50, '59000'));
    expect(e.fills()).toEqual([]);
    e.onTrade(trade(T0 + 100, '60500')); // arrives at T0+100: marketable (last 59000), but it meets only prints from now on
    expect(e.fills()).toEqual([]);
    e.onTrade(trade(T0 + 200, '59500'));
    expect(e.fills()[0]).toMatchObject({ price: '59500', liquidity: 'taker', at: iso(T0 + 200) });
  });
});

describe('expiry', () => {
  it('gtd: expires at expire_time in simulated time; a trade at that instant no longer fills it', () => {
    const e = engine();
    e.onTrade(trade(T0, '61000'));
    e.place(order({ timeInForce: 'gtd', expireTime: iso(T0 + 60_000) }));
    expect(bal(e, 'USD').reserved).toBe('6024'); // 6000 + the fee at the higher (taker, 0.4 %) rate
    e.onTrade(trade(T0 + 60_000, '59000'));
    const r = e.query({ clientOrderId: 'c1' })!;
    expect(r).toMatchObject({ state: 'expired', filledAmount: '0', at: iso(T0 + 60_000) });
    expect(bal(e, 'USD').reserved).toBe('0');
    expect(e.fills()).toEqual([]);
  });

  it('daily: expires at the next 00:00 UTC, also when time only advances', () => {
    const e = engine();
    e.onTrade(trade(T0, '61000'));
    e.place(order({ timeInForce: 'daily' }));
    e.advanceTo(Date.UTC(2026, 0, 5, 23, 59, 59));
    expect(e.query({ clientOrderId: 'c1' })!.state).toBe('open');
    e.advanceTo(Date.UTC(2026, 0, 6));
    expect(e.query({ clientOrderId: 'c1' })).toMatchObject({ state: 'expired', at: '2026-01-06T00:00:00.000Z' });
  });
});

describe('rules and funds, like Bitstamp', () => {
  it('rejects with contract codes and clear messages; a rejected order leaves no trace', () => {
    const e = engine();
    e.onTrade(trade(T0, '60000'));
    expect(thrown(() => e.place(order({ price: '60000.5' })))).toMatchObject({ code: 'PRECISION_VIOLATION', message: 'price 60000.5 has 1 decimals; btcusd allows 0' });
    expect(thrown(() => e.place(order({ amount: '0.000000001' })))).toMatchObject({ code: 'PRECISION_VIOLATION' });
    expect(thrown(() => e.place(order({ amount: '0.0001' })))).toMatchObject({ code: 'BELOW_MINIMUM', message: 'order value 6 USD is below the minimum 10 USD for btcusd' });
    expect(thrown(() => e.place(order({ amount: '2' })))).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      message: 'You need 120480 USD to open that order. You have only 100000 USD available.',
    });
    expect(thrown(() => e.place(order({ side: 'sell', amount: '3' })))).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(thrown(() => e.place(order({ market: 'nosuch' })))).toMatchObject({ code: 'MARKET_NOT_FOUND' });
    expect(e.query({ clientOrderId: 'c1' })).toBeNull();
    expect(e.ledger.report().every((b) => b.reserved === '0')).toBe(true);
  });

  it('reserves on open and releases on cancel; cancelling twice is ORDER_NOT_FOUND', () => {
    const e = engine();
    e.onTrade(trade(T0, '61000'));
    e.place(order({ side: 'sell', price: '62000', amount: '1.5' }));
    expect(bal(e, 'BTC')).toEqual({ total: '2', reserved: '1.5', available: '0.5' });
    e.cancel({ clientOrderId: 'c1' });
    expect(bal(e, 'BTC')).toEqual({ total: '2', reserved: '0', available: '2' });
    expect(thrown(() => e.cancel({ clientOrderId: 'c1' })).code).toBe('ORDER_NOT_FOUND');
  });
});

describe('state snapshots', () => {
  it('restoring a snapshot mid-run continues exactly like never stopping', () => {
    const run = (restoreAt: number | undefined) => {
      let e = engine({ latencyMs: 10, latencyJitterMs: 30, seed: 7 });
      const steps: Array<() => void> = [
        () => e.onTrade(trade(T0, '60000')),
        () => e.place(order({ clientOrderId: 'a', price: '59950', amount: '0.4' })),
        () => e.place(order({ clientOrderId: 'b', price: '59950', amount: '0.4', timeInForce: 'gtd', expireTime: iso(T0 + 5000) })),
        () => e.place(order({ clientOrderId: 'c', side: 'sell', price: '60100', amount: '1' })),
        () => e.onTrade(trade(T0 + 1000, '59940', '0.5')),
        () => e.onTrade(trade(T0 + 2000, '60200', '0.25')),
        () => e.place(order({ clientOrderId: 'd', price: '59000', amount: '0.2', timeInForce: 'daily' })),
        () => e.onTrade(trade(T0 + 9000, '59900', '3')),
      ];
      steps.forEach((s, i) => {
        if (i === restoreAt) e = new MatchingEngine({ getMarket: bundledMarket, slippageBps: 0, latencyMs: 10, latencyJitterMs: 30 }, JSON.parse(JSON.stringify(e.toState(true))));
        s();
      });
      return JSON.stringify({ fills: e.fills(), balances: e.ledger.report(), open: e.openOrders() });
    };
    const straight = run(undefined);
    for (let i = 1; i < 8; i++) expect(run(i)).toBe(straight);
  });
});
