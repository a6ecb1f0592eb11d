/**
 * The bounded private stream through the composition root (createApp + emulator): at connect an
 * account subscribes only markets with live orders (and configured ones); an order on another
 * market subscribes it first; a reconnect keeps the market of a still-live order; the channel
 * count is on the status service and in /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BitstampEmulator, syntheticMarkets } from '../bitstamp-emulator/index.ts';
import { tempDataDir } from './mcp-app.ts';

const API_KEY = 'streamkey00000000000001';
const SECRET = 'PLANTED-stream-secret-77a1';
const UID = '616161';
const ch = (market: string): string[] => [`private-my_orders_${market}-${UID}`, `private-my_trades_${market}-${UID}`];

let emulator: BitstampEmulator;
let app: App;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  emulator = await BitstampEmulator.start({
    accounts: [{ apiKey: API_KEY, secret: SECRET, userId: UID, balances: { USD: '100000', BTC: '1' } }],
    prices: { btcusd: '60000', ethusd: '3000' },
    markets: syntheticMarkets(150),
  });
  app = await createApp(
    loadConfig({
      EXEC_MCP_DATA_DIR: tempDataDir('exec-mcp-stream-'), EXEC_MCP_OFFLINE: '1', BITSTAMP_API_URL: emulator.apiUrl, BITSTAMP_WS_URL: emulator.wsUrl,
      BITSTAMP_STREAM_MARKETS: `${UID}=ethusd`,
    }),
    { logger: silentLogger() },
  );
  await app.start();
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

describe('bounded Bitstamp stream in the service', () => {
  it('configured market at connect, on demand before an order, live-order markets after a reconnect', async () => {
    const { accounts, status, orders } = app.services;
    const conn = () => status.connections().find((c) => c.account === `bitstamp:${UID}`);
    accounts.create({ name: 'live', exchange: 'bitstamp', exchange_account_id: UID }, 'test');
    accounts.setCredentials('live', { api_key: API_KEY, api_secret: SECRET }, 'test');
    await until('the stream to be live with the configured market', () => conn()?.state === 'live' && conn()?.channels === 2);
    expect(emulator.wsServer.subscriptions().sort()).toEqual(ch('ethusd'));

    const placed = await orders.place('live', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000' }, 'test');
    await until('the order to be open', () => orders.get('live', { order_id: placed.order_id }).status === 'open');
    const t = emulator.timeline;
    for (const c of ch('btcusd')) expect(t.indexOf(`ws:ack ${c}`)).toBeLessThan(t.indexOf('POST buy/btcusd/'));
    expect(conn()?.channels).toBe(4);
    // /metrics names no account by default (EXEC_MCP_METRICS_ACCOUNT_LABELS): the total counts them.
    const metrics = await app.metrics.registry.getSingleMetricAsString('exec_mcp_stream_channels_total');
    expect(metrics).toContain('exec_mcp_stream_channels_total 4');

    // After a reconnect: the market with a live order and the configured one, nothing else of the 150.
    emulator.dropConnections();
    await until('the stream to come back', () => emulator.wsServer.subscriptions().length === 4 && conn()?.state === 'live', 15_000);
    expect(emulator.wsServer.subscriptions().sort()).toEqual([...ch('btcusd'), ...ch('ethusd')].sort());
  }, 40_000);
});
