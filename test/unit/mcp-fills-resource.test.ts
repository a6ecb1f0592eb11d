/** fills://<account>/recent over the SDK client against the real app: a fill notifies subscribers, a resting order does not. */
import { describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { FillDetector } from '../../src/mcp/fill-detector.ts';
import { useAppClient } from './mcp-app-client.ts';
import { ok } from './mcp-harness.ts';

const env = useAppClient();

type Fill = { fill_id: string; order_id: string; amount: string };

async function readFills(uri: string): Promise<{ account: string; fills: Fill[] }> {
  const content = (await env.client.readResource({ uri })).contents[0]!;
  return JSON.parse('text' in content ? content.text : '{}') as { account: string; fills: Fill[] };
}

describe('fills://<account>/recent', () => {
  it('notifies a subscriber on every fill (not on other order changes), and the read shows the fill', async () => {
    const { client } = env;
    const uri = 'fills://paper%3Apaper/recent';
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain(uri);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await client.subscribeResource({ uri });
    expect((await readFills(uri)).fills).toEqual([]);

    // A resting order changes orders, not fills.
    await client.subscribeResource({ uri: 'orders://paper/open' });
    await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '40000', client_order_id: 'fr-rest' });
    await expect.poll(() => updates.includes('orders://paper/open')).toBe(true);
    await env.app.settle();
    expect(updates).not.toContain(uri);

    const placed = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.002', client_order_id: 'fr-mkt' });
    const orderId = (placed.order as { order_id: string }).order_id;
    await expect.poll(() => updates.filter((u) => u === uri).length).toBe(1);
    await env.app.settle();
    expect(updates.filter((u) => u === uri)).toHaveLength(1); // one fill, one notification
    const read = await readFills(uri);
    expect(read.account).toBe('paper:paper'); // the reference as the URI gives it, like orders://
    expect(read.fills.map((f) => [f.order_id, f.amount])).toEqual([[orderId, '0.002']]);

    await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'sell', type: 'market', amount: '0.001', client_order_id: 'fr-mkt2' });
    await expect.poll(() => updates.filter((u) => u === uri).length).toBe(2);
    expect((await readFills(uri)).fills.map((f) => f.amount)).toEqual(['0.001', '0.002']); // newest first

    await client.unsubscribeResource({ uri });
    await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: 'fr-mkt3' });
    await env.app.settle();
    expect(updates.filter((u) => u === uri)).toHaveLength(2);
    await ok(client, 'cancel_order', { account: 'paper', client_order_id: 'fr-rest' });
  });

  it('holds at most the last 100 fills', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 103; i++) {
      const o = await ok(env.client, 'place_order', { account: 'paper', market: 'btcusd', side: i % 2 ? 'sell' : 'buy', type: 'market', amount: '0.0003', client_order_id: `fr-many-${i}` });
      ids.push((o.order as { order_id: string }).order_id);
    }
    await env.app.settle();
    const fills = (await readFills('fills://paper/recent')).fills;
    expect(fills).toHaveLength(100);
    expect(fills[0]!.order_id).toBe(ids.at(-1));
  });
});

describe('FillDetector', () => {
  it('reports growth of filled_amount only, from the seeded amount, and forgets ended orders', () => {
    const d = new FillDetector();
    d.seed([{ order_id: 'a', filled_amount: '0.5', status: 'partially_filled' }]);
    expect(d.filled({ order_id: 'a', filled_amount: '0.5', status: 'cancelling' })).toBe(false);
    expect(d.filled({ order_id: 'a', filled_amount: '0.75', status: 'cancelling' })).toBe(true);
    expect(d.filled({ order_id: 'a', filled_amount: '0.75', status: 'cancelled' })).toBe(false);
    expect(d.filled({ order_id: 'b', filled_amount: '0', status: 'open' })).toBe(false);
    expect(d.filled({ order_id: 'b', filled_amount: '1', status: 'filled' })).toBe(true);
  });
});
