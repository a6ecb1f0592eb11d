/**
 * The bounded reader of backtest_create (sim/market-data/bounded-read.ts): the same events as the
 * synchronous parser whatever the read size, a file over the byte limit refused from its size
 * (unread), the event limit refused at the first event over it (the rest unread), and reading
 * that lets timers run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMarketDataText } from '../../sim/market-data/parse.ts';
import { readInlineMarketData, readMarketDataFile, type ReadLimits } from '../../sim/market-data/bounded-read.ts';
import { generateSampleCsv, SAMPLE_FILE } from '../../sim/sample-data/generate-sample.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-bounded-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (text: string | Buffer, ext = 'csv'): string => {
  const file = path.join(dir, `f-${++n}.${ext}`);
  fs.writeFileSync(file, text);
  return file;
};
const roomy: ReadLimits = { maxBytes: 1024 * 1024 * 1024, maxEvents: 10_000_000 };

describe('readMarketDataFile', () => {
  it('gives what the synchronous parser gives, whatever the read size cuts (CRLF, multi-byte, blank lines, JSONL)', async () => {
    const texts = [
      fs.readFileSync(SAMPLE_FILE, 'utf8'),
      '\uFEFFtimestamp,price,amount,side,market\r\n\r\n2026-01-01T00:00:00Z,60000.50,0.1,buy,\r\n1767225601000,60001,0.20,sell,ethusd',
      '\n  {"timestamp":1767225600000,"price":60000,"amount":"0.5","side":"buy"}\n\n{"timestamp":"2026-01-01T00:00:02Z","price":"60010","amount":0.25,"side":"sell"}\n',
      'timestamp,open,high,low,close,volume\n2026-01-01T00:00:00Z,100,110,95,105,8\n',
      // Several candles (two markets): spread over their interval the same way in both readers.
      'timestamp,open,high,low,close,volume,market\n2026-01-01T00:00:00Z,100,110,95,105,8,btcusd\n2026-01-01T00:00:00Z,10,11,9,9.5,4,ethusd\n2026-01-01T00:01:00Z,105,106,99,100,8,btcusd\n2026-01-01T00:01:00Z,9.5,12,9,11,4,ethusd\n',
    ];
    for (const text of texts) {
      const file = write(text);
      const want = parseMarketDataText(text, { source: file, market: 'btcusd', echo: false });
      const sizes = text.length > 10_000 ? [999, 64 * 1024] : [1, 3, 7, 64 * 1024];
      for (const chunkBytes of sizes) expect(await readMarketDataFile(file, { market: 'btcusd' }, { ...roomy, chunkBytes })).toEqual(want);
    }
    // A given candle interval too (and the interval used is reported).
    const candles = texts[texts.length - 1]!;
    const cfile = write(candles);
    const spread = parseMarketDataText(candles, { source: cfile, market: 'btcusd', echo: false, interval: 30_000 });
    expect(spread.interval).toBe(30_000);
    expect(spread.events.filter((e) => e.market === 'btcusd').map((e) => e.ts - 1767225600000)).toEqual([0, 10_000, 20_000, 29_999, 60_000, 70_000, 80_000, 89_999]);
    expect(await readMarketDataFile(cfile, { market: 'btcusd', interval: 30_000 }, { ...roomy, chunkBytes: 7 })).toEqual(spread);
    expect((await readMarketDataFile(cfile, { market: 'btcusd' }, roomy)).interval).toBe(60_000);
    const inline = [{ timestamp: 1767225600000, open: '100', high: '110', low: '95', close: '105', volume: '8' }];
    expect((await readInlineMarketData('candles', inline, 'btcusd', { maxEvents: 4 }, 30_000)).events.map((e) => e.ts - 1767225600000)).toEqual([0, 10_000, 20_000, 29_999]);
    // Bad rows are named the same way: file and line, the value never echoed.
    const badText = 'timestamp,price,amount,side\r\n2026-01-01T00:00:00Z,60000,0.1,buy\r\n\r\n2026-01-01T00:00:01Z,SECRETVALUE,0.1,buy\r\n';
    const file = write(badText);
    const e = await rejectedDomainError(readMarketDataFile(file, { market: 'btcusd' }, { ...roomy, chunkBytes: 5 }));
    expect(e.message).toBe(`${file} line 4: field "price": expected a price as a decimal string like "123.45" (no exponent, no sign)`);
    expect((await rejectedDomainError(readMarketDataFile(path.join(dir, 'missing.csv'), { market: 'btcusd' }, roomy))).message).toMatch(/does not exist or cannot be read/);
    expect((await rejectedDomainError(readMarketDataFile(dir, { market: 'btcusd' }, roomy))).message).toMatch(/does not exist or cannot be read/);
  });

  it('refuses a file over the byte limit from its size: even one that is not market data at all', async () => {
    const file = write(Buffer.alloc(1024 * 1024 + 1, 0x41));
    const e = await rejectedDomainError(readMarketDataFile(file, { market: 'btcusd' }, { ...roomy, maxBytes: 1024 * 1024, maxBytesSetting: 'EXEC_MCP_BACKTEST_MAX_FILE_MB' }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(`data file ${file} is larger than 1 MiB, the backtest file limit (raise it with EXEC_MCP_BACKTEST_MAX_FILE_MB); give a shorter file or split it`);
    expect(e.details).toMatchObject({ field: 'data', max_bytes: 1024 * 1024 });
    // At the limit exactly it is read (and here found to be no market data).
    const at = write(Buffer.alloc(1024 * 1024, 0x41));
    expect((await rejectedDomainError(readMarketDataFile(at, { market: 'btcusd' }, { ...roomy, maxBytes: 1024 * 1024 }))).message).toMatch(/line 1: field "header"/);
  });

  it('refuses at the first event over the event limit and reads no further (a broken row after it is never seen)', async () => {
    const rows = generateSampleCsv({ rows: 100, seed: 5 });
    const limits = { ...roomy, maxEvents: 100, maxEventsSetting: 'EXEC_MCP_BACKTEST_MAX_EVENTS' };
    expect((await readMarketDataFile(write(rows), { market: 'btcusd' }, limits)).events).toHaveLength(100);
    const over = write(generateSampleCsv({ rows: 101, seed: 5 }) + '\nnot,a,row\n');
    const e = await rejectedDomainError(readMarketDataFile(over, { market: 'btcusd' }, limits));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(
      `${over} line 102: more than 100 market-data events, the limit of a backtest and of all live backtests together (raise it with EXEC_MCP_BACKTEST_MAX_EVENTS); give less data or split it`,
    );
    // Candles are four events each: 26 candles are 104 events.
    const candles = ['timestamp,open,high,low,close,volume', ...Array.from({ length: 26 }, (_, i) => `${1767225600000 + i * 60_000},100,110,95,105,8`)].join('\n');
    expect((await rejectedDomainError(readMarketDataFile(write(candles), { market: 'btcusd' }, limits))).message).toMatch(/line 27: more than 100 market-data events/);
  });

  it('refuses a line longer than 1 MiB without waiting for its end', async () => {
    const file = write('timestamp,price,amount,side\n' + 'x'.repeat(2 * 1024 * 1024));
    expect((await rejectedDomainError(readMarketDataFile(file, { market: 'btcusd' }, roomy))).message).toBe(`${file} line 2: field "row": expected lines of at most 1048576 characters`);
  });
});

describe('readInlineMarketData', () => {
  it('refuses rows over the event limit naming the first row over it', async () => {
    const rows = Array.from({ length: 11 }, (_, i) => ({ timestamp: 1767225600000 + i, price: '1', amount: '1', side: 'buy' }));
    expect((await readInlineMarketData('trades', rows.slice(0, 10), 'btcusd', { maxEvents: 10 })).events).toHaveLength(10);
    expect((await rejectedDomainError(readInlineMarketData('trades', rows, 'btcusd', { maxEvents: 10 }))).message).toMatch(/^data\.trades\[10\]: more than 10 market-data events/);
  });
});
