/**
 * backtest_report through the real SDK client: a summary by default (one page of fills, oldest
 * first, equity curve thinned to at most 500 points with first and last kept), fills paged with
 * fills_cursor also while the backtest advances, and `fills: "all"` the full report as before.
 */
import { describe, expect, it } from 'vitest';
import { useAppClient } from '../unit/mcp-app-client.ts';
import { fail, ok } from '../unit/mcp-harness.ts';

type Fill = { fill_id: string; at: string };
type Point = { at: string; equity: string };
const ctx = useAppClient();

const trades = Array.from({ length: 1_500 }, (_, i) => ({
  timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  price: String(50_000 + (i % 7) * 10),
  amount: '0.1',
  side: i % 2 === 0 ? 'buy' : 'sell',
}));

async function marketOrders(account: string, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++)
    await ctx.app.services.orders.placeOrder(account, { market: 'btcusd', side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', amount: '0.001', client_order_id: `${tag}-${i}` }, 'test');
}

describe('backtest_report summary and fills paging', () => {
  it('pages every fill once, in report order, with fills added between pages; fills "all" is the full report', async () => {
    const { client } = ctx;
    const bt = await ok(client, 'backtest_create', { data: { trades }, initial_balances: { USD: '100000', BTC: '1' } });
    const id = bt.backtest_id as string;
    const account = bt.account as string;
    for (let k = 0; k < 3; k++) {
      await ok(client, 'backtest_advance', { backtest_id: id, steps: 100 });
      await marketOrders(account, 60, `a${k}`);
    }
    await ok(client, 'backtest_advance', { backtest_id: id, steps: 100 });

    const first = await ok(client, 'backtest_report', { backtest_id: id, fills_limit: 50 });
    expect((first.fills as Fill[]).length).toBe(50);
    expect(first.fills_total).toBeGreaterThanOrEqual(180);
    const seen = [...(first.fills as Fill[])];
    let cursor = first.next_fills_cursor as string | undefined;
    expect(cursor).toBeDefined();

    // More fills while paging: they append after the ones already seen.
    await marketOrders(account, 40, 'b');
    await ok(client, 'backtest_advance', { backtest_id: id });
    while (cursor !== undefined) {
      const r = await ok(client, 'backtest_report', { backtest_id: id, fills_limit: 50, fills_cursor: cursor });
      seen.push(...(r.fills as Fill[]));
      cursor = r.next_fills_cursor as string | undefined;
    }

    const full = await ok(client, 'backtest_report', { backtest_id: id, fills: 'all' });
    const all = full.fills as Fill[];
    expect(all.length).toBeGreaterThanOrEqual(220);
    expect(seen.map((f) => f.fill_id)).toEqual(all.map((f) => f.fill_id));
    expect(full.fills_total).toBe(all.length);
    expect(full.next_fills_cursor).toBeUndefined();

    const summary = await ok(client, 'backtest_report', { backtest_id: id });
    expect((summary.fills as Fill[]).length).toBe(100);
    expect((summary.fills as Fill[]).map((f) => f.fill_id)).toEqual(all.slice(0, 100).map((f) => f.fill_id));
    expect(summary.digest).toBe(full.digest);
    expect(summary.pnl).toEqual(full.pnl);
    expect(summary.balances).toEqual(full.balances);

    const curve = full.equity_curve as Point[];
    const thin = summary.equity_curve as Point[];
    // The session samples about 500 points already; the summary guarantees at most 500, a subset of the full curve.
    expect(curve.length).toBeGreaterThan(100);
    expect(thin.length).toBeLessThanOrEqual(500);
    const full_at = new Set(curve.map((p) => p.at));
    expect(thin.every((p) => full_at.has(p.at))).toBe(true);
    expect(thin[0]).toEqual(curve[0]);
    expect(thin[thin.length - 1]).toEqual(curve[curve.length - 1]);
    const at = thin.map((p) => p.at);
    expect([...at].sort()).toEqual(at);
    expect(new Set(at).size).toBe(at.length);
    expect(JSON.stringify(summary).length).toBeLessThan(JSON.stringify(full).length);
  }, 120_000);

  it('a fills_cursor that is not one, or of another list, is INVALID_ARGUMENT naming fills_cursor', async () => {
    const bt = await ok(ctx.client, 'backtest_create', { data: { trades: trades.slice(0, 10) }, initial_balances: { USD: '1000' } });
    const e = await fail(ctx.client, 'backtest_report', { backtest_id: bt.backtest_id, fills_cursor: 'zzz' });
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: ['fills_cursor'] } });
    const orders = await ok(ctx.client, 'list_orders', { account: 'paper', status: 'all', limit: 1 });
    if (orders.next_cursor !== undefined)
      expect((await fail(ctx.client, 'backtest_report', { backtest_id: bt.backtest_id, fills_cursor: orders.next_cursor })).message).toMatch(/a cursor of orders/);
    const gone = Buffer.from(JSON.stringify({ k: 'fills', id: 'sim-999999' })).toString('base64url');
    expect((await fail(ctx.client, 'backtest_report', { backtest_id: bt.backtest_id, fills_cursor: gone })).details).toEqual({ fields: ['fills_cursor'] });
  });
});
