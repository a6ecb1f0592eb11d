import { afterEach, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { DomainError } from '../../src/domain/errors.ts';
import { BENCH_NOOP_TOOL } from '../../src/mcp/server.ts';
import { createFakeServices } from './mcp-fake-services.ts';
import { CONTRACT_EXECUTION_TOOLS, CONTRACT_READ_TOOLS, CONTRACT_TOOLS, call, connectInMemory, fail, ok, type Connected } from './mcp-harness.ts';

let conn: Connected | undefined;
afterEach(async () => {
  await conn?.close();
  conn = undefined;
});

describe('tools/list', () => {
  it('lists every contract tool with honest annotations and input + output schemas', async () => {
    conn = await connectInMemory(createFakeServices());
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...CONTRACT_TOOLS].sort());
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.description!.length, t.name).toBeGreaterThan(30);
      expect(t.inputSchema.type).toBe('object');
      expect(t.inputSchema.additionalProperties, `${t.name} rejects unknown fields`).toBe(false);
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(Object.keys(t.outputSchema!.properties ?? {}), t.name).toContain('error');
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const n of CONTRACT_READ_TOOLS) expect(byName.get(n)!.annotations?.readOnlyHint, n).toBe(true);
    for (const n of ['place_order', 'cancel_order', 'cancel_all_orders']) {
      expect(byName.get(n)!.annotations?.destructiveHint, n).toBe(true);
      expect(byName.get(n)!.annotations?.readOnlyHint, n).toBe(false);
      expect(byName.get(n)!.annotations?.openWorldHint, n).toBe(true);
    }
    expect(byName.get('place_order')!.annotations?.idempotentHint, 'idempotent only with a client_order_id').toBe(false);
    expect(byName.get('cancel_order')!.annotations?.idempotentHint).toBe(true);
    // The advertised input schema describes the real fields.
    const place = byName.get('place_order')!.inputSchema;
    expect(Object.keys(place.properties ?? {}).sort()).toEqual(
      ['account', 'amount', 'client_order_id', 'expire_time', 'market', 'post_only', 'price', 'side', 'time_in_force', 'type'].sort(),
    );
    expect(place.required).toEqual(expect.arrayContaining(['account', 'market', 'side', 'type', 'amount']));
    expect(byName.get('cancel_order')!.inputSchema.oneOf, 'no root oneOf (LLM providers refuse it)').toBeUndefined();
    expect(byName.get('list_orders')!.outputSchema!.properties).toHaveProperty('orders');
  });

  it('read-only mode registers no execution tool at all', async () => {
    conn = await connectInMemory(createFakeServices(), { readOnly: true });
    const names = (await conn.client.listTools()).tools.map((t) => t.name);
    expect(names.sort()).toEqual([...CONTRACT_READ_TOOLS].sort());
    for (const n of CONTRACT_EXECUTION_TOOLS) expect(names).not.toContain(n);
    await expect(conn.client.callTool({ name: 'place_order', arguments: {} })).rejects.toThrow(/unknown tool "place_order"/);
    expect(conn.client.getInstructions()).toMatch(/READ-ONLY/);
  });

  it('the bench no-op tool exists only when enabled', async () => {
    conn = await connectInMemory(createFakeServices());
    expect((await conn.client.listTools()).tools.map((t) => t.name)).not.toContain(BENCH_NOOP_TOOL);
    await conn.close();
    conn = await connectInMemory(createFakeServices(), { benchNoop: true });
    expect(await ok(conn.client, BENCH_NOOP_TOOL, {})).toEqual({ ok: true });
  });

  it('instructions explain account references, decimal strings, preview/client_order_id and every error code', async () => {
    conn = await connectInMemory(createFakeServices());
    const text = conn.client.getInstructions() ?? '';
    expect(text).toMatch(/<exchange>:<exchange_account_id>/);
    expect(text).toMatch(/DECIMAL STRINGS/);
    expect(text).toMatch(/preview_order/);
    expect(text).toMatch(/client_order_id/);
    for (const code of ['INVALID_ARGUMENT', 'OUTCOME_UNKNOWN', 'RISK_LIMIT', 'INTERNAL']) expect(text).toContain(code);
  });
});

describe('argument validation', () => {
  it('unknown fields are INVALID_ARGUMENT naming the field and the allowed ones', async () => {
    conn = await connectInMemory(createFakeServices());
    const e = await fail(conn.client, 'list_exchanges', { verbose: true });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/unknown field "verbose"/);
    expect(e.details?.fields).toEqual(['verbose']);
    const e2 = await fail(conn.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '1', api_key: 'x' });
    expect(e2.message).toMatch(/unknown field "api_key".*allowed fields: account, market/);
  });

  it('wrong types, missing fields and bad enums name the field and what is allowed', async () => {
    conn = await connectInMemory(createFakeServices());
    const e = await fail(conn.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'hold', type: 'limit', amount: true });
    // (amount as a JSON number is accepted now when it converts exactly; a boolean is still a wrong type)
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/side: .*"buy"\|"sell"/);
    expect(e.message).toMatch(/amount: must be string or number, got boolean/);
    expect(e.details?.fields).toEqual(expect.arrayContaining(['side', 'amount']));
    const missing = await fail(conn.client, 'get_balances', {});
    expect(missing.message).toMatch(/account is required/);
    const exp = await fail(conn.client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '1e3', price: '1' });
    expect(exp.message).toMatch(/amount: must be a non-negative decimal string/);
  });

  it('cancel_order/get_order need exactly one of order_id and client_order_id', async () => {
    conn = await connectInMemory(createFakeServices());
    expect((await fail(conn.client, 'cancel_order', { account: 'paper' })).message).toMatch(/give order_id or client_order_id/);
    expect((await fail(conn.client, 'get_order', { account: 'paper', order_id: 'A', client_order_id: 'b' })).message).toMatch(/only one/);
  });

  it('a union field reports the alternative the caller meant', async () => {
    conn = await connectInMemory(createFakeServices());
    const e = await fail(conn.client, 'backtest_create', { data: { trades: 'x' }, initial_balances: { USD: '1' } });
    expect(e.message).toMatch(/data\.trades: must be array, got string/);
    const e2 = await fail(conn.client, 'backtest_create', { data: 42, initial_balances: { USD: '1' } });
    expect(e2.message).toMatch(/data: does not match any allowed form/);
  });

  it('backtest_advance refuses until together with steps', async () => {
    conn = await connectInMemory(createFakeServices());
    const e = await fail(conn.client, 'backtest_advance', { backtest_id: 'BT1', until: '2026-01-01T00:00:00Z', steps: 3 });
    expect(e.code).toBe('INVALID_ARGUMENT');
  });
});

describe('error mapping', () => {
  it('a DomainError keeps its code and message', async () => {
    conn = await connectInMemory(createFakeServices());
    const e = await fail(conn.client, 'get_account', { account: 'nope' });
    expect(e).toEqual({ code: 'ACCOUNT_NOT_FOUND', message: 'no account "nope"' });
    const m = await fail(conn.client, 'get_fees', { account: 'paper', market: 'ethusd' });
    expect(m.code).toBe('MARKET_NOT_FOUND');
  });

  it('anything else is INTERNAL with no stack trace and no secret', async () => {
    const services = createFakeServices();
    services.markets.listExchanges = () => {
      throw new Error('db password=hunter2 at /srv/secret.ts:12');
    };
    conn = await connectInMemory(services);
    const r = await conn.client.callTool({ name: 'list_exchanges', arguments: {} });
    const text = JSON.stringify(r);
    expect(r.isError).toBe(true);
    expect((r.structuredContent as { error: { code: string } }).error.code).toBe('INTERNAL');
    expect(text).not.toMatch(/hunter2|secret\.ts|at \//);
  });

  it('a result that does not match the output schema becomes INTERNAL instead of leaking', async () => {
    const services = createFakeServices();
    services.markets.listExchanges = () => [{ id: 'x', name: 'X', live: 'yes' } as never];
    conn = await connectInMemory(services);
    expect((await fail(conn.client, 'list_exchanges', {})).code).toBe('INTERNAL');
  });

  it('undocumented fields are stripped from results (api_key_hint never leaves)', async () => {
    conn = await connectInMemory(createFakeServices());
    const a = await ok(conn.client, 'get_account', { account: 'paper:default' });
    expect(a).toMatchObject({ name: 'paper', exchange: 'paper', exchange_account_id: 'default', has_credentials: false, limits: {} });
    expect(a).not.toHaveProperty('api_key_hint');
  });

  it('domain errors from a service thrown synchronously are mapped too', async () => {
    const services = createFakeServices();
    services.markets.getMarket = () => {
      throw new DomainError('MARKET_DISABLED', 'btcusd has trading disabled');
    };
    conn = await connectInMemory(services);
    expect(await fail(conn.client, 'get_market_rules', { exchange: 'paper', market: 'btcusd' })).toEqual({ code: 'MARKET_DISABLED', message: 'btcusd has trading disabled' });
  });
});

describe('paper flow against fake services', () => {
  it('discover, preview, place (idempotent), resource update, fill, balances, cancel, fills', async () => {
    const services = createFakeServices();
    conn = await connectInMemory(services);
    const { client } = conn;
    const accounts = (await ok(client, 'list_accounts', { enabled: true })).accounts as { name: string }[];
    expect(accounts.map((a) => a.name)).toEqual(['paper']);
    const rules = await ok(client, 'get_market_rules', { exchange: 'paper', market: 'btcusd' });
    expect(rules).toMatchObject({ tick_size: '1', step_size: '0.00000001' });

    const preview = await ok(client, 'preview_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.123456789', price: '40000' });
    expect(preview.valid).toBe(false);
    expect((preview.problems as { code: string }[])[0]!.code).toBe('PRECISION_VIOLATION');

    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    const uri = 'orders://paper%3Adefault/open';
    await client.subscribeResource({ uri });

    const resting = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', client_order_id: 'rest-1' });
    const again = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', client_order_id: 'rest-1' });
    expect((again.order as { order_id: string }).order_id).toBe((resting.order as { order_id: string }).order_id);
    await expect.poll(() => updates.length).toBeGreaterThan(0);
    expect(updates[0]).toBe(uri);
    const read = await client.readResource({ uri });
    const content = read.contents[0]!;
    expect(JSON.parse('text' in content ? content.text : '{}').orders).toHaveLength(1);

    const taker = await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: '0.01', client_order_id: 'mkt-1' });
    expect((taker.order as { status: string }).status).toBe('filled');
    const bal = await ok(client, 'get_balances', { account: 'paper', refresh: true });
    expect(bal.balances).toContainEqual(expect.objectContaining({ currency: 'BTC', total: '1.01' }));
    const hist = await ok(client, 'get_balance_history', { account: 'paper', currency: 'BTC' });
    expect((hist.snapshots as unknown[]).length).toBeGreaterThan(0);

    const cancelled = await ok(client, 'cancel_order', { account: 'paper', client_order_id: 'rest-1' });
    expect((cancelled.order as { status: string }).status).toBe('cancelled');
    expect((await fail(client, 'cancel_order', { account: 'paper', client_order_id: 'rest-1' })).code).toBe('ORDER_NOT_CANCELLABLE');
    const fills = (await ok(client, 'list_fills', { account: 'paper' })).fills as { order_id: string }[];
    expect(fills).toHaveLength(1);
    expect(fills[0]!.order_id).toBe((taker.order as { order_id: string }).order_id);

    await client.unsubscribeResource({ uri });
    const before = updates.length;
    await ok(client, 'place_order', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' });
    await new Promise((r) => setTimeout(r, 20));
    expect(updates.length).toBe(before);
  });

  it('lists the orders and fills resources per account and rejects unknown resources', async () => {
    conn = await connectInMemory(createFakeServices());
    const { resources } = await conn.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['orders://paper%3Adefault/open', 'fills://paper%3Adefault/recent']);
    const { resourceTemplates } = await conn.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['orders://{account}/open', 'fills://{account}/recent']);
    await expect(conn.client.readResource({ uri: 'fills://paper/open' })).rejects.toThrow(/fills:\/\/<account>\/recent/);
    await expect(conn.client.readResource({ uri: 'orders://nobody/open' })).rejects.toThrow(/no account/);
    await expect(conn.client.subscribeResource({ uri: 'file:///etc/passwd' })).rejects.toThrow(/expected orders:/);
    // The raw (unencoded) reference form is accepted as well.
    const raw = await conn.client.readResource({ uri: 'orders://paper/open' });
    expect(raw.contents).toHaveLength(1);
  });

  it('every error result also validates against the advertised output schema', async () => {
    conn = await connectInMemory(createFakeServices());
    // The SDK client validates structuredContent against outputSchema even for isError results.
    const r = await call(conn.client, 'list_orders', { account: 'ghost' });
    expect(r.ok).toBe(false);
  });
});
