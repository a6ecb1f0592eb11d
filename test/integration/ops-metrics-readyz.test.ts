/**
 * Metrics that count what they say, and /readyz "degraded": a real app (paper venue, and a Bitstamp
 * account whose exchange on 127.0.0.1 refuses connections) behind the real HTTP server.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer, type HttpServerHandle } from '../../src/main.ts';
import { hashPassword } from '../../src/web/password.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';

/** A loopback port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let t: TestApp;
let http: HttpServerHandle;
beforeAll(async () => {
  const port = await closedPort();
  t = await startTestApp({ EXEC_MCP_PORT: '0', BITSTAMP_API_URL: `http://127.0.0.1:${port}`, BITSTAMP_WS_URL: `ws://127.0.0.1:${port}` });
  http = await createHttpServer(t.app, hashPassword('test-only-password', { N: 1024, r: 8, p: 1 }), 'test-token-0123456789abcdef');
});
afterAll(async () => {
  await http?.close();
  await t?.close();
});

const metric = async (name: string): Promise<string> => {
  const text = await (await fetch(`${http.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
};

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await probe();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await probe();
  }
  return v;
}

describe('/metrics', () => {
  it('exec_mcp_orders_placed_total counts the orders placed through the service, once per order', async () => {
    const place = (i: number) =>
      t.services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.0003', price: '40000', client_order_id: `m-${i}` }, 'test');
    for (let i = 0; i < 5; i++) await place(i);
    await place(0); // the same client_order_id again: the same order, not a new one
    expect(await metric('exec_mcp_orders_placed_total')).toBe('exec_mcp_orders_placed_total{exchange="paper"} 5');
  });
});

describe('/readyz', () => {
  it('stays 200 but says degraded, naming the account, while its stream is down; ready again once it is stopped', async () => {
    const readyz = async () => {
      const r = await fetch(`${http.url}/readyz`);
      return { status: r.status, body: (await r.json()) as { status: string; streams_down?: string[] } };
    };
    expect((await readyz()).body.status).toBe('ready');
    expect(await metric('exec_mcp_accounts_stream_down ')).toBe('exec_mcp_accounts_stream_down 0');

    t.services.accounts.create({ name: 'live1', exchange: 'bitstamp', exchange_account_id: '123456' } as never, 'test');
    t.services.accounts.setCredentials('live1', { api_key: 'k'.repeat(32), api_secret: 's'.repeat(32) }, 'test');
    const degraded = await until(readyz, (r) => r.body.status === 'degraded');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', streams_down: ['bitstamp:123456'] });
    expect(await metric('exec_mcp_accounts_stream_down ')).toBe('exec_mcp_accounts_stream_down 1');

    t.services.accounts.setEnabled('live1', false, 'test');
    const back = await until(readyz, (r) => r.body.status === 'ready');
    expect(back).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(back.body.streams_down).toBeUndefined();
    expect(await metric('exec_mcp_accounts_stream_down ')).toBe('exec_mcp_accounts_stream_down 0');

    // A removed account no longer counts either.
    t.services.accounts.create({ name: 'live2', exchange: 'bitstamp', exchange_account_id: '654321' } as never, 'test');
    t.services.accounts.setCredentials('live2', { api_key: 'k'.repeat(32), api_secret: 's'.repeat(32) }, 'test');
    expect((await until(readyz, (r) => r.body.status === 'degraded')).body.streams_down).toEqual(['bitstamp:654321']);
    t.services.accounts.remove('live2', 'test');
    expect((await until(readyz, (r) => r.body.status === 'ready')).body.status).toBe('ready');
    expect(await metric('exec_mcp_accounts_stream_down ')).toBe('exec_mcp_accounts_stream_down 0');
  }, 40_000);
});

describe('balance snapshots (EXEC_MCP_BALANCE_SNAPSHOT_S)', () => {
  it('the interval is configurable, 300 s by default, and refuses nonsense', () => {
    expect(loadConfig({}).balanceSnapshotMs).toBe(300_000);
    expect(loadConfig({ EXEC_MCP_BALANCE_SNAPSHOT_S: '60' }).balanceSnapshotMs).toBe(60_000);
    expect(loadConfig({}, { 'balance-snapshot-s': '120' }).balanceSnapshotMs).toBe(120_000);
    expect(() => loadConfig({ EXEC_MCP_BALANCE_SNAPSHOT_S: '0' })).toThrow(/EXEC_MCP_BALANCE_SNAPSHOT_S must be 10-86400 seconds/);
    expect(() => loadConfig({ EXEC_MCP_BALANCE_SNAPSHOT_S: '5m' })).toThrow(/EXEC_MCP_BALANCE_SNAPSHOT_S must be a whole number/);
  });

  it('one snapshot at start, and one right after an account is created (not after the interval)', async () => {
    const lastBalanceAt = (ref: string) => t.services.accounts.get(ref).last_balance_at;
    expect(await until(async () => lastBalanceAt('paper'), (v) => v !== undefined, 5_000)).toBeDefined();
    t.services.accounts.create({ name: 'fresh', exchange: 'paper', exchange_account_id: 'fresh1', initial_balances: { USD: '1000' } } as never, 'test');
    expect(lastBalanceAt('fresh')).toBeUndefined();
    expect(await until(async () => lastBalanceAt('fresh'), (v) => v !== undefined, 5_000)).toBeDefined();
  });
});
