/**
 * list_accounts through the real SDK client: the `mode` filter, and backtests whose session ended
 * (evicted here by the retention limit, as a restart would end them) left out unless include_ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectInMemory, fail, ok, type Connected } from '../unit/mcp-harness.ts';
import { tempDataDir } from './mcp-app.ts';

type Acc = { name: string; mode: string };
let app: App;
let conn: Connected;
const trades = [0, 1, 2].map((i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: '50000', amount: '0.1', side: 'buy' }));
const created: string[] = [];

beforeAll(async () => {
  app = await createApp(loadConfig({ EXEC_MCP_DATA_DIR: tempDataDir('exec-mcp-list-accounts-'), EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent' }), {
    logger: silentLogger(),
    priceSource: new FixedPriceSource({ btcusd: '50000' }),
    backtestRetention: { maxSessions: 2, maxEvents: 1_000 },
  });
  await app.start();
  conn = await connectInMemory(app.services);
  for (let i = 0; i < 3; i++) created.push((await ok(conn.client, 'backtest_create', { data: { trades }, initial_balances: { USD: '100' } })).account as string);
});
afterAll(async () => {
  await conn?.close();
  await app?.close();
});

const names = async (args: Record<string, unknown>): Promise<string[]> => ((await ok(conn.client, 'list_accounts', args)).accounts as Acc[]).map((a) => a.name);

describe('list_accounts mode and ended backtests', () => {
  it('leaves the ended backtest out by default and lists it with include_ended', async () => {
    const [ended, ...live] = created as [string, ...string[]];
    const all = await names({});
    expect(all).toContain('paper');
    for (const n of live) expect(all).toContain(n);
    expect(all).not.toContain(ended);
    expect(await names({ include_ended: true })).toEqual(expect.arrayContaining([...created, 'paper']));
    expect((await names({ mode: 'backtest', include_ended: true })).sort()).toEqual([...created].sort());
    expect((await names({ mode: 'backtest' })).sort()).toEqual([...live].sort());
  });

  it('mode keeps only that mode', async () => {
    const paper = (await ok(conn.client, 'list_accounts', { mode: 'paper' })).accounts as Acc[];
    expect(paper.map((a) => a.name)).toContain('paper');
    expect(paper.every((a) => a.mode === 'paper')).toBe(true);
    expect(await names({ mode: 'live' })).toEqual([]);
    expect((await fail(conn.client, 'list_accounts', { mode: 'demo' })).code).toBe('INVALID_ARGUMENT');
  });
});
