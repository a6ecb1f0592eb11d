/**
 * require_confirmation on a LIVE account: the real app against the Bitstamp emulator. A declined
 * confirmation sends nothing to the exchange (no buy request in the emulator's log); an accepted one
 * places the order there.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../../src/mcp/server.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { fail, ok } from '../unit/mcp-harness.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';

const API_KEY = 'confkey00000000000000001';
const SECRET = 'confirm-secret-0123456789';

let emulator: BitstampEmulator;
let app: TestApp;
let client: Client;
let closeServer: () => Promise<void>;
let reply: ElicitResult['action'] = 'accept';
const asked: string[] = [];

beforeAll(async () => {
  emulator = await BitstampEmulator.start({
    accounts: [{ apiKey: API_KEY, secret: SECRET, userId: '515151', balances: { USD: '100000', BTC: '1' } }],
    prices: { btcusd: '60000' },
  });
  // Offline mode still talks to a loopback exchange URL (the emulator).
  app = await startTestApp({ BITSTAMP_API_URL: emulator.apiUrl, BITSTAMP_WS_URL: emulator.wsUrl });
  app.services.accounts.create({ name: 'live-careful', exchange: 'bitstamp', exchange_account_id: '515151', require_confirmation: true }, 'test');
  app.services.accounts.setCredentials('live-careful', { api_key: API_KEY, api_secret: SECRET }, 'test');
  const server = createMcpServer(app.services, { readOnly: false, logger: silentLogger(), actor: 'mcp:test' });
  client = new Client({ name: 'human', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(req.params.message);
    return reply === 'accept' ? { action: 'accept', content: {} } : { action: reply };
  });
  const [c, s] = InMemoryTransport.createLinkedPair();
  await server.connect(s);
  await client.connect(c);
  closeServer = async () => {
    await client.close();
    await server.close();
  };
}, 30_000);
afterAll(async () => {
  await closeServer?.();
  await app?.close();
  await emulator?.close();
});

const buy = (cid: string) => ({ account: 'live-careful', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '50000', client_order_id: cid });
const buyRequests = (): number => emulator.requests.filter((r) => r.endpoint.startsWith('buy/')).length;

describe('require_confirmation on a live (Bitstamp) account', () => {
  it('decline: CONFIRMATION_DECLINED and nothing reaches the exchange; accept: the order is placed on it', async () => {
    reply = 'decline';
    const e = await fail(client, 'place_order', buy('live-decline'));
    expect(e.code).toBe('CONFIRMATION_DECLINED');
    expect(buyRequests()).toBe(0);
    expect(asked[0]).toMatch(/^BUY 0\.001 BTC on btcusd at 50000 USD .*on account live-careful \(bitstamp:515151, live\)/);

    reply = 'accept';
    const placed = await ok(client, 'place_order', buy('live-accept'));
    expect(placed.order).toMatchObject({ client_order_id: 'live-accept' });
    expect(['submitting', 'open']).toContain((placed.order as { status: string }).status);
    expect(buyRequests()).toBe(1);
  }, 30_000);
});
