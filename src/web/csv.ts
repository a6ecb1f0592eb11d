import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { HistoryPage } from '../services/ports.ts';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or starts/ends with a
 * space; quotes doubled. A text starting with = + @ or a tab is what a spreadsheet would run as a
 * formula: it gets a leading apostrophe (decimals never start so; a negative one starts with "-",
 * left as it is, which a spreadsheet reads as the number).
 */
export function csvField(v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (/^[=+@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly (string | number | boolean | undefined | null)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => string | number | undefined;
}

/** Rows per read while streaming a download: one short synchronous read, then the event loop again. */
const CSV_PAGE = 1000;

/**
 * Sends every row the filter matches (all pages, not only the one shown) as a CSV attachment,
 * streamed page by page through the service's cursor, so a large history never sits in memory.
 */
export function sendCsv<R, T>(
  ctx: Context,
  name: string,
  now: number,
  columns: readonly CsvColumn<T>[],
  read: (cursor: string | undefined, limit: number) => HistoryPage<R>,
  explode: (r: R) => T[],
): void {
  // Read the first page now, so a refused filter (bad cursor, unknown account) is an error page, not a broken download.
  const first = read(undefined, CSV_PAGE);
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(columns.map((c) => c.header));
    let page: HistoryPage<R> | undefined = first;
    while (page) {
      let chunk = '';
      for (const r of page.items) for (const row of explode(r)) chunk += csvLine(columns.map((c) => c.value(row)));
      yield chunk;
      page = page.next !== undefined ? read(page.next, CSV_PAGE) : undefined;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  ctx.set('Content-Disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${stamp}.csv"`);
  ctx.type = 'text/csv; charset=utf-8';
  ctx.body = Readable.from(lines());
}
