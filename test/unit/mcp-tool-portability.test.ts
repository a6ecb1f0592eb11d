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
  // Issue budget: full 24 KB, read-only 16 KB. Reached so far: 42.3 KB / 25.7 KB with get_trading_status
  // (was 49.4 / 29.8 KB without it, before the date-time regex and the error-code enum left every
  // schema). These ceilings keep it from growing back while the rest is trimmed.
  // +200 full for require_confirmation (place_order sentence, get_account field, two error codes in preview's enum).
  const CEILING = { full: 43_000, readOnly: 26_300 };
  for (const readOnly of [false, true]) {
    it(`${readOnly ? 'read-only' : 'full'} tool list stays under its ceiling, with no long regex in it`, async () => {
      conn = await connectInMemory(createFakeServices(), { readOnly });
      const json = JSON.stringify(await conn.client.listTools());
      expect(json.length).toBeLessThanOrEqual(readOnly ? CEILING.readOnly : CEILING.full);
      expect(json).not.toMatch(/"pattern":"[^"]{100,}"/);
      // Error codes are explained once, in the instructions; only preview_order's problems list names them.
      expect(json.split('"enum":["INVALID_ARGUMENT"').length - 1).toBe(1);
    });
  }
});
