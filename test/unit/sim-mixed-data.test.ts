/**
 * Mixed data (sim/market-data/merge.ts): a trades source and a quotes source of btcusd merged by
 * timestamp, stable (equal timestamps: array order, then file order); the byte and event limits
 * hold for the sum of the sources; marks follow the latest of a trade and a quote.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { parseInlineMarketData } from '../../sim/market-data/parse.ts';
import { readInlineMarketData, readMarketDataFile } from '../../sim/market-data/bounded-read.ts';
import { mergeMarketData } from '../../sim/market-data/merge.ts';
import type { MarketEvent } from '../../sim/types.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';

const T0 = Date.UTC(2026, 0, 1);
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const trade = (s: number, price: string, amount = '0.1', side: 'buy' | 'sell' = 'buy') => ({ timestamp: at(s), price, amount, side });
const quote = (s: number, bid: string, ask: string) => ({ timestamp: at(s), bid, ask, bid_amount: '1', ask_amount: '1' });

// Hand-made tapes: trades at 0, 2, 2 (two prints of one instant), 5; quotes at 0, 1, 2, 4.
const trades = parseInlineMarketData('trades', [trade(0, '50000'), trade(2, '49900', '0.1', 'sell'), trade(2, '49950'), trade(5, '50100')], 'btcusd');
const quotes = parseInlineMarketData('quotes', [quote(0, '49990', '50010'), quote(1, '49980', '50000'), quote(2, '49890', '49910'), quote(4, '50040', '50060')], 'btcusd');

/** "T@s:price" for prints, "Q@s:bid/ask" for book snapshots. */
function tags(events: readonly MarketEvent[]): string[] {
  return events.map((e) => (e.kind === 'trade' ? `T@${(e.ts - T0) / 1000}:${e.price}` : `Q@${(e.ts - T0) / 1000}:${e.bids[0]!.price}/${e.asks[0]!.price}`));
}

describe('mergeMarketData', () => {
  it('interleaves by timestamp; on equal timestamps the earlier source first, then file order', () => {
    const m = mergeMarketData([trades, quotes]);
    expect(tags(m.events)).toEqual([
      'T@0:50000',
      'Q@0:49990/50010',
      'Q@1:49980/50000',
      'T@2:49900',
      'T@2:49950',
      'Q@2:49890/49910',
      'Q@4:50040/50060',
      'T@5:50100',
    ]);
    expect([m.first, m.last, m.markets]).toEqual([T0, T0 + 5000, ['btcusd']]);
    // The other array order puts the quotes of an instant before its trades; file order still holds.
    expect(tags(mergeMarketData([quotes, trades]).events)).toEqual([
      'Q@0:49990/50010',
      'T@0:50000',
      'Q@1:49980/50000',
      'Q@2:49890/49910',
      'T@2:49900',
      'T@2:49950',
      'Q@4:50040/50060',
      'T@5:50100',
    ]);
  });

  it('keeps every event once, in time order, for sources of different markets; one source is left as it is', () => {
    const eth = parseInlineMarketData('trades', [trade(1, '3000'), trade(3, '3010'), trade(9, '3020')], 'ethusd');
    const m = mergeMarketData([trades, eth, quotes]);
    expect(m.events).toHaveLength(trades.events.length + eth.events.length + quotes.events.length);
    expect(new Set(m.events).size).toBe(m.events.length);
    for (let i = 1; i < m.events.length; i++) expect(m.events[i]!.ts).toBeGreaterThanOrEqual(m.events[i - 1]!.ts);
    expect(m.markets).toEqual(['btcusd', 'ethusd']);
    expect(m.last).toBe(T0 + 9000);
    expect(mergeMarketData([trades])).toBe(trades);
  });

  it('marks at the latest of the two: the last trade, or the mid of a quote that came after it', () => {
    const s = new BacktestSession(mergeMarketData([trades, quotes]), { getMarket: bundledMarket }, { USD: '1000' });
    s.step(1); // T@0
    expect(s.engine.markPrice('btcusd')).toBe('50000');
    s.step(1); // Q@0
    expect(s.engine.markPrice('btcusd')).toBe('50000'); // mid of 49990/50010
    s.step(1); // Q@1
    expect(s.engine.markPrice('btcusd')).toBe('49990');
    s.step(2); // T@2 x2
    expect(s.engine.markPrice('btcusd')).toBe('49950');
    s.step(2); // Q@2, Q@4
    expect(s.engine.markPrice('btcusd')).toBe('50050');
    s.step(1);
    expect(s.engine.markPrice('btcusd')).toBe('50100');
  });
});

describe('limits over the sum of the sources', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-mixed-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the event limit counts the events of the earlier sources', async () => {
    const limits = { maxEvents: 6, maxEventsSetting: 'EXEC_MCP_BACKTEST_MAX_EVENTS' };
    const spent = { bytes: 0, events: 0 };
    await readInlineMarketData('trades', [trade(0, '50000'), trade(1, '50001'), trade(2, '50002'), trade(3, '50003')], 'btcusd', { ...limits, spent });
    expect(spent.events).toBe(4);
    const rows = [quote(0, '1', '2'), quote(1, '1', '2'), quote(2, '1', '2')];
    const e = await rejectedDomainError(readInlineMarketData('quotes', rows, 'btcusd', { ...limits, spent }));
    expect(e.message).toBe('data.quotes[2]: more than 6 market-data events, the limit of a backtest and of all live backtests together (raise it with EXEC_MCP_BACKTEST_MAX_EVENTS); give less data or split it');
    // Alone, the same rows are within the limit.
    expect((await readInlineMarketData('quotes', rows, 'btcusd', limits)).events).toHaveLength(3);
  });

  it('the byte limit counts the bytes of the earlier files, and a file is refused from its size', async () => {
    const a = path.join(dir, 'btcusd-trades.csv');
    const b = path.join(dir, 'btcusd-quotes.csv');
    fs.writeFileSync(a, 'timestamp,price,amount,side\n2026-01-01T00:00:00Z,50000,0.1,buy\n');
    fs.writeFileSync(b, 'timestamp,bid,ask,bid_amount,ask_amount\n2026-01-01T00:00:00Z,49990,50010,1,1\n');
    const size = (f: string): number => fs.statSync(f).size;
    const limits = { maxBytes: size(a) + size(b) - 1, maxEvents: 100, maxBytesSetting: 'EXEC_MCP_BACKTEST_MAX_FILE_MB' };
    const spent = { bytes: 0, events: 0 };
    await readMarketDataFile(a, { market: 'btcusd' }, { ...limits, spent });
    expect(spent).toEqual({ bytes: size(a), events: 1 });
    const e = await rejectedDomainError(readMarketDataFile(b, { market: 'btcusd' }, { ...limits, spent }));
    expect(e.message).toMatch(/^data file .*btcusd-quotes\.csv with the files before it is larger than \d+ bytes, the backtest file limit \(raise it with EXEC_MCP_BACKTEST_MAX_FILE_MB\)/);
    expect((await readMarketDataFile(b, { market: 'btcusd' }, limits)).events).toHaveLength(1);
  });
});
