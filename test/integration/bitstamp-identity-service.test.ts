/**
 * Issue 21 "Identity" through the composition root (createApp + the emulator): a stored key that
 * belongs to another Bitstamp user (stored before keys were checked) stops its account at
 * connection start, shown with the reason, and an order on it is refused with nothing sent; an
 * account kept with a non-numeric id is shown stopped with a reason, not deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { tempDataDir } from './mcp-app.ts';

const KEY = 'identitykey00000000001';
const SECRET = 'PLANTED-identity-secret-77a1';

let emulator: BitstampEmulator;
let app: App;

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  emulator = await BitstampEmulator.start({
    accounts: [{ apiKey: KEY, secret: SECRET, userId: '100001', balances: { USD: '100000', BTC: '1' } }],
    prices: { btcusd: '60000' },
  });
  const dataDir = tempDataDir('exec-mcp-identity-');
  const config = loadConfig({ EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1', BITSTAMP_API_URL: emulator.apiUrl, BITSTAMP_WS_URL: emulator.wsUrl });
  // An earlier version's store: accounts written without today's checks.
  const before = await createApp(config, { logger: silentLogger() });
  const repo = before.services.accounts as unknown as { repository: { insert(f: Record<string, unknown>, at: string): unknown } };
  repo.repository.insert({ name: 'impostor', exchange: 'bitstamp', exchange_account_id: '999999', mode: 'live', enabled: true, limits: {} }, '2026-01-01T00:00:00.000Z');
  repo.repository.insert({ name: 'old-label', exchange: 'bitstamp', exchange_account_id: 'abc', mode: 'live', enabled: true, limits: {} }, '2026-01-01T00:00:00.000Z');
  before.services.accounts.setCredentials('impostor', { api_key: KEY, api_secret: SECRET }, 'test');
  before.services.accounts.setCredentials('old-label', { api_key: KEY, api_secret: SECRET }, 'test');
  await before.close();
  expect(emulator.requests).toEqual([]); // storing them unchecked asked nothing

  app = await createApp(config, { logger: silentLogger() });
  await app.start();
});
afterAll(async () => {
  await app?.close();
  await emulator?.close();
});

const connection = (ref: string) => app.services.status.connections().find((c) => c.account === ref);

describe('identity at connection start (createApp + emulator)', () => {
  it('the impostor account is stopped with the reason and its order refused with nothing sent', async () => {
    const stopped = await until('the impostor stopped', () => {
      const c = connection('bitstamp:999999');
      return c?.state === 'stopped' && c.last_error ? c : undefined;
    });
    expect(stopped.last_error).toContain('belongs to Bitstamp user 100001');
    expect(emulator.wsServer.subscriptions()).toEqual([]);

    const order = await app.services.orders.place(
      'impostor',
      { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '50000', client_order_id: 'imp-1' },
      'test',
    );
    expect(order).toMatchObject({ status: 'rejected', status_reason: expect.stringMatching(/^NO_CREDENTIALS: .*belongs to Bitstamp user 100001/) });
    // Only identity calls reached the exchange: no order, no balance, no open orders, no fills.
    expect(new Set(emulator.requests.map((r) => r.endpoint))).toEqual(new Set(['websockets_token/']));
    expect(emulator.engine.orders).toEqual([]);
  });

  it('an account kept with a non-numeric id is listed, shown stopped with the reason, and sends nothing', async () => {
    expect(app.services.accounts.list().map((a) => a.name)).toContain('old-label');
    const c = await until('the old account shown', () => connection('bitstamp:abc'));
    expect(c).toMatchObject({ state: 'stopped', last_error: expect.stringContaining('numeric user id') });
    expect(app.ready().streams_down).not.toContain('bitstamp:abc');
  });
});
