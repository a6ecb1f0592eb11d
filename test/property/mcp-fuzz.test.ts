/**
 * Fuzz: thousands of malformed arguments to every tool, in-process over InMemoryTransport against the
 * real app on a temp data dir. Every call must come back as an INVALID_ARGUMENT tool error (never a
 * protocol error, crash or success), the server must stay up, and the database must not change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_CODES } from '../../src/domain/errors.ts';
import { connectInMemory, CONTRACT_READ_TOOLS, type Connected } from '../unit/mcp-harness.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { malformedArgs, type JsonSchema } from './mcp-fuzz-arbitraries.ts';

const RUNS = Number(process.env.MCP_FUZZ_RUNS ?? 150);

let app: TestApp;
let conn: Connected;
let tools: { name: string; inputSchema: JsonSchema }[];

beforeAll(async () => {
  app = await startTestApp();
  conn = await connectInMemory(app.services);
  tools = (await conn.client.listTools()).tools as typeof tools;
  // Some state to protect: a balance snapshot and a resting order.
  await conn.client.callTool({ name: 'get_balances', arguments: { account: 'paper', refresh: true } });
  await conn.client.callTool({ name: 'place_order', arguments: { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: 'fuzz-resting' } });
  await app.settle();
});
afterAll(async () => {
  await conn?.close();
  await app?.close();
});

async function callRaw(name: string, args: unknown): Promise<CallToolResult> {
  return (await conn.client.callTool({ name, arguments: args as Record<string, unknown> })) as CallToolResult;
}

describe('MCP argument fuzzing', () => {
  it('every malformed call is INVALID_ARGUMENT and changes no stored data', async () => {
    const before = app.digest();
    let calls = 0;
    for (const tool of tools) {
      await fc.assert(
        fc.asyncProperty(malformedArgs(tool.name, tool.inputSchema), async (m) => {
          calls++;
          const r = await callRaw(tool.name, m.args);
          const err = (r.structuredContent as { error?: { code: string; message: string } } | undefined)?.error;
          if (!r.isError || err?.code !== 'INVALID_ARGUMENT')
            throw new Error(`${tool.name} (${m.kind}) ${JSON.stringify(m.args)} -> ${JSON.stringify(r.structuredContent)}`);
          expect(err.message.length).toBeGreaterThan(0);
        }),
        { numRuns: RUNS, seed: 42 },
      );
    }
    expect(calls).toBeGreaterThanOrEqual(tools.length * RUNS);
    await app.settle();
    expect(app.digest()).toBe(before);
    // Still serving.
    expect((await callRaw('list_exchanges', {})).isError).toBeFalsy();
  });

  it('the digest does see a real change (so the checks above can fail)', async () => {
    const before = app.digest();
    const r = await callRaw('place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: 'fuzz-control' });
    expect(r.isError).toBeFalsy();
    await app.settle();
    expect(app.digest()).not.toBe(before);
  });

  it('arbitrary argument objects give a contract error code (or a read-only success) and change nothing', async () => {
    const before = app.digest();
    const readOnly = new Set<string>(CONTRACT_READ_TOOLS);
    for (const tool of tools) {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), async (args) => {
          const r = await callRaw(tool.name, args);
          if (r.isError) {
            const code = (r.structuredContent as { error: { code: string } }).error.code;
            expect(ERROR_CODES).toContain(code);
            expect(code).not.toBe('INTERNAL');
          } else expect(readOnly.has(tool.name), `${tool.name} accepted ${JSON.stringify(args)}`).toBe(true);
        }),
        { numRuns: Math.ceil(RUNS / 3), seed: 7 },
      );
    }
    await app.settle();
    expect(app.digest()).toBe(before);
  });
});
