/**
 * Issue 21: a running `serve` picks up accounts and credentials changed by the CLI (another
 * process writing the same store) within 5 s and starts or stops their streams, without a
 * restart; `set-credentials` in the CLI makes only the verification call, and refuses a key that
 * belongs to another Bitstamp user.
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
const TOKEN = 'cli-under-serve-token-0123456789';
const KEY = 'cliserve0000000000000001';
const SECRET = 'PLANTED-cli-serve-secret-3e9b';

let emulator: BitstampEmulator;
let dataDir: string;
let serve: ChildProcess | undefined;
let client: Client;
let logs = '';

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    EXEC_MCP_DATA_DIR: dataDir,
    EXEC_MCP_TOKEN: TOKEN,
    EXEC_MCP_ADMIN_PASSWORD: 'admin-password-cli-serve',
    BITSTAMP_API_URL: emulator.apiUrl,
    BITSTAMP_WS_URL: emulator.wsUrl,
    EXEC_MCP_LOG_LEVEL: 'info',
    // The private stream subscribes only markets with live orders plus configured ones: configure
    // btcusd so the new account's stream shows its channels before any order.
    BITSTAMP_STREAM_MARKETS: '313131=btcusd',
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

/** Milliseconds until `ok()` held; fails after `ms`. */
async function within(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await ok()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const subscribed = (uid: string): boolean => emulator.wsServer.subscriptions().some((c) => c.startsWith(`private-my_trades_btcusd-${uid}`));

beforeAll(async () => {
  emulator = await BitstampEmulator.start({
    accounts: [{ apiKey: KEY, secret: SECRET, userId: '313131', balances: { USD: '100000', BTC: '1' } }],
    prices: { btcusd: '60000' },
  });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-serve-'));
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
        resolve(`${m[1]}/mcp`);
      }
    });
  });
  client = new Client({ name: 'cli-under-serve', version: '1' });
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
  expect(logs).not.toContain(SECRET);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the CLI beside a running serve', () => {
  it('refuses a key of another user (nothing stored) and rejects a non-numeric Bitstamp id', async () => {
    expect((await cli(['accounts', 'add', '--name', 'label', '--exchange', 'bitstamp', '--exchange-account-id', 'main'])).code).toBe(1);
    expect((await cli(['accounts', 'add', '--name', 'impostor', '--exchange', 'bitstamp', '--exchange-account-id', '999999'])).code).toBe(0);
    const before = emulator.requests.length;
    const set = await cli(['accounts', 'set-credentials', 'impostor', '--api-key', KEY], SECRET + '\n');
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/^error INVALID_ARGUMENT: .*belongs to Bitstamp user 313131/);
    expect(emulator.requests.slice(before).map((r) => r.endpoint)).toEqual(['websockets_token/']);
    const shown = JSON.parse((await cli(['accounts', 'show', 'impostor', '--json'])).stdout) as { has_credentials: boolean };
    expect(shown.has_credentials).toBe(false);
  }, 60_000);

  it('a CLI-added account streams under the running serve within 5 s, fills arrive over WS, and a CLI disable stops it', async () => {
    expect((await cli(['accounts', 'add', '--name', 'live', '--exchange', 'bitstamp', '--exchange-account-id', '313131'])).code).toBe(0);
    const set = await cli(['accounts', 'set-credentials', 'live', '--api-key', KEY], SECRET + '\n');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('verified as user 313131');
    const tookMs = await within('the stream of the CLI-added account', 5_000, () => subscribed('313131'));
    expect(tookMs).toBeLessThan(5_000);

    const placed = await call<{ order: { status: string } }>('place_order', {
      account: 'live', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000', client_order_id: 'cli-serve-1',
    });
    expect(placed.order.status).toBe('open');
    emulator.trade('btcusd', '58900', '0.5');
    // Over the stream, not the 60 s reconciliation.
    await within('the fill over WebSocket', 5_000, async () => {
      const o = (await call<{ order: { status: string } }>('get_order', { account: 'live', client_order_id: 'cli-serve-1' })).order;
      return o.status === 'filled';
    });

    expect((await cli(['accounts', 'disable', 'live'])).code).toBe(0);
    await within('the stream to stop after the CLI disable', 5_000, () => !subscribed('313131') && emulator.wsServer.connectionCount === 0);
    expect((await cli(['accounts', 'enable', 'live'])).code).toBe(0);
    await within('the stream back after the CLI enable', 5_000, () => subscribed('313131'));
  }, 90_000);
});
