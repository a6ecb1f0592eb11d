/**
 * The bounds of MCP over HTTP (issue 25): open sessions per token are capped with longest-idle
 * eviction (an evicted session is closed, its order-change listener gone, its id answers 404),
 * busy sessions are never evicted, POSTs in flight per session are capped (429), /metrics counts
 * sessions per token kind, and no answered POST leaves a JSON-reply entry in the SDK transport.
 * Real HTTP on 127.0.0.1, raw fetch so every status is visible.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpHttpHandler, DEFAULT_MAX_SESSIONS_PER_TOKEN, type McpHttpHandler, type McpHttpOptions } from '../../src/mcp/http.ts';
import { heldJsonReplies, releaseAnsweredJsonReplies } from '../../src/mcp/sdk-json-reply-release.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { Services } from '../../src/services/ports.ts';
import { createFakeServices } from './mcp-fake-services.ts';

const TOKEN = 'full-token-0123456789abcdef';
const RO_TOKEN = 'readonly-token-0123456789abcdef';
const PROTOCOL = '2025-06-18';
const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

let server: http.Server | undefined;
let handler: McpHttpHandler | undefined;
let url = '';
let listening = 0;
/** get_balances waits on this gate while it is set, so a request can be held in flight. */
let gate: Promise<void> | undefined;

async function start(extra: Partial<McpHttpOptions> = {}): Promise<void> {
  listening = 0;
  const services = createFakeServices() as unknown as Services;
  const subscribe = services.orders.onOrderChange.bind(services.orders);
  services.orders.onOrderChange = (l) => {
    listening++;
    const off = subscribe(l);
    return () => {
      listening--;
      off();
    };
  };
  const balances = services.balances.get.bind(services.balances);
  services.balances.get = async (...args) => {
    if (gate) await gate;
    return balances(...args);
  };
  handler = createMcpHttpHandler({ services, token: TOKEN, readonlyToken: RO_TOKEN, logger: silentLogger(), ...extra });
  const h = handler;
  server = http.createServer((req, res) => void h.handle(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}
afterEach(async () => {
  gate = undefined;
  await handler?.close();
  server?.closeAllConnections();
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  handler = undefined;
  server = undefined;
});

const base = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' });

async function open(token = TOKEN): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: base(token), body: JSON.stringify(initialize) });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('mcp-session-id')!;
}

function call(session: string, body: unknown, token = TOKEN): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...base(token), 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL }, body: JSON.stringify(body) });
}
const ping = (session: string, id = 1, token = TOKEN): Promise<Response> => call(session, { jsonrpc: '2.0', id, method: 'ping' }, token);
const balances = (session: string, id: number): Promise<Response> =>
  call(session, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_balances', arguments: { account: 'paper' } } });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('MCP HTTP session cap', () => {
  it('5,000 initializes on one token keep at most the cap open; the newest work, evicted ones are closed', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    await start({ metrics });
    const cap = DEFAULT_MAX_SESSIONS_PER_TOKEN;
    const readOnly = await open(RO_TOKEN); // another token: its sessions are not the full token's to evict
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i += 10) {
      ids.push(...(await Promise.all(Array.from({ length: 10 }, () => open()))));
      expect(handler!.sessionCount('full')).toBeLessThanOrEqual(cap);
    }
    expect(ids.length).toBe(5_000);
    expect(new Set(ids).size).toBe(5_000);
    expect(handler!.sessionCount('full')).toBe(cap);
    await tick();
    expect(listening).toBe(cap + 1); // every evicted server was closed (its listener removed)
    for (const id of ids.slice(-cap)) expect((await ping(id)).status).toBe(200);
    const evicted = await ping(ids[0]!);
    expect(evicted.status).toBe(404);
    expect((await ping(readOnly, 1, RO_TOKEN)).status).toBe(200);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`^exec_mcp_mcp_sessions\\{kind="full"\\} ${cap}$`, 'm'));
    expect(text).toMatch(/^exec_mcp_mcp_sessions\{kind="readonly"\} 1$/m);
  }, 180_000);

  it('the longest-idle session goes first, and a session with a request in flight is never evicted', async () => {
    await start({ maxSessionsPerToken: 2 });
    const a = await open();
    const b = await open();
    expect((await ping(a)).status).toBe(200); // a is now more recent than b
    const c = await open();
    expect((await ping(b)).status).toBe(404);
    expect((await ping(a)).status).toBe(200);
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const heldA = balances(a, 2);
    const heldC = balances(c, 2);
    await tick();
    const refused = await fetch(url, { method: 'POST', headers: base(TOKEN), body: JSON.stringify(initialize) });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/too many open sessions/);
    release();
    expect((await heldA).status).toBe(200);
    expect((await heldC).status).toBe(200);
    await open();
    expect(handler!.sessionCount('full')).toBe(2);
  });
});

describe('MCP HTTP per-session budget', () => {
  it('POSTs in flight beyond the cap get 429; the others are answered and the session goes on', async () => {
    await start({ maxInFlightPerSession: 2 });
    const s = await open();
    let release!: () => void;
    gate = new Promise((r) => (release = r));
    const first = balances(s, 1);
    const second = balances(s, 2);
    await tick();
    const third = await balances(s, 3);
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(/in flight.*max 2/);
    release();
    for (const r of [await first, await second]) {
      expect(r.status).toBe(200);
      expect(((await r.json()) as { result: { isError?: boolean } }).result.isError).toBeFalsy();
    }
    expect((await balances(s, 4)).status).toBe(200);
  });

  it('a body over maxBodyBytes is refused with 413', async () => {
    await start({ maxBodyBytes: 1024 });
    const s = await open();
    const res = await call(s, { jsonrpc: '2.0', id: 1, method: 'ping', params: { junk: 'x'.repeat(2048) } });
    expect(res.status).toBe(413);
    expect((await ping(s)).status).toBe(200);
  });
});

describe('MCP HTTP deep values', () => {
  it('a 1e5-deep argument sent as raw JSON is INVALID_ARGUMENT, not a server error', async () => {
    await start();
    const s = await open();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...base(TOKEN), 'mcp-session-id': s, 'mcp-protocol-version': PROTOCOL },
      body: `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_accounts","arguments":{"enabled":${deep}}}}`,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; result: { isError: boolean; structuredContent: { error: { code: string; message: string } } } };
    expect(body.id).toBe(5);
    expect(body.result.isError).toBe(true);
    expect(body.result.structuredContent.error.code).toBe('INVALID_ARGUMENT');
    expect(body.result.structuredContent.error.message).toMatch(/^enabled: nested more than 64 levels/);
  });
});

describe('SDK JSON-reply retention workaround', () => {
  it('the SDK still keeps an answered JSON reply (so the workaround is needed) and the release removes it', async () => {
    const mcp = new McpServer({ name: 't', version: '1' });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => 'sid', enableJsonResponse: true });
    await mcp.connect(transport);
    const srv = http.createServer((req, res) => void transport.handleRequest(req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`;
    try {
      await open();
      for (let i = 1; i <= 3; i++) expect((await ping('sid', i)).status).toBe(200);
      // If a later SDK renames these fields, heldJsonReplies is undefined and this test says so.
      expect(heldJsonReplies(transport)).toBe(4);
      expect(releaseAnsweredJsonReplies(transport)).toBe(4);
      expect(heldJsonReplies(transport)).toBe(0);
    } finally {
      await mcp.close();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
