/**
 * What place_order says happened, against the real app (paper venue): a definite refusal is an error
 * result with its code and the stored rejected order; a client_order_id retry is a replay; the same
 * id with other parameters is a conflict.
 */
import { describe, expect, it } from 'vitest';
import { useAppClient } from './mcp-app-client.ts';
import { call, fail, ok } from './mcp-harness.ts';

const env = useAppClient();

const buy = (extra: Record<string, unknown>) => ({ account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', ...extra });

describe('place_order outcomes', () => {
  it('an order the venue refuses for funds is isError with INSUFFICIENT_FUNDS and the stored rejected order', async () => {
    const r = await call(env.client, 'place_order', buy({ amount: '100000', client_order_id: 'too-big-1' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('INSUFFICIENT_FUNDS');
    const order = r.error.details?.order as Record<string, unknown>;
    expect(order).toMatchObject({ client_order_id: 'too-big-1', status: 'rejected' });
    // The rejected order is stored: get_order finds it, and a retry with the same id replays it.
    expect((await ok(env.client, 'get_order', { account: 'paper', client_order_id: 'too-big-1' })).order).toMatchObject({ order_id: order.order_id, status: 'rejected' });
    const again = await ok(env.client, 'place_order', buy({ amount: '100000', client_order_id: 'too-big-1' }));
    expect(again).toMatchObject({ replayed: true, order: { order_id: order.order_id } });
  });

  it('the same client_order_id with the same parameters replays; with others it is CLIENT_ORDER_ID_CONFLICT', async () => {
    const first = await ok(env.client, 'place_order', buy({ client_order_id: 'cid-r1' }));
    expect(first.replayed).toBeUndefined();
    const order = first.order as { order_id: string };
    const replay = await ok(env.client, 'place_order', buy({ client_order_id: 'cid-r1', amount: '0.0010' }));
    expect(replay).toMatchObject({ replayed: true, order: { order_id: order.order_id } });
    const conflict = await fail(env.client, 'place_order', buy({ client_order_id: 'cid-r1', price: '20001' }));
    expect(conflict.code).toBe('CLIENT_ORDER_ID_CONFLICT');
    expect(conflict.message).toMatch(/price 20000/);
    expect(conflict.details).toMatchObject({ existing_order: { order_id: order.order_id, client_order_id: 'cid-r1' } });
    const orders = (await ok(env.client, 'list_orders', { account: 'paper', status: 'all' })).orders as { client_order_id: string }[];
    expect(orders.filter((o) => o.client_order_id === 'cid-r1')).toHaveLength(1);
  });

  it('annotations tell the truth: place_order is not idempotent by itself', async () => {
    const { tools } = await env.client.listTools();
    const place = tools.find((t) => t.name === 'place_order')!;
    expect(place.annotations?.idempotentHint).toBe(false);
    expect(place.description).toMatch(/client_order_id/);
  });
});
