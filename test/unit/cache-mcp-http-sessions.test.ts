/**
 * Every MCP HTTP session is an McpServer that subscribes to order changes (resources). An
 * initialize request the transport refuses (wrong Accept or Content-Type, two initializes in a
 * batch) never becomes a session: its server must be closed, or each such request leaves a server
 * and an order-change listener behind for the life of the process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMcpHttpHandler, type McpHttpHandler } from '../../src/mcp/http.ts';
import type { Services } from '../../src/services/ports.ts';
import { createFakeServices } from './mcp-fake-services.ts';

const TOKEN = 'full-token-0123456789abcdef';
const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

let server: http.Server;
let handler: McpHttpHandler;
let url: string;
let listening = 0;

beforeEach(async () => {
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
  handler = createMcpHttpHandler({ services, token: TOKEN, logger: silentLogger() });
  server = http.createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
afterEach(async () => {
  await handler.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function post(headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, ...headers }, body: JSON.stringify(body) });
}

describe('MCP HTTP: refused initialize requests leave nothing behind', () => {
  it('no server or order-change listener survives a refused initialize', async () => {
    const refused = [
      post({ 'content-type': 'application/json', accept: 'application/json' }, initialize), // 406: must also accept text/event-stream
      post({ 'content-type': 'text/plain', accept: 'application/json, text/event-stream' }, initialize), // 415
      post({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, [initialize, { ...initialize, id: 2 }]), // two initializes
    ];
    for (const res of await Promise.all(refused)) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      await res.text();
    }
    expect(handler.sessionCount()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(listening).toBe(0);
  });

  it('an accepted initialize still opens a session (and keeps its listener)', async () => {
    const res = await post({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, initialize);
    expect(res.status).toBe(200);
    await res.text();
    expect(handler.sessionCount()).toBe(1);
    expect(listening).toBe(1);
  });
});
