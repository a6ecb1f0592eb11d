/**
 * A deeply nested argument is a caller's mistake, not a server fault (issue 25): a 1e5-deep value
 * used to overflow the stack in validation or the services and come back as INTERNAL. Now every
 * tool answers INVALID_ARGUMENT naming the field, before anything recurses, on the real app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARGUMENT_DEPTH, pathDeeperThan } from '../../src/mcp/argument-depth.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { connectInMemory, fail, ok, type Connected } from './mcp-harness.ts';

/** `levels` nested arrays (or objects {a: ...}) around `leaf`, built without recursion. */
function nested(levels: number, kind: 'array' | 'object', leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

describe('pathDeeperThan', () => {
  it('allows exactly the limit and names the path of the first value beyond it', () => {
    expect(pathDeeperThan({ x: nested(MAX_ARGUMENT_DEPTH, 'array') })).toBeUndefined();
    const path = pathDeeperThan({ ok: 1, x: nested(MAX_ARGUMENT_DEPTH + 1, 'array') });
    expect(path?.[0]).toBe('x');
    expect(path).toHaveLength(MAX_ARGUMENT_DEPTH + 1);
    expect(pathDeeperThan(nested(100_000, 'object'))?.slice(0, 2)).toEqual(['a', 'a']);
    expect(pathDeeperThan('plain')).toBeUndefined();
  });
});

describe('deep argument values on the real app', () => {
  let app: TestApp;
  let conn: Connected;
  beforeAll(async () => {
    app = await startTestApp();
    conn = await connectInMemory(app.services);
  });
  afterAll(async () => {
    await conn?.close();
    await app?.close();
  });

  const deepArray = nested(100_000, 'array');
  const deepObject = nested(100_000, 'object');
  const trade = { timestamp: '2026-01-01T00:00:00Z', price: '50000', amount: '1', side: 'sell' };
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['backtest_create', 'data', { data: { trades: [{ ...trade, timestamp: deepArray }] }, initial_balances: { USD: '1000' } }],
    ['backtest_create', 'data', { data: { trades: [{ ...trade, extra: deepObject }] }, initial_balances: { USD: '1000' } }],
    ['place_order', 'amount', { account: 'paper', market: 'btcusd', side: 'buy', type: 'market', amount: deepObject }],
    ['preview_order', 'price', { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: deepArray }],
    ['list_accounts', 'enabled', { enabled: deepArray }],
  ];
  for (const [tool, field, args] of cases) {
    it(`${tool} with a 1e5-deep ${field}: INVALID_ARGUMENT naming ${field}`, async () => {
      const err = await fail(conn.client, tool, args);
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(new RegExp(`^${field}: nested more than ${MAX_ARGUMENT_DEPTH} levels deep`));
      expect(err.details).toEqual({ fields: [field] });
    });
  }

  it('ordinary nesting still passes (quote levels are the deepest argument)', async () => {
    const quotes = [{ timestamp: '2026-01-01T00:00:00Z', bid: '49990', ask: '50010', bid_amount: '1', ask_amount: '1', bids: [['49990', '1']], asks: [['50010', '1']] }];
    const bt = await ok(conn.client, 'backtest_create', { data: { quotes }, initial_balances: { USD: '1000' } });
    expect(bt.backtest_id).toBeDefined();
  });
});
