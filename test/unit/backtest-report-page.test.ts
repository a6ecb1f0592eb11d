/** The summary's pure parts: the equity curve bound and fills paging over a fixed report. */
import { describe, expect, it } from 'vitest';
import { EQUITY_POINTS_MAX, reportView, thinCurve } from '../../src/services/backtest-report-page.ts';
import type { BacktestReport } from '../../src/services/ports.ts';

const fill = (i: number) => ({ fill_id: `sim-${i}`, order_id: `o${i}`, market: 'btcusd', side: 'buy' as const, amount: '0.001', price: '50000', fee: '0.1', fee_currency: 'USD', liquidity: 'taker' as const, at: new Date(i * 1000).toISOString() });
const report = (fills: number, points: number): BacktestReport => ({
  backtest_id: 'b', clock: 'c', balances: [], fees_paid: {}, pnl: { quote_currency: 'USD', value: '0' }, pnl_by_currency: { USD: '0', EUR: '-1.25' }, digest: 'd',
  fills: Array.from({ length: fills }, (_, i) => fill(i + 1)),
  equity_curve: Array.from({ length: points }, (_, i) => ({ at: String(i).padStart(6, '0'), equity: String(i) })),
});

describe('backtest report summary', () => {
  it('thins a long curve to the bound, evenly, keeping first and last and the order', () => {
    const pts = Array.from({ length: 12_345 }, (_, i) => i);
    const t = thinCurve(pts);
    expect(t.length).toBe(EQUITY_POINTS_MAX);
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]).toBe(12_344);
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
    expect(thinCurve([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('pages fills oldest first, every one once; fills "all" is the report unchanged', () => {
    const r = report(250, 2_000);
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const v = reportView(r, { fills_limit: 100, ...(cursor !== undefined ? { fills_cursor: cursor } : {}) });
      ids.push(...v.fills.map((f) => f.fill_id));
      expect(v.fills_total).toBe(250);
      expect(v.pnl_by_currency).toEqual({ USD: '0', EUR: '-1.25' }); // the summary keeps every total
      expect(v.equity_curve.length).toBe(EQUITY_POINTS_MAX);
      cursor = v.next_fills_cursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(ids).toEqual(r.fills.map((f) => f.fill_id));
    expect(reportView(r, { fills: 'all' })).toEqual({ ...r, fills_total: 250 });
    expect(reportView(report(100, 3), {}).next_fills_cursor).toBeUndefined();
  });
});
