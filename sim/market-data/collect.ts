/**
 * The line-at-a-time core of market-data parsing, shared by the synchronous readers (parse.ts) and
 * the bounded streaming reader (bounded-read.ts): CSV or JSONL told apart by the first non-blank
 * line, each row checked (zod) and turned into engine events as it arrives, so a reader can stop
 * at an event budget without holding the rest of the file. Values read from FILES are never
 * echoed back (a caller could point us at a file that is not market data); inline values are.
 */
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
  /** Refuse once the data holds more events than this (a candle is four). */
  maxEvents?: number;
  /** Setting that raises maxEvents, named in the refusal (e.g. "EXEC_MCP_BACKTEST_MAX_EVENTS"). */
  maxEventsSetting?: string;
  /** Events of earlier sources of the same backtest, counted against maxEvents (mixed data). */
  eventsBefore?: number;
  /** Candle interval in ms (default: the spacing of the data). */
  interval?: number;
}

/** Longest line a file may have: a quote row with 1,000 levels a side is far below it. */
export const MAX_LINE_CHARS = 1024 * 1024;

function where(opts: ParseOptions, line: number): string {
  return opts.source.startsWith('data.') ? `${opts.source}[${line - 1}]` : `${opts.source} line ${line}`;
}

export function bad(opts: ParseOptions, line: number, field: string, expected: string, got?: unknown): DomainError {
  const shown = opts.echo && got !== undefined ? ` (got ${JSON.stringify(got)?.slice(0, 40)})` : '';
  return new DomainError('INVALID_ARGUMENT', `${where(opts, line)}: field "${field}": ${expected}${shown}`, {
    source: opts.source,
    line,
    field,
  });
}

export function tooManyEvents(opts: ParseOptions, line: number): DomainError {
  const raise = opts.maxEventsSetting ? ` (raise it with ${opts.maxEventsSetting})` : '';
  return new DomainError(
    'INVALID_ARGUMENT',
    `${where(opts, line)}: more than ${opts.maxEvents} market-data events, the limit of a backtest and of all live backtests together${raise}; give less data or split it`,
    { source: opts.source, line, field: 'data', max_events: opts.maxEvents },
  );
}

export class Collector {
  readonly events: MarketEvent[] = [];
  readonly markets = new Set<string>();
  private prevTs = -Infinity;
  private readonly schema;
  /** Most events this source may add: maxEvents less what earlier sources used. */
  private readonly cap: number | undefined;
  constructor(
    readonly kind: DataKind,
    readonly opts: ParseOptions,
  ) {
    this.schema = schemaOf(kind);
    this.cap = opts.maxEvents === undefined ? undefined : opts.maxEvents - (opts.eventsBefore ?? 0);
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
    if (this.cap !== undefined && this.events.length > this.cap) {
      this.events.length = 0; // let the memory go before the refusal travels up
      throw tooManyEvents(this.opts, line);
    }
    this.prevTs = ts;
    this.markets.add((row.market as string | undefined) ?? this.opts.market);
  }

  result(): MarketData {
    if (this.events.length === 0) throw new DomainError('INVALID_ARGUMENT', `${this.opts.source}: no data rows`);
    // Candles are spread over their interval once all are in (the spacing needs every open).
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

/** Parses file text one line at a time: give it every non-blank line (CR stripped) with its number. */
export class LineParser {
  private format: 'csv' | 'jsonl' | undefined;
  private c: Collector | undefined;
  private cols: string[] = [];

  constructor(private readonly opts: ParseOptions) {}

  /** Events so far. */
  get events(): number {
    return this.c?.events.length ?? 0;
  }

  line(n: number, s: string): void {
    if (this.format === undefined) {
      // JSONL when the first non-blank character of the text is "{".
      this.format = s.trimStart()[0] === '{' ? 'jsonl' : 'csv';
      if (this.format === 'csv') return this.header(n, s);
    }
    if (this.format === 'csv') this.csvRow(n, s);
    else this.jsonlRow(n, s);
  }

  result(): MarketData {
    if (this.format === undefined) throw new DomainError('INVALID_ARGUMENT', `${this.opts.source}: empty; expected a header row naming ${KIND_HELP}`);
    if (!this.c) throw new DomainError('INVALID_ARGUMENT', `${this.opts.source}: no data rows`);
    return this.c.result();
  }

  private header(n: number, header: string): void {
    const opts = this.opts;
    const cols = header.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
    const kind = kindOfColumns(cols);
    if (!kind) throw bad(opts, n, 'header', `expected a header row naming ${KIND_HELP}`);
    cols.forEach((c, i) => {
      if (!KIND_COLUMNS[kind].includes(c) || c === 'bids' || c === 'asks' || cols.indexOf(c) !== i)
        throw bad(opts, n, `column ${i + 1}`, `unexpected or repeated column; ${kind} files allow ${KIND_COLUMNS[kind].filter((k) => k !== 'bids' && k !== 'asks').join(', ')}`);
    });
    this.cols = cols;
    this.c = new Collector(kind, opts);
  }

  private csvRow(n: number, line: string): void {
    const cols = this.cols;
    const width = cols.length;
    const cells = line.split(',');
    if (cells.length !== width) throw bad(this.opts, n, 'row', `expected ${width} comma-separated values, found ${cells.length}`);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) {
      let v = cells[i]!;
      if (v.charCodeAt(0) === 34) v = v.replace(/^"|"$/g, '');
      if (v !== '') row[cols[i]!] = v; // an empty optional cell (market) is absent
    }
    this.c!.add(row, n);
  }

  private jsonlRow(n: number, line: string): void {
    const opts = this.opts;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw bad(opts, n, 'row', 'expected one JSON object per line');
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw bad(opts, n, 'row', 'expected one JSON object per line');
    if (!this.c) {
      const kind = kindOfColumns(Object.keys(obj));
      if (!kind) throw bad(opts, n, 'row', `cannot tell the kind of data; expected ${KIND_HELP}`);
      this.c = new Collector(kind, opts);
    }
    this.c.add(obj as Record<string, unknown>, n);
  }
}

/**
 * Cuts text that arrives in pieces into lines for a LineParser: numbers every "\n"-separated line,
 * strips a trailing CR, skips blank ones, and refuses a line longer than MAX_LINE_CHARS (one line
 * is parsed in one go, so its length bounds the time the parser holds the thread).
 */
export class LineSplitter {
  private rest = '';
  private n = 0;

  constructor(
    private readonly parser: LineParser,
    private readonly opts: ParseOptions,
  ) {}

  push(text: string): void {
    let buf = this.rest + text;
    let start = 0;
    for (;;) {
      const end = buf.indexOf('\n', start);
      if (end < 0) break;
      this.emit(buf.slice(start, end));
      start = end + 1;
    }
    buf = buf.slice(start);
    if (buf.length > MAX_LINE_CHARS) throw this.tooLong(this.n + 1);
    this.rest = buf;
  }

  end(): void {
    if (this.rest.length > 0) this.emit(this.rest);
    this.rest = '';
  }

  private emit(raw: string): void {
    this.n++;
    if (raw.length > MAX_LINE_CHARS) throw this.tooLong(this.n);
    const s = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (s.trim() !== '') this.parser.line(this.n, s);
  }

  private tooLong(line: number): DomainError {
    return bad(this.opts, line, 'row', `expected lines of at most ${MAX_LINE_CHARS} characters`);
  }
}
