/**
 * The paging additions over the real CLI transports (stdio `exec-mcp mcp`, Streamable HTTP
 * `exec-mcp serve`) with the SDK client: list_orders cursor paging with an order placed between
 * pages, list_accounts mode, the backtest_report summary, and the tool list within its budget.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ok } from '../unit/mcp-harness.ts';
import { tempDataDir } from './mcp-app.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const TOKEN = 'lists-token-0123456789abcdef';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function env(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'warn' };
}

function dataDir(): string {
  const d = tempDataDir('exec-mcp-lists-');
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function stdioClient(): Promise<Client> {
  const dir = dataDir();
  const client = new Client({ name: 'lists-stdio', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env: env(dir), stderr: 'pipe', cwd: ROOT }));
  cleanups.push(() => client.close());
  return client;
}

async function httpClient(): Promise<Client> {
  const dir = dataDir();
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], {
    cwd: ROOT,
    env: { ...env(dir), EXEC_MCP_TOKEN: TOKEN, EXEC_MCP_ADMIN_PASSWORD: 'admin-password-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}/mcp`);
      }
    });
  });
  const client = new Client({ name: 'lists-http', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  cleanups.push(() => client.close());
  return client;
}

const place = (client: Client, id: string) =>
  ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: id });

for (const [name, connect] of [['stdio', stdioClient], ['http', httpClient]] as const) {
  describe(`lists over ${name}`, () => {
    it('list_orders pages with cursor, list_accounts filters by mode, backtest_report is a summary', async () => {
      const client = await connect();
      expect(Buffer.byteLength(JSON.stringify(await client.listTools()), 'utf8')).toBeLessThanOrEqual(24 * 1024);
      const placed: string[] = [];
      for (let i = 0; i < 12; i++) placed.push(((await place(client, `${name}-${i}`)).order as { order_id: string }).order_id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = await ok(client, 'list_orders', { account: 'paper', status: 'all', limit: 5, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...(r.orders as { order_id: string }[]).map((o) => o.order_id));
        cursor = r.next_cursor as string | undefined;
        if (++pages === 1) await place(client, `${name}-late`); // lands before page 1's head, shifts nothing
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual([...placed].reverse());

      const modes = (await ok(client, 'list_accounts', { mode: 'paper' })).accounts as { mode: string }[];
      expect(modes.length).toBeGreaterThan(0);
      expect(modes.every((a) => a.mode === 'paper')).toBe(true);

      const trades = [0, 1, 2].map((i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: '50000', amount: '0.1', side: 'buy' }));
      const bt = await ok(client, 'backtest_create', { data: { trades }, initial_balances: { USD: '1000' } });
      await ok(client, 'backtest_advance', { backtest_id: bt.backtest_id, steps: 1 });
      for (const id of ['m1', 'm2'])
        await ok(client, 'place_order', { account: bt.account, market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: id });
      await ok(client, 'backtest_advance', { backtest_id: bt.backtest_id });
      const first = await ok(client, 'backtest_report', { backtest_id: bt.backtest_id, fills_limit: 1 });
      expect(first).toMatchObject({ fills_total: 2 });
      expect(first.fills).toHaveLength(1);
      const second = await ok(client, 'backtest_report', { backtest_id: bt.backtest_id, fills_limit: 1, fills_cursor: first.next_fills_cursor });
      expect(second.fills).toHaveLength(1);
      expect(second.next_fills_cursor).toBeUndefined();
      expect((await ok(client, 'backtest_report', { backtest_id: bt.backtest_id, fills: 'all' })).fills).toEqual([...(first.fills as unknown[]), ...(second.fills as unknown[])]);
    }, 60_000);
  });
}
