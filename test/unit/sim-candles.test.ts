/** Candles without look-ahead (sim/README.md "Market data"): hand-computed one-minute candles. */
import { describe, expect, it } from 'vitest';
import { parseInlineMarketData, parseMarketDataText, type MarketData } from '../../sim/market-data/parse.ts';
import { parseInterval } from '../../sim/market-data/candles.ts';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { thrownDomainError } from '../fixtures/domain-errors.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const candle = (ts: number, open: string, high: string, low: string, close: string, volume: string, market?: string) => ({
  timestamp: iso(ts),
  open,
  high,
  low,
  close,
  volume,
  ...(market ? { market } : {}),
});
const prints = (d: MarketData) => d.events.map((e) => (e.kind === 'trade' ? `${e.ts - T0}:${e.market}:${e.price}` : ''));
function order(p: Partial<PlaceOrderCommand>): PlaceOrderCommand {
  return { clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'market', amount: '1', timeInForce: 'gtc', postOnly: false, ...p };
}

describe('candles happen inside their interval', () => {
  it('the timestamp is the open; O at +0, the extremes at +I/3 and +2I/3 in the order the close implies, C at the last ms', () => {
    const d = parseInlineMarketData(
      'candles',
      [candle(T0, '100', '110', '95', '105', '8'), candle(T0 + MIN, '105', '106', '90', '91', '4')],
      'btcusd',
    );
    expect(d.interval).toBe(MIN);
    expect(prints(d)).toEqual([
      '0:btcusd:100',
      '20000:btcusd:95',
      '40000:btcusd:110',
      '59999:btcusd:105',
      '60000:btcusd:105',
      '80000:btcusd:106',
      '100000:btcusd:90',
      '119999:btcusd:91',
    ]);
    expect(d.events.map((e) => (e.kind === 'trade' ? e.amount : ''))).toEqual(['2', '2', '2', '2', '1', '1', '1', '1']);
    expect([d.first - T0, d.last - T0]).toEqual([0, 119_999]);
  });

  it('the interval is the smallest spacing (a gap in the data does not stretch candles), or the argument', () => {
    const rows = [candle(T0, '100', '100', '100', '100', '4'), candle(T0 + 5 * MIN, '100', '100', '100', '100', '4'), candle(T0 + 6 * MIN, '100', '100', '100', '100', '4')];
    expect(parseInlineMarketData('candles', rows, 'btcusd').interval).toBe(MIN);
    const given = parseInlineMarketData('candles', rows, 'btcusd', 30_000);
    expect(prints(given).slice(0, 4)).toEqual(['0:btcusd:100', '10000:btcusd:100', '20000:btcusd:100', '29999:btcusd:100']);
    expect(thrownDomainError(() => parseInlineMarketData('candles', rows, 'btcusd', 2 * MIN)).message).toMatch(/^interval: 120000 ms is longer than the spacing/);
    // One candle and no argument: one minute.
    expect(parseInlineMarketData('candles', rows.slice(0, 1), 'btcusd').interval).toBe(MIN);
    expect([parseInterval('15m'), parseInterval('1h'), parseInterval('1d'), parseInterval('250ms'), parseInterval(5000)]).toEqual([900_000, 3_600_000, 86_400_000, 250, 5000]);
    expect(thrownDomainError(() => parseInterval('1 minute')).message).toMatch(/^interval: expected a candle interval like "1m"/);
    expect(thrownDomainError(() => parseInterval(0)).code).toBe('INVALID_ARGUMENT');
  });

  it('several markets in one file: each candle spread, the events back in time order (row order within an instant)', () => {
    const d = parseMarketDataText(
      'timestamp,open,high,low,close,volume,market\n' +
        `${iso(T0)},100,110,90,105,4,btcusd\n${iso(T0)},10,11,9,9.5,4,ethusd\n${iso(T0 + MIN)},105,105,105,105,4,btcusd\n${iso(T0 + MIN)},9.5,9.5,9.5,9.5,4,ethusd\n`,
      { source: 'f.csv', market: 'btcusd' },
    );
    expect(prints(d).slice(0, 9)).toEqual([
      '0:btcusd:100',
      '0:ethusd:10',
      '20000:btcusd:90',
      '20000:ethusd:11',
      '40000:btcusd:110',
      '40000:ethusd:9',
      '59999:btcusd:105',
      '59999:ethusd:9.5',
      '60000:btcusd:105',
    ]);
  });

  it('an order meets only the prices at or after its arrival: no fill at a low that already happened', () => {
    // O 60000, L 59500 at +20 s, H 60600 at +40 s, C 60300 at +59.999 s; 0.5 BTC per print.
    const data = parseInlineMarketData('candles', [candle(T0, '60000', '60600', '59500', '60300', '2')], 'btcusd');
    const run = (placeAt: number, cmd: PlaceOrderCommand) => {
      const s = new BacktestSession(data, { getMarket: bundledMarket, slippageBps: 0 }, { USD: '100000' });
      s.runUntil(placeAt);
      s.engine.place(cmd);
      s.runToEnd();
      return s.engine.fills().map((f) => [f.at, f.amount, f.price]);
    };
    // Placed at the open: a market buy of 0.8 takes 0.5 at the open, 0.3 at the low 20 s later.
    expect(run(T0, order({ amount: '0.8' }))).toEqual([
      [iso(T0), '0.5', '60000'],
      [iso(T0 + 20_000), '0.3', '59500'],
    ]);
    // A buy limit at 59600 placed at the open fills when the low happens (maker, at its price).
    expect(run(T0, order({ type: 'limit', price: '59600', amount: '0.1' }))).toEqual([[iso(T0 + 20_000), '0.1', '59600']]);
    // The same limit placed after the low (at +30 s) never sees it; the close is above it.
    expect(run(T0 + 30_000, order({ type: 'limit', price: '59600', amount: '0.1' }))).toEqual([]);
    // A market buy at +45 s (after the high) meets only the close.
    expect(run(T0 + 45_000, order({ amount: '0.1' }))).toEqual([[iso(T0 + 59_999), '0.1', '60300']]);
  });
});
