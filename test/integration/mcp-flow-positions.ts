/**
 * Issue 20's fresh balances, fills resource and get_positions, run by an SDK Client over any
 * transport against the real app's default paper account (after runPaperFlow, whose fills it counts in).
 */
import { expect } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { ok } from '../unit/mcp-harness.ts';

type Balance = { currency: string; total: string; reserved: string };
type Fill = { order_id: string; side: string; amount: string };

const balance = async (client: Client, cur: string): Promise<Balance> =>
  ((await ok(client, 'get_balances', { account: 'paper' })).balances as Balance[]).find((b) => b.currency === cur)!;

export async function runPositionsFlow(client: Client, tag: string): Promise<void> {
  const uri = 'fills://paper%3Apaper/recent';
  const updates: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  await client.subscribeResource({ uri });

  // Fresh balances, no refresh: a resting buy reserves at once, its cancel releases at once.
  const usd0 = await balance(client, 'USD');
  const btc0 = await balance(client, 'BTC');
  await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '30000', client_order_id: `${tag}-fresh` });
  expect(Number((await balance(client, 'USD')).reserved) - Number(usd0.reserved)).toBeGreaterThanOrEqual(30);
  await ok(client, 'cancel_order', { account: 'paper', client_order_id: `${tag}-fresh` });
  expect((await balance(client, 'USD')).reserved).toBe(usd0.reserved);
  expect(updates).not.toContain(uri);

  // A fill: notified on fills://, the read shows it, balances moved.
  const placed = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: `${tag}-fill` });
  const orderId = (placed.order as { order_id: string }).order_id;
  const until = Date.now() + 15_000;
  while (!updates.includes(uri)) {
    if (Date.now() > until) throw new Error('no fills:// notification');
    await new Promise((r) => setTimeout(r, 25));
  }
  const content = (await client.readResource({ uri })).contents[0]!;
  const recent = (JSON.parse('text' in content ? content.text : '{}') as { fills: Fill[] }).fills;
  expect(recent[0]!.order_id).toBe(orderId);
  expect(Number((await balance(client, 'BTC')).total) - Number(btc0.total)).toBeCloseTo(0.001, 8);
  await client.unsubscribeResource({ uri });

  // Positions: the net of every btcusd fill, valued at a mark.
  const fills = (await ok(client, 'list_fills', { account: 'paper', market: 'btcusd', limit: 1000 })).fills as Fill[];
  const net = fills.reduce((s, f) => s + (f.side === 'buy' ? 1 : -1) * Number(f.amount), 0);
  const positions = (await ok(client, 'get_positions', { account: 'paper' })).positions as Record<string, string | null>[];
  const btc = positions.find((p) => p.market === 'btcusd')!;
  expect(btc).toMatchObject({ currency: 'BTC', quote_currency: 'USD' });
  expect(Number(btc.amount)).toBeCloseTo(net, 8);
  expect(btc.average_cost).not.toBeNull();
  expect(btc.mark_price).not.toBeNull();
  expect(btc.unrealized_pnl).not.toBeNull();
}
