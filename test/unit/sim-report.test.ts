/** Reports that add up (sim/README.md "Backtests"): hand-computed equity curves, marks and pnl by currency. */
import { describe, expect, it } from 'vitest';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { parseInlineMarketData, type MarketData } from '../../sim/market-data/parse.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const trade = (s: number, price: string, amount: string, side: 'buy' | 'sell' = 'buy', market?: string) => ({
  timestamp: iso(T0 + s * 1000),
  price,
  amount,
  side,
  ...(market ? { market } : {}),
});
function order(p: Partial<PlaceOrderCommand>): PlaceOrderCommand {
  return { clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'market', amount: '0.1', timeInForce: 'gtc', postOnly: false, ...p };
}
const session = (data: MarketData, balances: Record<string, string>) =>
  new BacktestSession(data, { getMarket: bundledMarket, slippageBps: 0, fees: { maker: '0', taker: '0.001' } }, balances);

describe('backtest reports add up', () => {
  it('the curve starts at the start equity and ends at the final state, even with several events in the last millisecond', () => {
    const data = parseInlineMarketData('trades', [trade(0, '60000', '1'), trade(60, '61000', '1'), trade(120, '62000', '1'), trade(120, '63000', '1')], 'btcusd');
    const s = session(data, { USD: '10000', BTC: '1' });
    s.engine.place(order({ type: 'limit', price: '62500', amount: '0.1', side: 'sell' })); // rests; the 63000 print at +120 s fills it
    s.runToEnd();
    const r = s.report();
    // Start: 10000 + 1 × 60000. End: 10000 + 6250 (maker fee 0) + 0.9 × 63000 = 72950.
    expect(r.equity_curve[0]).toEqual({ at: iso(T0), equity: '70000' });
    expect(r.equity_curve.at(-1)).toEqual({ at: iso(T0 + 120_000), equity: '72950' });
    expect(r.pnl).toEqual({ quote_currency: 'USD', value: '2950' });
    expect(r.pnl_by_currency).toEqual({ USD: '2950' });
    expect(r.equity_curve.map((p) => p.at)).toEqual([iso(T0), iso(T0 + 60_000), iso(T0 + 120_000)]);
    expect(r.equity_curve[1]!.equity).toBe('71000'); // 10000 + 61000: the state at the end of +60 s
  });

  it('last − first = pnl exactly, also after a rounding fee and mid-way sampling', () => {
    const rows = Array.from({ length: 50 }, (_, i) => trade(i, String(60000 + (i % 7) * 13), '0.3', i % 2 ? 'sell' : 'buy'));
    const s = session(parseInlineMarketData('trades', rows, 'btcusd'), { USD: '5000.01', BTC: '0.12345678' });
    s.step(3);
    s.engine.place(order({ amount: '0.01234567' }));
    s.step(20);
    s.engine.place(order({ clientOrderId: 'c2', side: 'sell', amount: '0.05' }));
    s.runToEnd();
    const r = s.report();
    const first = r.equity_curve[0]!.equity;
    const last = r.equity_curve.at(-1)!.equity;
    expect(Number(last) - Number(first)).toBeCloseTo(Number(r.pnl.value), 8);
    expect(r.pnl.value).not.toBe('0');
  });

  it('candles: the last point is at the last candle\'s close', () => {
    const c = (m: number, o: string, h: string, l: string, cl: string) => ({ timestamp: iso(T0 + m * 60_000), open: o, high: h, low: l, close: cl, volume: '4' });
    const s = session(parseInlineMarketData('candles', [c(0, '100', '110', '90', '105'), c(1, '105', '120', '100', '118')], 'btcusd'), { USD: '0', BTC: '1' });
    s.runToEnd();
    const r = s.report();
    expect(r.equity_curve[0]).toEqual({ at: iso(T0), equity: '100' }); // marked at the open, before anything happened
    expect(r.equity_curve.at(-1)).toEqual({ at: iso(T0 + 119_999), equity: '118' });
    expect(r.pnl.value).toBe('18');
  });

  it('quotes-only data marks base holdings at the mid, not at 0', () => {
    const q = (s: number, bid: string, ask: string) => ({ timestamp: iso(T0 + s * 1000), bid, ask, bid_amount: '1', ask_amount: '1' });
    const s = session(parseInlineMarketData('quotes', [q(0, '59990', '60010'), q(1, '60990', '61010')], 'btcusd'), { USD: '1000', BTC: '1' });
    s.runToEnd();
    const r = s.report();
    expect(r.equity_curve[0]!.equity).toBe('61000');
    expect(r.equity_curve.at(-1)!.equity).toBe('62000');
    expect(r.pnl.value).toBe('1000');
  });

  it('a second quote currency is reported per currency, never counted as 0', () => {
    // Markets sorted: btceur first, so BTC is valued in EUR; USD counts as itself.
    const data = parseInlineMarketData(
      'trades',
      [trade(0, '50000', '1', 'buy', 'btceur'), trade(0, '60000', '1', 'buy', 'btcusd'), trade(1, '60000', '1', 'sell', 'btcusd'), trade(2, '51000', '1', 'buy', 'btceur')],
      'btcusd',
    );
    const s = session(data, { USD: '10000', EUR: '1000', BTC: '1' });
    s.step(2);
    s.engine.place(order({ amount: '0.1' })); // 0.1 BTC bought for 6000 USD + 6 USD taker fee on the btcusd print at +1 s
    s.runToEnd();
    const r = s.report();
    // EUR: start 1000 + 1 × 50000 = 51000; end 1000 + 1.1 × 51000 = 57100. USD: 10000 → 3994.
    expect(r.pnl).toEqual({ quote_currency: 'EUR', value: '6100' });
    expect(r.pnl_by_currency).toEqual({ EUR: '6100', USD: '-6006' });
    expect([r.equity_curve[0]!.equity, r.equity_curve.at(-1)!.equity]).toEqual(['51000', '57100']);
  });
});
