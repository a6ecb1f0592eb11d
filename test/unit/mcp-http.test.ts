/** createMcpHttpHandler on a plain node:http server (no Koa): auth, sessions, read-only sessions. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMcpHttpHandler, type McpHttpHandler } from '../../src/mcp/http.ts';
import { createFakeServices } from './mcp-fake-services.ts';
import { CONTRACT_READ_TOOLS, CONTRACT_TOOLS, ok } from './mcp-harness.ts';

const TOKEN = 'full-token-0123456789abcdef';
const RO_TOKEN = 'readonly-token-0123456789abcdef';

let server: http.Server;
let handler: McpHttpHandler;
let url: string;
const clients: Client[] = [];

beforeEach(async () => {
  handler = createMcpHttpHandler({ services: createFakeServices(), token: TOKEN, readonlyToken: RO_TOKEN, logger: silentLogger() });
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/mcp')) void handler.handle(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await handler.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 't', version: '1' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('MCP over HTTP', () => {
  it('401 without or with a wrong bearer token, on every method', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const res = await fetch(url, { method, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, ...(method === 'POST' ? { body: JSON.stringify(initialize) } : {}) });
        expect(res.status, `${method} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      }
    }
    expect(handler.sessionCount()).toBe(0);
  });

  it('full token: every tool, calls work, DELETE ends the session', async () => {
    const { client, transport } = await connect(TOKEN);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...CONTRACT_TOOLS].sort());
    const placed = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.01', client_order_id: 'h1' });
    expect((placed.order as { status: string }).status).toBe('filled');
    expect(handler.sessionCount()).toBe(1);
    await transport.terminateSession();
    expect(handler.sessionCount()).toBe(0);
  });

  it('read-only token: a session without execution tools, bound to that token', async () => {
    const { client, transport } = await connect(RO_TOKEN);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...CONTRACT_READ_TOOLS].sort());
    await expect(client.callTool({ name: 'place_order', arguments: {} })).rejects.toThrow(/unknown tool/);
    // The same session id presented with the full token is refused: no escalation.
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': transport.sessionId!, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
  });

  it('rejects unknown sessions, non-initialize first requests and bad JSON', async () => {
    const h = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(url, { method: 'POST', headers: { ...h, 'mcp-session-id': 'nope' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) })).status).toBe(404);
    expect((await fetch(url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) })).status).toBe(400);
    const bad = await fetch(url, { method: 'POST', headers: h, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect((await fetch(url, { method: 'PUT', headers: h, body: '{}' })).status).toBe(405);
  });

  it('two sessions at once are independent', async () => {
    const a = await connect(TOKEN);
    const b = await connect(RO_TOKEN);
    expect(handler.sessionCount()).toBe(2);
    expect((await a.client.listTools()).tools.length).toBeGreaterThan((await b.client.listTools()).tools.length);
  });
});
