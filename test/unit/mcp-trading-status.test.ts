/** get_trading_status against the real app: caps beside what is used, kill switches, can_trade. */
import { describe, expect, it } from 'vitest';
import { useAppClient } from './mcp-app-client.ts';
import { connectInMemory, fail, ok } from './mcp-harness.ts';

const env = useAppClient();

describe('get_trading_status', () => {
  it('reports limits beside today\'s usage, and the kill switches as can_trade', async () => {
    env.app.services.accounts.setLimits('paper', { max_open_orders: 5, daily_notional: '1000', kill_switch: false }, 'test');
    await ok(env.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.002', price: '20000', client_order_id: 'ts-1' });
    await ok(env.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '21000', client_order_id: 'ts-2' });
    const s = await ok(env.client, 'get_trading_status', { account: 'paper' });
    expect(s).toMatchObject({
      global_kill_switch: false,
      account: {
        account: 'paper',
        mode: 'paper',
        enabled: true,
        kill_switch: false,
        can_trade: true,
        limits: { max_open_orders: 5, daily_notional: '1000' },
        usage: { open_orders: 2, daily_notional: [{ quote: 'USD', used: '61' }] }, // 0.002 x 20000 + 0.001 x 21000
      },
    });
    expect((s.account as { usage: { day: string } }).usage.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    env.app.services.accounts.setGlobalKillSwitch(true, 'test');
    const halted = await ok(env.client, 'get_trading_status', { account: 'paper' });
    expect(halted).toMatchObject({ global_kill_switch: true, account: { can_trade: false } });
    expect((await fail(env.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000' })).code).toBe('RISK_LIMIT');
    env.app.services.accounts.setGlobalKillSwitch(false, 'test');

    env.app.services.accounts.setLimits('paper', { kill_switch: true }, 'test');
    const overview = await ok(env.client, 'get_trading_status', {});
    expect(overview.global_kill_switch).toBe(false);
    expect(overview.accounts).toEqual(expect.arrayContaining([expect.objectContaining({ account: 'paper', kill_switch: true, can_trade: false })]));
    env.app.services.accounts.setLimits('paper', {}, 'test');
  });

  it('is read-only and present for read-only sessions; an unknown account is ACCOUNT_NOT_FOUND', async () => {
    const ro = await connectInMemory(env.app.services, { readOnly: true });
    try {
      const tool = (await ro.client.listTools()).tools.find((t) => t.name === 'get_trading_status');
      expect(tool?.annotations?.readOnlyHint).toBe(true);
      expect((await fail(ro.client, 'get_trading_status', { account: 'nope' })).code).toBe('ACCOUNT_NOT_FOUND');
    } finally {
      await ro.close();
    }
  });
});
