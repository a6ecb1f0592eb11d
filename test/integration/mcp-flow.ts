/**
 * The acceptance flow of issue 7, run by an SDK Client over any transport against the real app:
 * discover → preview → place → observe the resource update → fill → balances/history → cancel
 * another → list fills. Also checks that every contract tool is listed with annotations and schemas.
 */
import { expect } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { CONTRACT_EXECUTION_TOOLS, CONTRACT_READ_TOOLS, CONTRACT_TOOLS, ok } from '../unit/mcp-harness.ts';

type Order = { order_id: string; client_order_id: string; status: string; filled_amount: string; account: string };

export async function expectContractTools(client: Client, readOnly = false): Promise<void> {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  expect(names).toEqual([...(readOnly ? CONTRACT_READ_TOOLS : CONTRACT_TOOLS)].sort());
  for (const t of tools) {
    expect(t.inputSchema.type, t.name).toBe('object');
    expect(t.outputSchema?.type, t.name).toBe('object');
    expect(t.annotations, t.name).toBeDefined();
    const readTool = (CONTRACT_READ_TOOLS as readonly string[]).includes(t.name);
    if (readTool) expect(t.annotations!.readOnlyHint, t.name).toBe(true);
    if (['place_order', 'cancel_order', 'cancel_all_orders'].includes(t.name)) expect(t.annotations!.destructiveHint, t.name).toBe(true);
  }
  if (readOnly) for (const n of CONTRACT_EXECUTION_TOOLS) expect(names).not.toContain(n);
}

async function waitFor<T>(what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function runPaperFlow(client: Client, tag: string): Promise<void> {
  // discover
  const exchanges = (await ok(client, 'list_exchanges', {})).exchanges as { id: string; paper: boolean }[];
  expect(exchanges.find((e) => e.id === 'paper')?.paper).toBe(true);
  const accounts = (await ok(client, 'list_accounts', { exchange: 'paper' })).accounts as { name: string; exchange_account_id: string }[];
  const paper = accounts.find((a) => a.name === 'paper');
  expect(paper).toBeDefined();
  const ref = `paper:${paper!.exchange_account_id}`;
  const rules = await ok(client, 'get_market_rules', { exchange: 'paper', market: 'btcusd' });
  expect(rules).toMatchObject({ market: 'btcusd', base: 'BTC', quote: 'USD' });
  const before = await ok(client, 'get_balances', { account: ref, refresh: true });
  const btcBefore = (before.balances as { currency: string; total: string }[]).find((b) => b.currency === 'BTC')!.total;

  // preview: a bad one lists the problem, a good one is valid and sends nothing
  const bad = await ok(client, 'preview_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.123456789', price: '40000' });
  expect(bad.valid).toBe(false);
  expect((bad.problems as { code: string }[]).map((p) => p.code)).toContain('PRECISION_VIOLATION');
  const good = await ok(client, 'preview_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' });
  expect(good).toMatchObject({ valid: true, problems: [], estimated_notional: '400' });

  // subscribe, then place a resting order and observe the resource update
  const updates: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  const uri = `orders://${encodeURIComponent(ref)}/open`;
  await client.subscribeResource({ uri });
  const rest = (await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', client_order_id: `${tag}-rest` })).order as Order;
  const again = (await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', client_order_id: `${tag}-rest` })).order as Order;
  expect(again.order_id).toBe(rest.order_id);
  await waitFor('a resource update', async () => updates.length, (n) => n > 0);
  expect(updates[0]).toBe(uri);
  await waitFor('the resting order to open', async () => ((await ok(client, 'get_order', { account: ref, order_id: rest.order_id })).order as Order).status, (s) => s === 'open');
  const read = await client.readResource({ uri });
  const content = read.contents[0]!;
  const openOrders = JSON.parse('text' in content ? content.text : '{}').orders as Order[];
  expect(openOrders.map((o) => o.order_id)).toContain(rest.order_id);

  // fill: a market buy against the fixed paper price
  const updatesBeforeFill = updates.length;
  const mkt = (await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.01', client_order_id: `${tag}-mkt` })).order as Order;
  const filled = await waitFor('the market order to fill', async () => (await ok(client, 'get_order', { account: 'paper', client_order_id: `${tag}-mkt` })).order as Order, (o) => o.status === 'filled');
  expect(filled.filled_amount).toBe('0.01');
  await waitFor('a resource update for the fill', async () => updates.length, (n) => n > updatesBeforeFill);

  // balances and history
  const after = await ok(client, 'get_balances', { account: 'paper', refresh: true });
  const btcAfter = (after.balances as { currency: string; total: string }[]).find((b) => b.currency === 'BTC')!.total;
  expect(Number(btcAfter) - Number(btcBefore)).toBeCloseTo(0.01, 8);
  const history = (await ok(client, 'get_balance_history', { account: 'paper', currency: 'BTC' })).snapshots as { at: string; balances: { currency: string }[] }[];
  expect(history.length).toBeGreaterThanOrEqual(2);
  expect(history.every((s) => s.balances.every((b) => b.currency === 'BTC'))).toBe(true);

  // cancel the other (resting) order
  await ok(client, 'cancel_order', { account: 'paper', order_id: rest.order_id });
  await waitFor('the cancel', async () => ((await ok(client, 'get_order', { account: 'paper', order_id: rest.order_id })).order as Order).status, (s) => s === 'cancelled');
  const open = (await ok(client, 'list_orders', { account: 'paper', status: 'open' })).orders as Order[];
  expect(open.map((o) => o.order_id)).not.toContain(rest.order_id);

  // list fills
  const fills = (await ok(client, 'list_fills', { account: 'paper', market: 'btcusd' })).fills as { order_id: string; amount: string; price: string }[];
  const mine = fills.filter((f) => f.order_id === mkt.order_id);
  expect(mine.length).toBeGreaterThan(0);
  expect(mine.reduce((s, f) => s + Number(f.amount), 0)).toBeCloseTo(0.01, 8);
  await client.unsubscribeResource({ uri });
}
