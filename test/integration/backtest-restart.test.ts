/**
 * A backtest's simulated exchange lives in memory only. After a restart its account must not fall
 * back to a live paper simulator (wall clock, zero balances): its open orders expire with the
 * reason, new orders are refused naming it, and new backtests work as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';
import { tempDataDir } from './mcp-app.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(dataDir: string): Promise<App> {
  const a = await createApp(loadConfig({ EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1' }), {
    logger: silentLogger(),
    priceSource: new FixedPriceSource({ btcusd: '50000' }),
  });
  await a.start();
  return a;
}

const trades = Array.from({ length: 5 }, (_, i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: '50000', amount: '0.1', side: 'buy' }));

describe('backtest accounts across a restart', () => {
  it('expire their open orders, refuse new ones and never trade on a live simulator', async () => {
    const dir = tempDataDir('exec-mcp-bt-restart-');
    app = await start(dir);
    const bt = await app.services.backtests.create({ data: { trades }, initial_balances: { USD: '10000' } }, 'test');
    const resting = await app.services.orders.place(bt.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' }, 'test');
    expect(resting.status).toBe('open');
    await app.close();

    app = await start(dir);
    const after = app.services.orders.get(bt.account, { order_id: resting.order_id });
    expect(after.status).toBe('expired');
    expect(after.status_reason).toMatch(/no longer in memory/);

    const refused = await rejectedDomainError(app.services.orders.place(bt.account, { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01' }, 'test'));
    expect(refused.code).toBe('ACCOUNT_DISABLED');
    expect(refused.message).toMatch(/backtest account .* no longer in memory.*create a new backtest/);
    expect(app.services.orders.list(bt.account, { status: 'all' })).toHaveLength(1);

    const balances = await rejectedDomainError(app.services.balances.get(bt.account, true));
    expect(balances.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(balances.message).toMatch(/no longer in memory/);

    // A new backtest after the restart trades on its own simulator.
    const next = await app.services.backtests.create({ data: { trades }, initial_balances: { USD: '10000' } }, 'test');
    const o = await app.services.orders.place(next.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' }, 'test');
    expect(o.status).toBe('open');
  });
});
