/**
 * Issue 6 acceptance: the real service, started with BITSTAMP_API_URL/BITSTAMP_WS_URL pointing at
 * the emulator, places a real order over MCP, sees it filled through the private WebSocket, and
 * cancels another — end to end, through the operator CLI for the account and its credentials.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const TOKEN = 'bitstamp-e2e-token-0123456789';
const API_KEY = 'e2ekey000000000000000001';
const SECRET = 'PLANTED-e2e-secret-7c1f0a9d';

let emulator: BitstampEmulator;
let dataDir: string;
let serve: ChildProcess | undefined;
let client: Client;
let logs = '';
let baseUrl = '';

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    EXEC_MCP_DATA_DIR: dataDir,
    EXEC_MCP_TOKEN: TOKEN,
    EXEC_MCP_ADMIN_PASSWORD: 'admin-password-e2e',
    BITSTAMP_API_URL: emulator.apiUrl,
    BITSTAMP_WS_URL: emulator.wsUrl,
    EXEC_MCP_LOG_LEVEL: 'info',
    // No live orders yet: only the configured market's channels come up at connect.
    BITSTAMP_STREAM_MARKETS: '424242=btcusd',
  };
}

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: env() }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

async function call<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.structuredContent)}`);
  return r.structuredContent as T;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Order = { order_id: string; status: string; filled_amount: string; exchange_order_id?: string };

beforeAll(async () => {
  emulator = await BitstampEmulator.start({
    accounts: [{ apiKey: API_KEY, secret: SECRET, userId: '424242', balances: { USD: '100000', BTC: '1' } }],
    prices: { btcusd: '60000' },
  });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bitstamp-e2e-'));
  const add = await cli(['accounts', 'add', '--name', 'main', '--exchange', 'bitstamp', '--exchange-account-id', '424242']);
  expect(add.code, add.stderr).toBe(0);
  const creds = await cli(['accounts', 'set-credentials', 'bitstamp:424242', '--api-key', API_KEY], SECRET + '\n');
  expect(creds.code, creds.stderr).toBe(0);

  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stderr!.on('data', (d: Buffer) => void (logs += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}\n${logs}`)), 30_000);
    serve!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      logs += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        baseUrl = m[1] ?? '';
        resolve(`${m[1]}/mcp`);
      }
    });
  });
  client = new Client({ name: 'bitstamp-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
}, 60_000);

afterAll(async () => {
  await client?.close();
  if (serve && serve.exitCode === null) {
    await new Promise<void>((resolve) => {
      serve!.once('exit', () => resolve());
      serve!.kill('SIGTERM');
    });
  }
  await emulator?.close();
  // The planted secret never reaches the service's output.
  expect(logs).not.toContain(SECRET);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('service against the Bitstamp emulator', () => {
  it('places an order, sees it filled via the private WebSocket, and cancels another', async () => {
    // The private WS connection comes up (token fetch, subscriptions).
    await until('the private my_trades subscription', async () =>
      emulator.wsServer.subscriptions().some((c) => c.startsWith('private-my_trades_btcusd-424242')) ? true : undefined,
    );
    // Only what is needed: the configured market's two channels, counted in /metrics (no account label by default).
    expect(emulator.wsServer.subscriptions().sort()).toEqual(['private-my_orders_btcusd-424242', 'private-my_trades_btcusd-424242']);
    await until('the channel gauge', async () => {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      return text.includes('exec_mcp_stream_channels_total 2') ? true : undefined;
    });

    const placed = await call<{ order: Order }>('place_order', {
      account: 'bitstamp:424242', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000', client_order_id: 'e2e-fill',
    });
    expect(placed.order.status).toBe('open');
    expect(placed.order.exchange_order_id).toBeDefined();

    // A trade on the emulator's market crosses the resting order: the fill arrives over WS.
    emulator.trade('btcusd', '58900', '0.5');
    const filled = await until('the fill over WebSocket', async () => {
      const o = (await call<{ order: Order }>('get_order', { account: 'bitstamp:424242', client_order_id: 'e2e-fill' })).order;
      return o.status === 'filled' ? o : undefined;
    });
    expect(filled.filled_amount).toBe('0.01');
    const fills = await call<{ fills: Array<{ order_id: string; amount: string; price: string }> }>('list_fills', { account: 'bitstamp:424242' });
    expect(fills.fills.filter((f) => f.order_id === filled.order_id)).toEqual([expect.objectContaining({ amount: '0.01', price: '59000' })]);

    const resting = await call<{ order: Order }>('place_order', {
      account: 'bitstamp:424242', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '55000', client_order_id: 'e2e-cancel',
    });
    expect(resting.order.status).toBe('open');
    const cancelled = await call<{ order: Order }>('cancel_order', { account: 'bitstamp:424242', client_order_id: 'e2e-cancel' });
    expect(cancelled.order.status).toBe('cancelled');

    // The exchange agrees: nothing open, one finished order.
    expect(emulator.engine.orders.filter((o) => o.status === 'Open')).toEqual([]);
    expect(emulator.engine.orders.map((o) => o.status).sort()).toEqual(['Canceled', 'Finished']);
  }, 60_000);

  it('get_balances follows its own orders and WS fills without refresh; refresh is throttled; get_positions marks at the price source', async () => {
    type Bal = { currency: string; total: string; reserved: string };
    type Balances = { as_of: string; balances: Bal[] };
    const acct = 'bitstamp:424242';
    const of = (r: Balances, cur: string): Bal => r.balances.find((b) => b.currency === cur)!;
    const b0 = await call<Balances>('get_balances', { account: acct });
    const usdReserved0 = Number(of(b0, 'USD').reserved);

    await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '50000', client_order_id: 'e2e-fresh' });
    expect(Number(of(await call<Balances>('get_balances', { account: acct }), 'USD').reserved)).toBeGreaterThanOrEqual(usdReserved0 + 500);
    await call('cancel_order', { account: acct, client_order_id: 'e2e-fresh' });
    expect(Number(of(await call<Balances>('get_balances', { account: acct }), 'USD').reserved)).toBe(usdReserved0);

    await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000', client_order_id: 'e2e-fill-2' });
    emulator.trade('btcusd', '58900', '0.5');
    await until('the second fill over WebSocket', async () => {
      const o = (await call<{ order: Order }>('get_order', { account: acct, client_order_id: 'e2e-fill-2' })).order;
      return o.status === 'filled' ? o : undefined;
    });
    expect(Number(of(await call<Balances>('get_balances', { account: acct }), 'BTC').total)).toBeCloseTo(Number(of(b0, 'BTC').total) + 0.01, 8);

    const first = await call<Balances>('get_balances', { account: acct, refresh: true });
    const rows = (await call<{ snapshots: unknown[] }>('get_balance_history', { account: acct, limit: 1000 })).snapshots.length;
    const second = await call<Balances>('get_balances', { account: acct, refresh: true });
    expect(second.as_of).toBe(first.as_of); // served from the answer of a moment ago
    expect((await call<{ snapshots: unknown[] }>('get_balance_history', { account: acct, limit: 1000 })).snapshots).toHaveLength(rows);

    // Two buys only: average = amount-weighted mean of the fill prices; realized = minus the fees; marked at the ticker.
    const fills = (await call<{ fills: Array<{ fee: string; amount: string; price: string }> }>('list_fills', { account: acct })).fills;
    expect(fills).toHaveLength(2);
    const fees = fills.reduce((sum, f) => sum + Number(f.fee), 0);
    const average = fills.reduce((sum, f) => sum + Number(f.amount) * Number(f.price), 0) / 0.02;
    const positions = (await call<{ positions: Array<Record<string, string | null>> }>('get_positions', { account: acct })).positions;
    expect(positions).toHaveLength(1);
    const p = positions[0]!;
    expect(p).toMatchObject({ currency: 'BTC', quote_currency: 'USD', market: 'btcusd', amount: '0.02' });
    expect(Number(p.average_cost)).toBeCloseTo(average, 8);
    expect(Number(p.realized_pnl)).toBeCloseTo(-fees, 8);
    expect(p.mark_price).toBe('58900'); // the emulator's ticker: the last trade
    expect(Number(p.unrealized_pnl)).toBeCloseTo(0.02 * (58900 - average), 8);
  }, 60_000);
});
