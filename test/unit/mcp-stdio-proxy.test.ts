/** proxyStdioToHttp (`exec-mcp mcp` beside a running `serve`): relays to /mcp with the token, and closes once. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMcpHttpHandler } from '../../src/mcp/http.ts';
import { proxyStdioToHttp } from '../../src/mcp/stdio-proxy.ts';
import { createFakeServices } from './mcp-fake-services.ts';

const TOKEN = 'proxy-token-0123456789abcdef';

const waitUntil = async (pred: () => boolean): Promise<void> => {
  for (let i = 0; i < 400 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
};

afterEach(() => vi.restoreAllMocks());

describe('proxyStdioToHttp', () => {
  it('relays a session to the server and, when stdin ends, closes each transport once (no re-entrant close)', async () => {
    const handler = createMcpHttpHandler({ services: createFakeServices(), token: TOKEN, logger: silentLogger() });
    const server = http.createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const remoteClose = vi.spyOn(StreamableHTTPClientTransport.prototype, 'close');
    try {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      let buf = '';
      stdout.on('data', (d: Buffer) => void (buf += d.toString()));
      const replies = (): Array<{ id?: number; result?: Record<string, unknown> }> => buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: number });
      const session = await proxyStdioToHttp({ url, token: TOKEN, logger: silentLogger(), stdin, stdout });
      stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
      await waitUntil(() => replies().length >= 1);
      stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
      stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_accounts', arguments: {} } }) + '\n');
      await waitUntil(() => replies().length >= 2);
      expect(replies().map((r) => r.id)).toEqual([1, 2]);
      expect(replies()[1]!.result).toHaveProperty('structuredContent.accounts');
      expect(buf).not.toContain(TOKEN);

      let ended = false;
      void session.closed.then(() => (ended = true));
      stdin.end();
      await waitUntil(() => ended);
      expect(ended).toBe(true);
      expect(remoteClose).toHaveBeenCalledTimes(1);
    } finally {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
