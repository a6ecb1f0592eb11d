/** Decimal arguments sent as JSON numbers (as many LLM tool calls and the MCP Inspector send them), against the real app. */
import { describe, expect, it } from 'vitest';
import { decimalTextOfNumber } from '../../src/mcp/schemas.ts';
import { useAppClient } from './mcp-app-client.ts';
import { fail, ok } from './mcp-harness.ts';

const env = useAppClient();

const limitBuy = { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit' } as const;

describe('decimal arguments as JSON numbers', () => {
  it('converts through the shortest round-trip decimal, refuses what is not one exact decimal', () => {
    expect(decimalTextOfNumber(0.01)).toEqual({ text: '0.01' });
    expect(decimalTextOfNumber(30000)).toEqual({ text: '30000' });
    expect(decimalTextOfNumber(123456789012345)).toEqual({ text: '123456789012345' });
    expect(decimalTextOfNumber(1e-7)).toMatchObject({ refused: expect.stringMatching(/exponent form.*send it as a decimal string/) });
    expect(decimalTextOfNumber(0.1 + 0.2)).toMatchObject({ refused: expect.stringMatching(/17 significant digits/) });
    expect(decimalTextOfNumber(Number.NaN)).toMatchObject({ refused: expect.stringMatching(/not a decimal/) });
    expect(decimalTextOfNumber(Number.POSITIVE_INFINITY)).toMatchObject({ refused: expect.stringMatching(/not a decimal/) });
  });

  it('place_order and preview_order take amount and price as numbers, stored as the same decimal strings', async () => {
    const preview = await ok(env.client, 'preview_order', { ...limitBuy, amount: 0.01, price: 20000 });
    expect(preview).toMatchObject({ valid: true, normalized: { amount: '0.01', price: '20000' } });
    const placed = await ok(env.client, 'place_order', { ...limitBuy, amount: 0.00123, price: 20001, client_order_id: 'num-1' });
    expect(placed.order).toMatchObject({ amount: '0.00123', price: '20001', client_order_id: 'num-1' });
  });

  it('refuses exponent forms and too many digits with INVALID_ARGUMENT saying to send a string', async () => {
    const exp = await fail(env.client, 'place_order', { ...limitBuy, amount: 1e-7, price: '20000' });
    expect(exp.code).toBe('INVALID_ARGUMENT');
    expect(exp.message).toMatch(/amount/);
    expect(exp.message).toMatch(/send it as a decimal string/);
    const long = await fail(env.client, 'preview_order', { ...limitBuy, amount: '0.01', price: 0.1 + 0.2 });
    expect(long.code).toBe('INVALID_ARGUMENT');
    expect(long.message).toMatch(/price/);
    expect(long.message).toMatch(/significant digits/);
    // A number still meets the field's own rules once converted.
    expect((await fail(env.client, 'place_order', { ...limitBuy, amount: -1, price: '20000' })).code).toBe('INVALID_ARGUMENT');
    expect((await fail(env.client, 'place_order', { ...limitBuy, amount: true, price: '20000' })).code).toBe('INVALID_ARGUMENT');
  });
});
