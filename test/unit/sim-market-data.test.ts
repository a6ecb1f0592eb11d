import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { marketFromFileName, parseInlineMarketData, parseMarketDataFile, parseMarketDataText } from '../../sim/market-data/parse.ts';
import { generateSampleCsv, SAMPLE_FILE } from '../../sim/sample-data/generate-sample.ts';
import { thrownDomainError } from '../fixtures/domain-errors.ts';

const opts = { source: 'f.csv', market: 'btcusd' };
const err = thrownDomainError;

describe('market-data files', () => {
  it('parses CSV trades with ISO and epoch-ms timestamps, canonical prices and an optional market column', () => {
    const d = parseMarketDataText('timestamp,price,amount,side,market\r\n2026-01-01T00:00:00Z,60000.50,0.1,buy,\n1767225601000,60001,0.20,sell,ethusd\n\n', opts);
    expect(d.kind).toBe('trades');
    expect(d.events).toEqual([
      { kind: 'trade', ts: Date.UTC(2026, 0, 1), market: 'btcusd', price: '60000.5', key: 60000.5, amount: '0.1', side: 'buy' },
      { kind: 'trade', ts: Date.UTC(2026, 0, 1, 0, 0, 1), market: 'ethusd', price: '60001', key: 60001, amount: '0.2', side: 'sell' },
    ]);
    expect(d.markets).toEqual(['btcusd', 'ethusd']);
  });

  it('parses JSONL with the same field names (numbers accepted for values)', () => {
    const d = parseMarketDataText('{"timestamp":1767225600000,"price":60000,"amount":"0.5","side":"buy"}\n{"timestamp":"2026-01-01T00:00:02Z","price":"60010","amount":0.25,"side":"sell"}\n', opts);
    expect(d.events.map((e) => (e.kind === 'trade' ? [e.ts, e.price, e.amount] : null))).toEqual([
      [1767225600000, '60000', '0.5'],
      [1767225602000, '60010', '0.25'],
    ]);
  });

  it('expands candles into four prints: open, the extreme away from the close, the other extreme, close', () => {
    const up = parseMarketDataText('timestamp,open,high,low,close,volume\n2026-01-01T00:00:00Z,100,110,95,105,8\n', opts);
    expect(up.events.map((e) => (e.kind === 'trade' ? `${e.price}/${e.amount}/${e.side}` : ''))).toEqual(['100/2/buy', '95/2/sell', '110/2/buy', '105/2/sell']);
    const down = parseInlineMarketData('candles', [{ timestamp: '2026-01-01T00:00:00Z', open: '100', high: '110', low: '95', close: '96', volume: '0' }], 'btcusd');
    expect(down.events.map((e) => (e.kind === 'trade' ? e.price : ''))).toEqual(['100', '110', '95', '96']);
  });

  it('parses top-of-book quotes into book snapshots', () => {
    const d = parseMarketDataText('timestamp,bid,ask,bid_amount,ask_amount\n2026-01-01T00:00:00Z,99,101,1.5,2\n', opts);
    expect(d.events[0]).toEqual({ kind: 'book', ts: Date.UTC(2026, 0, 1), market: 'btcusd', bids: [{ price: '99', amount: '1.5' }], asks: [{ price: '101', amount: '2' }] });
  });

  it('a bad row names the file, line and field and what was expected, without echoing file content', () => {
    const e = err(() => parseMarketDataText('timestamp,price,amount,side\n2026-01-01T00:00:00Z,60000,0.1,buy\n2026-01-01T00:00:01Z,SECRETVALUE,0.1,buy\n', opts));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('f.csv line 3: field "price": expected a price as a decimal string like "123.45" (no exponent, no sign)');
    expect(e.message).not.toContain('SECRET');
    expect(e.details).toEqual({ source: 'f.csv', line: 3, field: 'price' });
    expect(err(() => parseMarketDataText('timestamp,price,amount,side\nyesterday,1,1,buy\n', opts)).message).toMatch(/line 2: field "timestamp": expected an ISO-8601 UTC timestamp/);
    expect(err(() => parseMarketDataText('timestamp,price,amount,side\n2026-01-01T00:00:00Z,1,1,up\n', opts)).message).toMatch(/line 2: field "side": expected "buy" or "sell"/);
    expect(err(() => parseMarketDataText('timestamp,price,amount,side\n2026-01-01T00:00:00Z,1,0,buy\n', opts)).message).toMatch(/field "amount": expected an amount greater than 0/);
    expect(err(() => parseMarketDataText('timestamp,price,amount,side\n2026-01-01T00:00:00Z,1,1\n', opts)).message).toMatch(/line 2: field "row": expected 4 comma-separated values, found 3/);
    expect(err(() => parseMarketDataText('timestamp,price,amount,side\n2026-01-02T00:00:00Z,1,1,buy\n2026-01-01T00:00:00Z,1,1,buy\n', opts)).message).toMatch(/line 3: field "timestamp": expected rows in time order/);
    expect(err(() => parseMarketDataText('api_key,api_secret\nk,s\n', opts)).message).toBe(
      'f.csv line 1: field "header": expected a header row naming trades (timestamp,price,amount,side[,market]), candles (timestamp,open,high,low,close,volume[,market]) or quotes (timestamp,bid,ask,bid_amount,ask_amount[,market])',
    );
    expect(err(() => parseMarketDataText('timestamp,price,amount,side,password\n', opts)).message).toMatch(/line 1: field "column 5": unexpected or repeated column/);
    expect(err(() => parseMarketDataText('timestamp,open,high,low,close,volume\n2026-01-01T00:00:00Z,100,99,95,105,1\n', opts)).message).toMatch(/field "high": expected high >= open, close and low/);
    expect(err(() => parseMarketDataText('{"timestamp":1,"price":"1","amount":"1","side":"buy","extra":1}\n', opts)).message).toMatch(/line 1: field "row": unexpected field/);
    expect(err(() => parseMarketDataText('{"timestamp":1,"price":"1","amount":"1","side":"buy"}\nnot json\n', opts)).message).toMatch(/line 2: field "row": expected one JSON object per line/);
  });

  it('inline data errors name the array index and echo the (caller-sent) value', () => {
    const e = err(() => parseInlineMarketData('trades', [{ timestamp: '2026-01-01T00:00:00Z', price: '1', amount: '1', side: 'buy' }, { timestamp: '2026-01-01T00:00:00Z', price: '-1', amount: '1', side: 'buy' }], 'btcusd'));
    expect(e.message).toBe('data.trades[1]: field "price": expected a price as a decimal string like "123.45" (no exponent, no sign) (got "-1")');
  });

  it('reads files; a missing file is INVALID_ARGUMENT; the market comes from the file name when rows name none', () => {
    const d = parseMarketDataFile(SAMPLE_FILE, { market: 'btcusd' });
    expect(d.events.length).toBe(5000);
    expect(fs.readFileSync(SAMPLE_FILE, 'utf8')).toBe(generateSampleCsv()); // the committed sample is the generator's output
    expect(err(() => parseMarketDataFile('/nonexistent/x.csv', { market: 'btcusd' })).message).toBe('data file /nonexistent/x.csv does not exist or cannot be read');
    const known = (m: string) => m === 'btcusd' || m === 'ethusd';
    expect(marketFromFileName('/a/ethusd-trades.csv', known)).toBe('ethusd');
    expect(marketFromFileName('/a/trades.csv', known)).toBeUndefined();
  });

  it('parses 200k rows in well under a second per 100k (1M rows is benchmarked in bench/sim.bench.ts)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-md-'));
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, generateSampleCsv({ rows: 200_000, seed: 3 }));
    const t = performance.now();
    const d = parseMarketDataFile(file, { market: 'btcusd' });
    expect(d.events.length).toBe(200_000);
    expect(performance.now() - t).toBeLessThan(5000);
    fs.rmSync(dir, { recursive: true });
  });
});
