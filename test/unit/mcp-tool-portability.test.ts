/**
 * The tool list as the big LLM providers check it: Anthropic, OpenAI, Bedrock and Vertex refuse a
 * request whose tools hold a root oneOf/anyOf/allOf ("input_schema does not support oneOf, allOf, or
 * anyOf at the top level"), which fails the client's whole session, not one tool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, inputJsonSchema, ROOT_INPUT_KEYWORDS_REFUSED } from '../../src/mcp/tool-registry.ts';
import { createFakeServices } from './mcp-fake-services.ts';
import { connectInMemory, fail, type Connected } from './mcp-harness.ts';

let conn: Connected | undefined;
afterEach(async () => {
  await conn?.close();
  conn = undefined;
});

describe('tool input schemas a provider accepts', () => {
  for (const readOnly of [false, true]) {
    it(`${readOnly ? 'read-only' : 'full'} tools/list: every input schema is a plain object at its root`, async () => {
      conn = await connectInMemory(createFakeServices(), { readOnly });
      const { tools } = await conn.client.listTools();
      expect(tools.length).toBeGreaterThan(5);
      for (const t of tools) {
        const root = t.inputSchema as Record<string, unknown>;
        expect(root.type, t.name).toBe('object');
        for (const k of ROOT_INPUT_KEYWORDS_REFUSED) expect(k in root, `${t.name} has ${k} at its root`).toBe(false);
      }
    });
  }

  it('a tool whose schema would put a composition keyword at the root is refused at registration', () => {
    const spec = defineTool({
      name: 'bad_tool',
      title: 'Bad',
      description: 'a tool whose input is a union at the root, which providers refuse',
      input: z.object({ a: z.string() }).or(z.object({ b: z.string() })) as unknown as z.ZodObject<{ a: z.ZodString }>,
      output: z.object({}),
      annotations: { readOnlyHint: true },
      handler: () => ({}),
    });
    expect(() => inputJsonSchema(spec)).toThrow(/anyOf at its root/);
  });

  it('"exactly one of order_id / client_order_id" and "until or steps" are checked by the handler and said in the schema', async () => {
    conn = await connectInMemory(createFakeServices());
    const { tools } = await conn.client.listTools();
    const getOrder = tools.find((t) => t.name === 'get_order')!;
    const props = getOrder.inputSchema.properties as Record<string, { description?: string }>;
    expect(props.order_id!.description).toMatch(/not both/);
    expect((await fail(conn.client, 'get_order', { account: 'paper' })).code).toBe('INVALID_ARGUMENT');
    const both = await fail(conn.client, 'cancel_order', { account: 'paper', order_id: '01J00000000000000000000000', client_order_id: 'x1' });
    expect(both).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(both.message).toMatch(/only one of order_id and client_order_id/);
    const advance = await fail(conn.client, 'backtest_advance', { backtest_id: 'b1', until: '2024-01-01T00:00:00Z', steps: 3 });
    expect(advance.code).toBe('INVALID_ARGUMENT');
    expect(advance.message).toMatch(/not both/);
  });
});

describe('tools/list size (an LLM client pays for it in tokens before doing anything)', () => {
  // Issue budget: full 24 KB, read-only 16 KB of JSON (was 49.4 / 29.8 KB). Output schemas list the
  // top-level fields only, inputs keep types, enums, short patterns and descriptions.
  const BUDGET = { full: 24 * 1024, readOnly: 16 * 1024 };
  for (const readOnly of [false, true]) {
    it(`${readOnly ? 'read-only' : 'full'} tool list stays within its budget, with no long regex and no error-code enum`, async () => {
      conn = await connectInMemory(createFakeServices(), { readOnly });
      const json = JSON.stringify(await conn.client.listTools());
      expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(readOnly ? BUDGET.readOnly : BUDGET.full);
      expect(json).not.toMatch(/"pattern":"[^"]{40,}"/);
      // Error codes are explained once, in the instructions, not in any schema.
      expect(json).not.toContain('"INVALID_ARGUMENT"');
    });
  }

  it('descriptions keep what an LLM needs: order types and time in force, units, what backtest_id is', async () => {
    conn = await connectInMemory(createFakeServices());
    const { tools } = await conn.client.listTools();
    const props = (name: string): Record<string, { description?: string; type?: unknown }> =>
      tools.find((t) => t.name === name)!.inputSchema.properties as Record<string, { description?: string }>;
    const place = props('place_order');
    expect(place.type!.description).toMatch(/instant \(/);
    expect(place.time_in_force!.description).toMatch(/daily \(cancelled at 00:00 UTC\)/);
    expect(place.amount!.description).toMatch(/BASE currency/);
    expect(place.price!.description).toMatch(/QUOTE currency/);
    expect(props('backtest_report').backtest_id!.description).toMatch(/backtest_create/);
    const data = props('backtest_create').data as { anyOf: { properties?: Record<string, { items: { properties: Record<string, { type?: unknown }> } }> }[] };
    const trade = data.anyOf.find((v) => v.properties?.trades)!.properties!.trades!.items.properties;
    expect(trade.price!.type).toBe('string');
    expect(trade.timestamp!.type).toEqual(['string', 'integer']);
  });
});
