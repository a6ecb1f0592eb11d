/**
 * backtest_create runs inside the server that carries live orders: a huge data file must be
 * refused at once (from its size, unread), data over the event budget refused while it is read,
 * and reading a large valid file must leave the event loop free (/healthz, timers). Real app,
 * real HTTP server, real MCP SDK client over Streamable HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createHttpServer, type HttpServerHandle } from '../../src/main.ts';
import { hashPassword } from '../../src/web/password.ts';
import { generateSampleCsv } from '../../sim/sample-data/generate-sample.ts';
import { startTestApp, tempDataDir, type TestApp } from './mcp-app.ts';

const TOKEN = 'test-token-0123456789abcdef';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Server {
  t: TestApp;
  http: HttpServerHandle;
  client: Client;
}

async function serve(env: Record<string, string> = {}): Promise<Server> {
  const t = await startTestApp({ EXEC_MCP_PORT: '0', ...env });
  cleanups.push(() => t.close());
  const http = await createHttpServer(t.app, hashPassword('test-only-password', { N: 1024, r: 8, p: 1 }), TOKEN);
  cleanups.push(() => http.close());
  const client = new Client({ name: 'backtest-bounds', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  cleanups.push(() => client.close());
  return { t, http, client };
}

function dataFile(name: string, content: string): string {
  const dir = tempDataDir('exec-mcp-bt-bounds-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** Polls /healthz back to back until stopped: every answer's status and the longest wait for one. */
function watchHealthz(url: string): { stop(): Promise<{ statuses: number[]; longestMs: number }> } {
  let on = true;
  const statuses: number[] = [];
  let longestMs = 0;
  const loop = (async () => {
    while (on) {
      const t0 = performance.now();
      statuses.push((await fetch(`${url}/healthz`)).status);
      longestMs = Math.max(longestMs, performance.now() - t0);
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return { statuses, longestMs };
    },
  };
}

async function create(client: Client, data: string): Promise<{ isError: boolean; error?: { code: string; message: string }; result?: Record<string, unknown> }> {
  const r = await client.callTool({ name: 'backtest_create', arguments: { data, initial_balances: { USD: '10000' } } });
  const sc = r.structuredContent as { error?: { code: string; message: string } } & Record<string, unknown>;
  return r.isError ? { isError: true, ...(sc.error ? { error: sc.error } : {}) } : { isError: false, result: sc };
}

describe('backtest data bounds', () => {
  it('a 500 MB file is refused within a second, unread, while /healthz answers throughout', async () => {
    const { http, client } = await serve();
    const file = dataFile('btcusd-trades.csv', 'timestamp,price,amount,side\n');
    fs.truncateSync(file, 500 * 1000 * 1000); // sparse: 500 MB long, nothing written
    const health = watchHealthz(http.url);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const r = await create(client, file);
    const took = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
    const h = await health.stop();

    expect(r.isError).toBe(true);
    expect(r.error?.code).toBe('INVALID_ARGUMENT');
    expect(r.error?.message).toBe(
      `data file ${file} is larger than 256 MiB, the backtest file limit (raise it with EXEC_MCP_BACKTEST_MAX_FILE_MB); give a shorter file or split it`,
    );
    expect(took).toBeLessThan(1000);
    expect(h.statuses.length).toBeGreaterThan(3);
    expect(new Set(h.statuses)).toEqual(new Set([200]));
    expect(h.longestMs).toBeLessThan(1000);
  });

  it('a file one event over EXEC_MCP_BACKTEST_MAX_EVENTS is refused saying so; at the budget it is a backtest', async () => {
    const { client } = await serve({ EXEC_MCP_BACKTEST_MAX_EVENTS: '1000' });
    const at = await create(client, dataFile('btcusd-at.csv', generateSampleCsv({ rows: 1000, seed: 9 })));
    expect(at.isError, JSON.stringify(at)).toBe(false);
    expect(at.result).toMatchObject({ markets: ['btcusd'] });

    const file = dataFile('btcusd-over.csv', generateSampleCsv({ rows: 1001, seed: 9 }));
    const over = await create(client, file);
    expect(over.isError).toBe(true);
    expect(over.error?.code).toBe('INVALID_ARGUMENT');
    expect(over.error?.message).toBe(
      `${file} line 1002: more than 1000 market-data events, the limit of a backtest and of all live backtests together (raise it with EXEC_MCP_BACKTEST_MAX_EVENTS); give less data or split it`,
    );
  });

  it('a 200k-event file is read without holding the event loop: timers keep their pace, /healthz answers', async () => {
    const { http, client } = await serve();
    const file = dataFile('btcusd-big.csv', generateSampleCsv({ rows: 200_000, seed: 3 }));
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const health = watchHealthz(http.url);
    const t0 = performance.now();
    const r = await create(client, file);
    const took = performance.now() - t0;
    clearInterval(timer);
    const h = await health.stop();

    expect(r.isError, JSON.stringify(r)).toBe(false);
    expect(took).toBeGreaterThan(200); // long enough that a synchronous parse would show as one long gap
    // ~50 ms slices by design; room for two cores shared with other work.
    expect(maxGap).toBeLessThan(200);
    expect(new Set(h.statuses)).toEqual(new Set([200]));
    expect(h.statuses.length).toBeGreaterThan(5);
  });
});
