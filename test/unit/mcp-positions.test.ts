/**
 * get_positions over the SDK client against the real app: three resting limit orders on a paper
 * account fill at their limit prices as the (test-controlled) price crosses them, and the position
 * is the hand-computed one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountRepository } from '../../src/accounts/repository.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { PaperExchangeAdapter } from '../../src/exchanges/paper.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { connectInMemory, fail, ok, type Connected } from './mcp-harness.ts';

const prices = new FixedPriceSource({ btcusd: '110', ethusd: '3000' });
let app: TestApp;
let conn: Connected;

beforeAll(async () => {
  app = await startTestApp({}, { priceSource: prices });
  conn = await connectInMemory(app.services);
});
afterAll(async () => {
  await conn?.close();
  await app?.close();
});

async function waitFilled(clientOrderId: string): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const o = (await ok(conn.client, 'get_order', { account: 'pos', client_order_id: clientOrderId })).order as { status: string };
    if (o.status === 'filled') return;
    if (Date.now() > until) throw new Error(`${clientOrderId} did not fill: ${o.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Places a resting limit order at `limit` with the price at `restAt`, then moves the price to `crossAt` so it fills at its limit. */
async function restThenCross(id: string, side: 'buy' | 'sell', limit: string, restAt: string, crossAt: string): Promise<void> {
  prices.set('btcusd', restAt);
  const placed = await ok(conn.client, 'place_order', { account: 'pos', market: 'btcusd', side, type: 'limit', amount: '1', price: limit, client_order_id: id });
  expect((placed.order as { status: string }).status).toBe('open');
  prices.set('btcusd', crossAt);
  // The price poll runs every 5 s; a tick now makes the crossing deterministic.
  const venue = app.app.registry.get(new AccountRepository(app.app.db).resolve('pos'));
  if (!(venue instanceof PaperExchangeAdapter)) throw new Error('pos is not a paper account');
  await venue.tick('btcusd');
  await waitFilled(id);
}

describe('get_positions', () => {
  it('buy 1 @100, buy 1 @200, sell 1 @300 at the paper maker fee 0.3%: amount 1, average 150, realized 150 - 1.8, unrealized at the mark', async () => {
    app.services.accounts.create({ name: 'pos', exchange: 'paper', exchange_account_id: 'pos', initial_balances: { USD: '10000', BTC: '0' } }, 'test');
    expect(await ok(conn.client, 'get_positions', { account: 'pos' })).toMatchObject({ account: 'pos', positions: [] });

    await restThenCross('p-1', 'buy', '100', '110', '99');
    await restThenCross('p-2', 'buy', '200', '210', '199');
    await restThenCross('p-3', 'sell', '300', '290', '301');

    const fills = (await ok(conn.client, 'list_fills', { account: 'pos' })).fills as { price: string; fee: string; liquidity: string }[];
    expect(fills.map((f) => [f.price, f.fee, f.liquidity]).reverse()).toEqual([
      ['100', '0.3', 'maker'],
      ['200', '0.6', 'maker'],
      ['300', '0.9', 'maker'],
    ]);
    const r = await ok(conn.client, 'get_positions', { account: 'pos' });
    expect(r.positions).toEqual([
      {
        currency: 'BTC',
        quote_currency: 'USD',
        market: 'btcusd',
        amount: '1',
        average_cost: '150',
        realized_pnl: '148.2', // (300 - 150) x 1 - (0.3 + 0.6 + 0.9)
        unrealized_pnl: '151', // 1 x (301 - 150)
        mark_price: '301',
        fees_paid: '1.8',
      },
    ]);
    expect(Date.parse(r.as_of as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('is listed read-only for read-only sessions; an unknown account is ACCOUNT_NOT_FOUND', async () => {
    const ro = await connectInMemory(app.services, { readOnly: true });
    try {
      const tool = (await ro.client.listTools()).tools.find((t) => t.name === 'get_positions');
      expect(tool?.annotations?.readOnlyHint).toBe(true);
      expect((await ok(ro.client, 'get_positions', { account: 'pos' })).positions).toHaveLength(1);
      expect((await fail(ro.client, 'get_positions', { account: 'nope' })).code).toBe('ACCOUNT_NOT_FOUND');
    } finally {
      await ro.close();
    }
  });
});
