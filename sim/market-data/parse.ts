/**
 * Market-data replay input: CSV with a header row, JSONL with the same field names, or inline arrays
 * (backtest_create). Every bad row is a DomainError INVALID_ARGUMENT naming the source, line and
 * field and what was expected. Values read from FILES are never echoed back (a caller could point
 * us at a file that is not market data); inline values, which the caller sent, are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../src/domain/errors.ts';
import type { MarketEvent } from '../types.ts';
import { spreadCandles } from './candles.ts';
import { KIND_COLUMNS, KIND_HELP, kindOfColumns, rowProblem, rowToEvents, schemaOf, type DataKind } from './rows.ts';

export interface MarketData {
  kind: DataKind;
  events: MarketEvent[];
  markets: string[];
  first: number; // ms of the first event
  last: number;
  /** Candles: the interval each candle spans (ms), see candles.ts. */
  interval?: number;
}

export interface ParseOptions {
  /** Name used in error messages (file path, or "data.trades"). */
  source: string;
  /** Market of rows without a market field. */
  market: string;
  /** Echo offending values in messages (inline data only). */
  echo?: boolean;
  /** Candle interval in ms (default: the spacing of the data). */
  interval?: number;
}

const MAX_FILE_BYTES = 1024 * 1024 * 1024;

function bad(opts: ParseOptions, line: number, field: string, expected: string, got?: unknown): DomainError {
  const where = opts.source.startsWith('data.') ? `${opts.source}[${line - 1}]` : `${opts.source} line ${line}`;
  const shown = opts.echo && got !== undefined ? ` (got ${JSON.stringify(got)?.slice(0, 40)})` : '';
  return new DomainError('INVALID_ARGUMENT', `${where}: field "${field}": ${expected}${shown}`, {
    source: opts.source,
    line,
    field,
  });
}

class Collector {
  readonly events: MarketEvent[] = [];
  readonly markets = new Set<string>();
  private prevTs = -Infinity;
  private readonly schema;
  constructor(
    readonly kind: DataKind,
    readonly opts: ParseOptions,
  ) {
    this.schema = schemaOf(kind);
  }

  add(raw: Record<string, unknown>, line: number): void {
    const r = this.schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      if (issue.code === 'unrecognized_keys')
        throw bad(this.opts, line, this.opts.echo ? issue.keys.join(',') : 'row', `unexpected field; ${this.kind} rows allow ${KIND_COLUMNS[this.kind].join(', ')}`);
      const field = String(issue.path[0] ?? 'row');
      throw bad(this.opts, line, field, issue.message, issue.path.length ? raw[field] : undefined);
    }
    const row = r.data as Record<string, unknown>;
    const problem = rowProblem(this.kind, row);
    if (problem) throw bad(this.opts, line, problem[0], problem[1], raw[problem[0]]);
    const n = this.events.length;
    const ts = rowToEvents(this.kind, row, this.opts.market, this.events);
    if (ts < this.prevTs) {
      this.events.length = n;
      throw bad(this.opts, line, 'timestamp', 'expected rows in time order; this one is earlier than the row before', raw.timestamp);
    }
    this.prevTs = ts;
    this.markets.add((row.market as string | undefined) ?? this.opts.market);
  }

  result(): MarketData {
    if (this.events.length === 0) throw new DomainError('INVALID_ARGUMENT', `${this.opts.source}: no data rows`);
    const interval = this.kind === 'candles' ? spreadCandles(this.events, this.opts.interval, this.opts.source) : undefined;
    return {
      kind: this.kind,
      events: this.events,
      markets: [...this.markets].sort(),
      first: this.events[0]!.ts,
      last: this.events[this.events.length - 1]!.ts,
      ...(interval !== undefined ? { interval } : {}),
    };
  }
}

/** Splits text into [lineNumber, line] pairs, skipping blank lines; fast (no regex, no split of the whole). */
function* lines(text: string): Generator<[number, string]> {
  let start = 0;
  let n = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    let s = text.slice(start, end);
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    if (s.trim() !== '') yield [n, s];
    start = end + 1;
  }
}

function parseCsv(text: string, opts: ParseOptions): MarketData {
  const it = lines(text);
  const head = it.next();
  if (head.done) throw new DomainError('INVALID_ARGUMENT', `${opts.source}: empty; expected a header row naming ${KIND_HELP}`);
  const [headLine, header] = head.value;
  const cols = header.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  const kind = kindOfColumns(cols);
  if (!kind) throw bad(opts, headLine, 'header', `expected a header row naming ${KIND_HELP}`);
  cols.forEach((c, i) => {
    if (!KIND_COLUMNS[kind].includes(c) || c === 'bids' || c === 'asks' || cols.indexOf(c) !== i)
      throw bad(opts, headLine, `column ${i + 1}`, `unexpected or repeated column; ${kind} files allow ${KIND_COLUMNS[kind].filter((k) => k !== 'bids' && k !== 'asks').join(', ')}`);
  });
  const c = new Collector(kind, opts);
  const width = cols.length;
  for (const [n, line] of it) {
    const cells = line.split(',');
    if (cells.length !== width) throw bad(opts, n, 'row', `expected ${width} comma-separated values, found ${cells.length}`);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) {
      let v = cells[i]!;
      if (v.charCodeAt(0) === 34) v = v.replace(/^"|"$/g, '');
      if (v !== '') row[cols[i]!] = v; // an empty optional cell (market) is absent
    }
    c.add(row, n);
  }
  return c.result();
}

function parseJsonl(text: string, opts: ParseOptions): MarketData {
  let c: Collector | undefined;
  for (const [n, line] of lines(text)) {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw bad(opts, n, 'row', 'expected one JSON object per line');
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw bad(opts, n, 'row', 'expected one JSON object per line');
    if (!c) {
      const kind = kindOfColumns(Object.keys(obj));
      if (!kind) throw bad(opts, n, 'row', `cannot tell the kind of data; expected ${KIND_HELP}`);
      c = new Collector(kind, opts);
    }
    c.add(obj as Record<string, unknown>, n);
  }
  if (!c) throw new DomainError('INVALID_ARGUMENT', `${opts.source}: no data rows`);
  return c.result();
}

/** Text in either format: JSONL when the first non-blank character is "{". */
export function parseMarketDataText(text: string, opts: ParseOptions): MarketData {
  const first = text.trimStart()[0];
  return first === '{' ? parseJsonl(text, opts) : parseCsv(text, opts);
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
