/**
 * Fuzz at the edge alone (fake services): malformed arguments never reach a service at all. Every
 * service method is wrapped to count calls; the count must stay 0 while every call fails with
 * INVALID_ARGUMENT naming a field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Services } from '../../src/services/ports.ts';
import { connectInMemory, type Connected } from '../unit/mcp-harness.ts';
import { createFakeServices } from '../unit/mcp-fake-services.ts';
import { malformedArgs, type JsonSchema } from './mcp-fuzz-arbitraries.ts';

let conn: Connected;
let serviceCalls = 0;

/** Wraps every method of every service so any call is counted. */
function counting(services: Services): Services {
  const wrapped: Record<string, unknown> = {};
  for (const [name, svc] of Object.entries(services)) {
    if (typeof svc !== 'object' || svc === null) continue;
    const w: Record<string, unknown> = {};
    for (const [m, fn] of Object.entries(svc as Record<string, unknown>))
      w[m] = typeof fn === 'function' && m !== 'onOrderChange' ? (...a: unknown[]) => (serviceCalls++, (fn as (...x: unknown[]) => unknown).apply(svc, a)) : fn;
    wrapped[name] = w;
  }
  return wrapped as unknown as Services;
}

beforeAll(async () => {
  conn = await connectInMemory(counting(createFakeServices()));
});
afterAll(async () => conn?.close());

describe('MCP edge fuzzing (fake services)', () => {
  it('malformed arguments are INVALID_ARGUMENT naming a field and never reach a service', async () => {
    const { tools } = await conn.client.listTools();
    for (const tool of tools) {
      await fc.assert(
        fc.asyncProperty(malformedArgs(tool.name, tool.inputSchema as JsonSchema), async (m) => {
          const r = (await conn.client.callTool({ name: tool.name, arguments: m.args })) as CallToolResult;
          const err = (r.structuredContent as { error?: { code: string; details?: { fields?: string[] } } }).error;
          if (!r.isError || err?.code !== 'INVALID_ARGUMENT') throw new Error(`${tool.name} (${m.kind}) ${JSON.stringify(m.args)} -> ${JSON.stringify(r.structuredContent)}`);
          expect(err.details?.fields?.length).toBeGreaterThan(0);
        }),
        { numRuns: Number(process.env.MCP_FUZZ_RUNS ?? 100), seed: 1 },
      );
    }
    expect(serviceCalls).toBe(0);
  });
});
