/**
 * Market-data replay input, synchronous readers: CSV with a header row, JSONL with the same field
 * names, or inline arrays. Every bad row is a DomainError INVALID_ARGUMENT naming the source, line
 * and field and what was expected (collect.ts). Used at start (paper replay), by the headless CLI
 * and tests; backtest_create, inside the running server, reads through bounded-read.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../src/domain/errors.ts';
import { bad, Collector, LineParser, LineSplitter, type MarketData, type ParseOptions } from './collect.ts';
import type { DataKind } from './rows.ts';

export type { MarketData, ParseOptions } from './collect.ts';

const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** Text in either format: JSONL when the first non-blank character is "{". */
export function parseMarketDataText(text: string, opts: ParseOptions): MarketData {
  const parser = new LineParser(opts);
  const lines = new LineSplitter(parser, opts);
  lines.push(text);
  lines.end();
  return parser.result();
}

/** The market a file is about when rows name none: "btcusd-trades.csv" -> "btcusd" if known. */
export function marketFromFileName(file: string, known: (m: string) => boolean): string | undefined {
  const m = /^([a-z0-9]{2,32})[-_.]/.exec(path.basename(file).toLowerCase());
  return m && known(m[1]!) ? m[1] : undefined;
}

export function parseMarketDataFile(file: string, opts: Omit<ParseOptions, 'source' | 'echo'>): MarketData {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    if (st.size > MAX_FILE_BYTES) throw new DomainError('INVALID_ARGUMENT', `data file ${file} is larger than 1 GiB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('INVALID_ARGUMENT', `data file ${file} does not exist or cannot be read`, { source: file });
  }
  return parseMarketDataText(text, { ...opts, source: file, echo: false });
}

/** Inline `{trades:[...]}` / `{candles:[...]}` / `{quotes:[...]}` from backtest_create. */
export function parseInlineMarketData(kind: DataKind, rows: unknown[], market: string, interval?: number): MarketData {
  const opts: ParseOptions = { source: `data.${kind}`, market, echo: true, ...(interval !== undefined ? { interval } : {}) };
  const c = new Collector(kind, opts);
  rows.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad(opts, i + 1, 'row', 'expected an object');
    c.add(r as Record<string, unknown>, i + 1);
  });
  return c.result();
}
