/**
 * Bounded reads of market data for backtest_create, which runs inside the server that carries live
 * orders (a 520 MB CSV once held it for over a minute, /healthz silent). A file over the byte
 * limit is refused from its size before a byte of it is read. Otherwise it is read in 16 KiB
 * chunks, each an awaited I/O, so timers and HTTP run between chunks, and parsed as it arrives,
 * stopping at the first event over the event limit. Inline rows are checked in slices with a
 * yield between slices. Same rows, same events as the synchronous readers (parse.ts).
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DomainError } from '../../src/domain/errors.ts';
import { bad, Collector, LineParser, LineSplitter, type MarketData, type ParseOptions } from './collect.ts';
import type { DataKind } from './rows.ts';

export interface ReadLimits {
  /** Largest file read, in bytes. */
  maxBytes: number;
  /** Most events the data may hold (a candle is four). */
  maxEvents: number;
  /** Settings that raise the limits, named in refusals. */
  maxBytesSetting?: string;
  maxEventsSetting?: string;
  /** Bytes per read (tests use tiny ones to cut lines and characters across reads). */
  chunkBytes?: number;
  /**
   * Mixed data: what the earlier sources of the same backtest used, counted against the limits
   * (they hold for the sum); each read adds its bytes and events.
   */
  spent?: { bytes: number; events: number };
}

/** About 350 trade rows: a few ms of parsing between two reads, even on a busy machine. */
const CHUNK_BYTES = 16 * 1024;
/** Inline rows checked between two yields: a few ms of zod, even for quote rows with levels. */
const INLINE_SLICE_ROWS = 500;

function sizeText(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

function tooBig(file: string, limits: ReadLimits): DomainError {
  const raise = limits.maxBytesSetting ? ` (raise it with ${limits.maxBytesSetting})` : '';
  const what = limits.spent && limits.spent.bytes > 0 ? `data file ${file} with the files before it` : `data file ${file}`;
  return new DomainError(
    'INVALID_ARGUMENT',
    `${what} is larger than ${sizeText(limits.maxBytes)}, the backtest file limit${raise}; give a shorter file or split it`,
    { source: file, field: 'data', max_bytes: limits.maxBytes },
  );
}

/** A market-data file (CSV or JSONL), refused beyond `limits` without reading past them. */
export async function readMarketDataFile(file: string, opts: { market: string; interval?: number }, limits: ReadLimits): Promise<MarketData> {
  const unreadable = (): DomainError => new DomainError('INVALID_ARGUMENT', `data file ${file} does not exist or cannot be read`, { source: file });
  // stat before open: opening a FIFO would wait for a writer; a device or folder is no data file.
  const st = await fs.promises.stat(file).catch(() => undefined);
  if (!st?.isFile()) throw unreadable();
  const maxBytes = limits.maxBytes - (limits.spent?.bytes ?? 0);
  if (st.size > maxBytes) throw tooBig(file, limits);
  const fh = await fs.promises.open(file, 'r').catch(() => undefined);
  if (!fh) throw unreadable();
  try {
    const popts: ParseOptions = { source: file, market: opts.market, echo: false, maxEvents: limits.maxEvents };
    if (limits.maxEventsSetting) popts.maxEventsSetting = limits.maxEventsSetting;
    if (limits.spent) popts.eventsBefore = limits.spent.events;
    if (opts.interval !== undefined) popts.interval = opts.interval;
    const parser = new LineParser(popts);
    const lines = new LineSplitter(parser, popts);
    const decoder = new StringDecoder('utf8');
    const chunk = limits.chunkBytes ?? CHUNK_BYTES;
    const buf = Buffer.allocUnsafe(chunk);
    let total = 0;
    for (;;) {
      const n = await fh.read(buf, 0, chunk, null).then(
        (r) => r.bytesRead,
        () => undefined,
      );
      if (n === undefined) throw unreadable();
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooBig(file, limits); // it grew after the stat
      lines.push(decoder.write(buf.subarray(0, n)));
    }
    lines.push(decoder.end());
    lines.end();
    const data = parser.result();
    if (limits.spent) {
      limits.spent.bytes += total;
      limits.spent.events += data.events.length;
    }
    return data;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Inline `{trades:[...]}` / `{candles:[...]}` / `{quotes:[...]}` rows, refused beyond the event limit. */
export async function readInlineMarketData(
  kind: DataKind,
  rows: readonly unknown[],
  market: string,
  limits: Pick<ReadLimits, 'maxEvents' | 'maxEventsSetting' | 'spent'>,
  interval?: number,
): Promise<MarketData> {
  const opts: ParseOptions = { source: `data.${kind}`, market, echo: true, maxEvents: limits.maxEvents };
  if (limits.maxEventsSetting) opts.maxEventsSetting = limits.maxEventsSetting;
  if (limits.spent) opts.eventsBefore = limits.spent.events;
  if (interval !== undefined) opts.interval = interval;
  const c = new Collector(kind, opts);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad(opts, i + 1, 'row', 'expected an object');
    c.add(r as Record<string, unknown>, i + 1);
    if (i % INLINE_SLICE_ROWS === INLINE_SLICE_ROWS - 1) await nextTurn();
  }
  const data = c.result();
  if (limits.spent) limits.spent.events += data.events.length;
  return data;
}
