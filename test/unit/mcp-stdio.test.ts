/** serveStdio over in-memory streams: protocol-only stdout, session ends with stdin. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { serveStdio } from '../../src/mcp/stdio.ts';
import { createFakeServices } from './mcp-fake-services.ts';

function lines(stream: PassThrough): { all: () => unknown[] } {
  let buf = '';
  stream.on('data', (d: Buffer) => void (buf += d.toString()));
  return { all: () => buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) };
}

const waitUntil = async (pred: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('serveStdio', () => {
  it('answers JSON-RPC on stdout only and ends when stdin ends', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out = lines(stdout);
    const session = await serveStdio({ services: createFakeServices(), readOnly: true, logger: silentLogger(), stdin, stdout });
    stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
    stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_accounts', arguments: { enabled: 'yes' } } }) + '\n');
    await waitUntil(() => out.all().length >= 2);
    const [init, call] = out.all() as Array<{ id: number; result: Record<string, unknown> }>;
    expect(init!.id).toBe(1);
    expect((init!.result.serverInfo as { name: string }).name).toBe('exec-mcp');
    expect(call!.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'INVALID_ARGUMENT' } } });
    let ended = false;
    void session.closed.then(() => (ended = true));
    stdin.end();
    await waitUntil(() => ended);
    expect(ended).toBe(true);
  });
});
