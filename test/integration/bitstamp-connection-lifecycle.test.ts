/**
 * The composition root's connection lifecycle against the emulator: an enabled, credentialed
 * Bitstamp account holds a private stream; disabling the account closes it (no reconnects, no
 * polling), enabling it opens it again, and removing the credentials stops it too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { tempDataDir } from './mcp-app.ts';

const API_KEY = 'lifecyclekey0000000001';
const SECRET = 'PLANTED-lifecycle-secret-51d2';

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
    accounts: [{ apiKey: API_KEY, secret: SECRET, userId: '515151', balances: { USD: '1000', BTC: '0' } }],
    prices: { btcusd: '60000' },
  });
  app = await createApp(
    loadConfig({ EXEC_MCP_DATA_DIR: tempDataDir('exec-mcp-conn-lifecycle-'), EXEC_MCP_OFFLINE: '1', BITSTAMP_API_URL: emulator.apiUrl, BITSTAMP_WS_URL: emulator.wsUrl }),
    { logger: silentLogger() },
  );
  await app.start();
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

describe('Bitstamp connection lifecycle (createApp + emulator)', () => {
  it('disable closes the stream, enable reopens it, forgetting the credentials closes it', async () => {
    const { accounts, status } = app.services;
    const state = () => status.connections().find((c) => c.account === 'bitstamp:515151')?.state;
    accounts.create({ name: 'live', exchange: 'bitstamp', exchange_account_id: '515151' }, 'test');
    accounts.setCredentials('live', { api_key: API_KEY, api_secret: SECRET }, 'test');
    await until('the stream to be live', () => state() === 'live' && emulator.wsServer.connectionCount === 1);

    accounts.setEnabled('live', false, 'test');
    await until('the stream to stop', () => state() === 'stopped' && emulator.wsServer.connectionCount === 0);
    // Stays down: no reconnect attempt after a while.
    await new Promise((r) => setTimeout(r, 600));
    expect(emulator.wsServer.connectionCount).toBe(0);
    expect(state()).toBe('stopped');

    accounts.setEnabled('live', true, 'test');
    await until('the stream to be live again', () => state() === 'live' && emulator.wsServer.connectionCount === 1);

    expect(accounts.forgetCredentials('live', 'test')).toEqual(['bitstamp:515151']);
    await until('the stream to stop without credentials', () => state() === 'stopped' && emulator.wsServer.connectionCount === 0);
  }, 30_000);
});
