import type { Context } from 'koa';
import type { HistoryRange } from '../../services/ports.ts';
import { queryText } from './common.ts';

/** The since/until query of a history page as typed (shown back in the form) and as the service range. */
export interface RangeQuery {
  range: HistoryRange;
  values: { since: string; until: string };
  error?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * One bound in UTC: a day (YYYY-MM-DD: since = its start, until = the end of that day, so
 * "until 2026-01-15" includes the 15th) or an instant (a time without a zone is UTC, never the
 * server's or the browser's zone). Undefined when it is neither.
 */
export function utcBound(text: string, which: 'since' | 'until'): string | undefined {
  if (DAY.test(text)) {
    const t = Date.parse(`${text}T00:00:00Z`);
    if (!Number.isFinite(t)) return undefined;
    return new Date(which === 'until' ? t + 86_400_000 : t).toISOString();
  }
  if (!INSTANT.test(text)) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const t = Date.parse(zoned.replace(' ', 'T'));
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

export function rangeQuery(ctx: Context): RangeQuery {
  const since = queryText(ctx, 'since');
  const until = queryText(ctx, 'until');
  const out: RangeQuery = { range: {}, values: { since: since ?? '', until: until ?? '' } };
  const problems: string[] = [];
  for (const [which, text] of [['since', since], ['until', until]] as const) {
    if (text === undefined) continue;
    const iso = utcBound(text, which);
    if (iso === undefined) problems.push(`${which} must be a UTC day (2026-01-31) or time (2026-01-31T12:00Z), not "${text.slice(0, 40)}"`);
    else out.range[which] = iso;
  }
  if (out.range.since !== undefined && out.range.until !== undefined && out.range.since >= out.range.until) problems.push('since must be before until');
  if (problems.length > 0) out.error = problems.join('; ');
  return out;
}

/**
 * Links of a paged list: `older` is this page's query with the cursor of the next page, `newest`
 * the same query without a cursor (shown only on a later page). Other parameters stay as they are.
 */
export function pagerLinks(ctx: Context, cursorParam: string, next: string | undefined): { older?: string; newest?: string; csv: string } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(ctx.query)) {
    if (k === cursorParam || k === 'format' || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) if (one !== '') params.append(k, one);
  }
  const base = (p: URLSearchParams) => (p.size > 0 ? `${ctx.path}?${p.toString()}` : ctx.path);
  const csv = new URLSearchParams(params);
  csv.set('format', 'csv');
  const out: { older?: string; newest?: string; csv: string } = { csv: `${ctx.path}?${csv.toString()}` };
  if (next !== undefined) {
    const older = new URLSearchParams(params);
    older.set(cursorParam, next);
    out.older = base(older);
  }
  if (queryText(ctx, cursorParam) !== undefined) out.newest = base(params);
  return out;
}

export function wantsCsv(ctx: Context): boolean {
  return queryText(ctx, 'format') === 'csv';
}

/** Rows per page: `?limit=` (1-1000) when given, else the page's default. */
export function pageSize(ctx: Context, fallback: number): number {
  const t = queryText(ctx, 'limit');
  const n = t !== undefined && /^\d{1,4}$/.test(t) ? Number(t) : fallback;
  return Math.min(Math.max(n, 1), 1000);
}
