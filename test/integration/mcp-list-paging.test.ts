/**
 * Cursor paging of list_orders and list_fills through the real SDK client against the real app:
 * every row exactly once, newest first, while new rows are inserted between pages; since/until;
 * a bad or foreign cursor is INVALID_ARGUMENT.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { useAppClient } from '../unit/mcp-app-client.ts';
import { fail, ok } from '../unit/mcp-harness.ts';

type Row = { order_id: string; created_at: string };
type FillRow = { fill_id: string; at: string };

const ctx = useAppClient();
const TOTAL = 2_500;

async function place(i: number, tag: string): Promise<string> {
  const { order } = await ctx.app.services.orders.placeOrder(
    'pager',
    { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: `${tag}-${i}` },
    'test',
  );
  return order.order_id;
}

async function pages<T>(client: Client, tool: string, args: Record<string, unknown>, key: 'orders' | 'fills', between?: (page: number) => Promise<void>): Promise<T[][]> {
  const out: T[][] = [];
  let cursor: string | undefined;
  do {
    const r = await ok(client, tool, { ...args, ...(cursor !== undefined ? { cursor } : {}) });
    out.push(r[key] as T[]);
    cursor = r.next_cursor as string | undefined;
    if (cursor !== undefined) expect(typeof cursor).toBe('string');
    await between?.(out.length);
  } while (cursor !== undefined && out.length < 1000);
  return out;
}

describe('list_orders cursor paging', () => {
  const placed: string[] = [];
  beforeAll(async () => {
    ctx.app.services.accounts.create({ name: 'pager', exchange: 'paper', exchange_account_id: 'pager', initial_balances: { USD: '100000', BTC: '1' } }, 'test');
    for (let i = 0; i < TOTAL; i++) placed.push(await place(i, 'p'));
  }, 120_000);

  it(`pages over ${TOTAL} orders, newest first, no row twice or missing, with orders added between pages`, async () => {
    const added: string[] = [];
    const got = await pages<Row>(ctx.client, 'list_orders', { account: 'pager', status: 'all', limit: 300 }, 'orders', async (page) => {
      // New orders land before the first page's head: they must not shift what the next pages return.
      for (let j = 0; j < 3; j++) added.push(await place(page * 10 + j, 'new'));
    });
    expect(got.length).toBe(Math.ceil(TOTAL / 300));
    expect(got.slice(0, -1).every((p) => p.length === 300)).toBe(true);
    const ids = got.flat().map((o) => o.order_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...placed].reverse());
    for (const id of added) expect(ids).not.toContain(id);
    const at = got.flat().map((o) => o.created_at);
    expect([...at].sort().reverse()).toEqual(at);
  }, 60_000);

  it('a last page that is exactly full has no next_cursor', async () => {
    ctx.app.services.accounts.create({ name: 'exact', exchange: 'paper', exchange_account_id: 'exact', initial_balances: { USD: '1000' } }, 'test');
    for (let i = 0; i < 4; i++)
      await ctx.app.services.orders.placeOrder('exact', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: `e-${i}` }, 'test');
    expect((await ok(ctx.client, 'list_orders', { account: 'exact', limit: 4 })).next_cursor).toBeUndefined();
    const one = await ok(ctx.client, 'list_orders', { account: 'exact', limit: 2 });
    const two = await ok(ctx.client, 'list_orders', { account: 'exact', limit: 2, cursor: one.next_cursor });
    expect((two.orders as Row[]).length).toBe(2);
    expect(two.next_cursor).toBeUndefined();
    expect((await ok(ctx.client, 'list_orders', { account: 'exact', limit: 5 })).next_cursor).toBeUndefined();
  });

  it('since/until bound created_at', async () => {
    const all = (await pages<Row>(ctx.client, 'list_orders', { account: 'pager', status: 'all', limit: 1000 }, 'orders')).flat();
    const mid = all[Math.floor(all.length / 2)]!.created_at;
    const newer = (await pages<Row>(ctx.client, 'list_orders', { account: 'pager', status: 'all', since: mid, limit: 1000 }, 'orders')).flat();
    const older = (await pages<Row>(ctx.client, 'list_orders', { account: 'pager', status: 'all', until: mid, limit: 1000 }, 'orders')).flat();
    expect(newer.every((o) => o.created_at >= mid)).toBe(true);
    expect(older.every((o) => o.created_at <= mid)).toBe(true);
    expect(newer.length).toBe(all.filter((o) => o.created_at >= mid).length);
    expect(older.length).toBe(all.filter((o) => o.created_at <= mid).length);
    expect(newer.length).toBeGreaterThan(0);
    expect(older.length).toBeLessThan(all.length);
  });

  it('a cursor that is not one, of another list or of another account is INVALID_ARGUMENT naming cursor', async () => {
    const r = await ok(ctx.client, 'list_orders', { account: 'pager', status: 'all', limit: 2 });
    const cursor = r.next_cursor as string;
    for (const bad of ['nonsense!', Buffer.from('{"k":"orders"}').toString('base64url'), 'AAAA']) {
      const e = await fail(ctx.client, 'list_orders', { account: 'pager', status: 'all', cursor: bad });
      expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: ['cursor'] } });
    }
    expect((await fail(ctx.client, 'list_fills', { account: 'pager', cursor })).message).toMatch(/a cursor of orders, not of fills/);
    expect((await fail(ctx.client, 'list_orders', { account: 'paper', status: 'all', cursor })).message).toMatch(/not on this account/);
  });
});

describe('list_fills cursor paging', () => {
  beforeAll(async () => {
    ctx.app.services.accounts.create({ name: 'filler', exchange: 'paper', exchange_account_id: 'filler', initial_balances: { USD: '100000', BTC: '1' } }, 'test');
  });

  async function marketBuys(n: number, tag: string): Promise<void> {
    for (let i = 0; i < n; i++)
      await ctx.app.services.orders.placeOrder('filler', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: `${tag}-${i}` }, 'test');
    await ctx.app.settle();
  }

  it('pages over every fill once, newest first, with fills added between pages; until bounds at', async () => {
    await marketBuys(23, 'f');
    const before = (await ok(ctx.client, 'list_fills', { account: 'filler', limit: 1000 })).fills as FillRow[];
    expect(before.length).toBeGreaterThanOrEqual(23);
    const got = await pages<FillRow>(ctx.client, 'list_fills', { account: 'filler', limit: 5 }, 'fills', async (page) => {
      if (page <= 2) await marketBuys(2, `nf${page}`);
    });
    const ids = got.flat().map((f) => f.fill_id);
    expect(ids).toEqual(before.map((f) => f.fill_id));
    const until = before[Math.floor(before.length / 2)]!.at;
    const older = (await ok(ctx.client, 'list_fills', { account: 'filler', until, limit: 1000 })).fills as FillRow[];
    expect(older.length).toBeGreaterThan(0);
    expect(older.every((f) => f.at <= until)).toBe(true);
  }, 60_000);
});
