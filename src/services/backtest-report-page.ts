/**
 * backtest_report as a summary (the default): every total of the full report, the fills one page
 * at a time (oldest first, as in the report; later fills only append, so a cursor stays valid while
 * the backtest advances) and the equity curve thinned to a bounded number of points. `fills: "all"`
 * is the full report unchanged. `digest` always covers every fill.
 */
import type { FillView } from '../domain/order.ts';
import type { BacktestReport } from './ports.ts';
import { cursorRowGone, decodeCursor, encodeCursor } from './page-cursor.ts';

export const REPORT_FILLS_DEFAULT = 100;
export const EQUITY_POINTS_MAX = 500;

export interface ReportPaging {
  fills?: 'page' | 'all' | undefined;
  fills_limit?: number | undefined;
  fills_cursor?: string | undefined;
}

export type ReportSummary = BacktestReport & { fills_total: number; next_fills_cursor?: string };

/** At most `max` points, evenly spread over the curve, first and last always kept. */
export function thinCurve<T>(points: readonly T[], max = EQUITY_POINTS_MAX): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))] as T);
  return out;
}

function fillsPage(fills: readonly FillView[], limit: number, cursor: string | undefined): { fills: FillView[]; next_fills_cursor?: string } {
  let start = 0;
  if (cursor !== undefined) {
    const id = decodeCursor('fills', cursor, 'fills_cursor');
    const at = fills.findIndex((f) => f.fill_id === id);
    if (at < 0) throw cursorRowGone('fills_cursor');
    start = at + 1;
  }
  const page = fills.slice(start, start + limit);
  const more = start + limit < fills.length && page.length > 0;
  return { fills: page, ...(more ? { next_fills_cursor: encodeCursor('fills', page[page.length - 1]!.fill_id) } : {}) };
}

export function reportView(r: BacktestReport, p: ReportPaging): ReportSummary {
  if (p.fills === 'all') return { ...r, fills_total: r.fills.length };
  const page = fillsPage(r.fills, p.fills_limit ?? REPORT_FILLS_DEFAULT, p.fills_cursor);
  return { ...r, ...page, fills_total: r.fills.length, equity_curve: thinCurve(r.equity_curve) };
}
