/** get_balances against the real app over the SDK client: current after place, cancel and fill without refresh; refresh records only changes. */
import { describe, expect, it } from 'vitest';
import { useAppClient } from './mcp-app-client.ts';
import { ok } from './mcp-harness.ts';

const env = useAppClient();

type Balance = { currency: string; total: string; available: string; reserved: string };
const of = (r: Record<string, unknown>, cur: string): Balance => (r.balances as Balance[]).find((b) => b.currency === cur)!;
const historyRows = (): number => env.app.services.balances.history('fresh', { limit: 1000 }).snapshots.length;

describe('fresh balances', () => {
  it('show a reservation at once, drop it on cancel, move on a fill, all without refresh', async () => {
    env.app.services.accounts.create({ name: 'fresh', exchange: 'paper', exchange_account_id: 'fresh', initial_balances: { USD: '1000', BTC: '0' } }, 'test');
    const start = await ok(env.client, 'get_balances', { account: 'fresh' });
    expect(of(start, 'USD')).toEqual({ currency: 'USD', total: '1000', available: '1000', reserved: '0' });

    const placed = await ok(env.client, 'place_order', { account: 'fresh', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', client_order_id: 'fb-rest' });
    expect((placed.order as { status: string }).status).toBe('open');
    const resting = await ok(env.client, 'get_balances', { account: 'fresh' });
    expect(Number(of(resting, 'USD').reserved)).toBeGreaterThanOrEqual(400); // 0.01 x 40000 (+ the fee it may pay)
    expect(Number(of(resting, 'USD').available)).toBeLessThanOrEqual(600);
    expect(of(resting, 'USD').total).toBe('1000');
    expect(Date.parse(resting.as_of as string)).toBeGreaterThanOrEqual(Date.parse(start.as_of as string));

    await ok(env.client, 'cancel_order', { account: 'fresh', client_order_id: 'fb-rest' });
    expect(of(await ok(env.client, 'get_balances', { account: 'fresh' }), 'USD')).toEqual({ currency: 'USD', total: '1000', available: '1000', reserved: '0' });

    const mkt = await ok(env.client, 'place_order', { account: 'fresh', market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: 'fb-mkt' });
    expect((mkt.order as { status: string }).status).toBe('filled');
    const filled = await ok(env.client, 'get_balances', { account: 'fresh' });
    expect(of(filled, 'BTC').total).toBe('0.001');
    expect(Number(of(filled, 'USD').total)).toBeLessThan(1000 - 50); // paid about 50 USD + fee
  });

  it('refresh twice in a row records one history row, and none when nothing changed', async () => {
    // Let the snapshot job's after-fill/account-change snapshot (1 s debounce) run first.
    await new Promise((r) => setTimeout(r, 1300));
    await env.app.settle();
    await ok(env.client, 'place_order', { account: 'fresh', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '30000', client_order_id: 'fb-rest2' });
    const before = historyRows();
    const a = await ok(env.client, 'get_balances', { account: 'fresh', refresh: true });
    const b = await ok(env.client, 'get_balances', { account: 'fresh', refresh: true });
    expect(historyRows()).toBe(before + 1);
    expect(b.balances).toEqual(a.balances);
    expect(Number(of(b, 'USD').reserved)).toBeGreaterThanOrEqual(30);
    await ok(env.client, 'get_balances', { account: 'fresh', refresh: true });
    expect(historyRows()).toBe(before + 1);
    await ok(env.client, 'cancel_order', { account: 'fresh', client_order_id: 'fb-rest2' });
  });
});
