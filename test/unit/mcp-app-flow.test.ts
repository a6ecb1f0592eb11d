/** The acceptance flow in-process (InMemoryTransport) against the real app on a temp data dir. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expect } from 'vitest';
import { connectInMemory, fail, ok, type Connected } from './mcp-harness.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { expectContractTools, runPaperFlow } from '../integration/mcp-flow.ts';

let app: TestApp;
let conn: Connected;
beforeAll(async () => {
  app = await startTestApp();
  conn = await connectInMemory(app.services);
});
afterAll(async () => {
  await conn?.close();
  await app?.close();
});

describe('MCP against the real app (in-process)', () => {
  it('lists every contract tool and runs the full paper flow', async () => {
    await expectContractTools(conn.client);
    await runPaperFlow(conn.client, 'mem');
  });

  it('runs a backtest through the tools: create, place on its account, advance, report (deterministic digest)', async () => {
    const trades = [0, 1, 2, 3, 4, 5].map((i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: String(50000 - i * 100), amount: '0.5', side: 'sell' }));
    const runOnce = async (name: string): Promise<string> => {
      const bt = await ok(conn.client, 'backtest_create', { data: { trades }, initial_balances: { USD: '10000', BTC: '0' }, fees: { maker: '0.001', taker: '0.002' }, seed: 1, name });
      expect(bt).toMatchObject({ clock: '2026-01-01T00:00:00.000Z', markets: ['btcusd'] });
      const placed = await ok(conn.client, 'place_order', { account: bt.account, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '49700', client_order_id: 'bt-1' });
      expect((placed.order as { account: string }).account).toBeDefined();
      const adv = await ok(conn.client, 'backtest_advance', { backtest_id: bt.backtest_id });
      expect(adv.done).toBe(true);
      const report = await ok(conn.client, 'backtest_report', { backtest_id: bt.backtest_id });
      expect((report.fills as unknown[]).length).toBeGreaterThan(0);
      expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
      return report.digest as string;
    };
    expect(await runOnce('bt-a')).toBe(await runOnce('bt-b'));
    const bad = await fail(conn.client, 'backtest_create', { data: { trades: [{ timestamp: 'x', price: '1', amount: '1', side: 'up' }] }, initial_balances: { USD: '1' } });
    expect(bad.code).toBe('INVALID_ARGUMENT');
  });
});
