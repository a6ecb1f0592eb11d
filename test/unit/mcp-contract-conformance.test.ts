/**
 * Contract conformance findings of the outside-client audit, in-process against the real app:
 * list_orders defaults to open orders (as advertised), preview_order reports INSUFFICIENT_FUNDS,
 * and backtest_create's `name` is documented as what it is (a label, not the account name).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory, ok, type Connected } from './mcp-harness.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { fundsProblem } from '../../src/services/preview-funds.ts';

type Order = { order_id: string; status: string };
type Problem = { code: string; message: string };

let app: TestApp;
let conn: Connected;
beforeAll(async () => {
  app = await startTestApp();
  conn = await connectInMemory(app.services);
  app.services.accounts.create({ name: 'funded', exchange: 'paper', exchange_account_id: 'funded', initial_balances: { USD: '1000', BTC: '0.5' } }, 'test');
});
afterAll(async () => {
  await conn?.close();
  await app?.close();
});

async function waitStatus(account: string, order_id: string, done: (s: string) => boolean): Promise<Order> {
  for (let i = 0; i < 300; i++) {
    const o = (await ok(conn.client, 'get_order', { account, order_id })).order as Order;
    if (done(o.status)) return o;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`order ${order_id} did not settle`);
}

describe('list_orders default status', () => {
  it('without status lists only open orders, as its description says', async () => {
    const rest = (await ok(conn.client, 'place_order', { account: 'funded', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: 'conf-rest' })).order as Order;
    const mkt = (await ok(conn.client, 'place_order', { account: 'funded', market: 'btcusd', side: 'sell', type: 'market', amount: '0.001', client_order_id: 'conf-mkt' })).order as Order;
    await waitStatus('funded', rest.order_id, (s) => s === 'open');
    await waitStatus('funded', mkt.order_id, (s) => s === 'filled');
    const dflt = ((await ok(conn.client, 'list_orders', { account: 'funded' })).orders as Order[]).map((o) => o.order_id);
    const open = ((await ok(conn.client, 'list_orders', { account: 'funded', status: 'open' })).orders as Order[]).map((o) => o.order_id);
    const all = ((await ok(conn.client, 'list_orders', { account: 'funded', status: 'all' })).orders as Order[]).map((o) => o.order_id);
    expect(dflt).toEqual(open);
    expect(dflt).toEqual([rest.order_id]);
    expect(all).toEqual(expect.arrayContaining([rest.order_id, mkt.order_id]));
    const { tools } = await conn.client.listTools();
    const status = (tools.find((t) => t.name === 'list_orders')!.inputSchema.properties as Record<string, { description?: string }>).status;
    expect(status?.description).toMatch(/open \(default\)/);
  });
});

describe('preview_order checks balances', () => {
  const order = { account: 'paper:funded', market: 'btcusd', type: 'limit', price: '40000' };

  it('a buy beyond the available quote currency is INSUFFICIENT_FUNDS (and sends nothing)', async () => {
    const before = (await ok(conn.client, 'list_orders', { account: 'funded', status: 'all' })).orders as Order[];
    const p = await ok(conn.client, 'preview_order', { ...order, side: 'buy', amount: '1' });
    expect(p.valid).toBe(false);
    const problems = p.problems as Problem[];
    expect(problems.map((x) => x.code)).toEqual(['INSUFFICIENT_FUNDS']);
    // The paper venue's own answer (the rules it places by): notional plus the fee at the taker rate.
    expect(problems[0]!.message).toMatch(/need 40160 USD .*only \d+(\.\d+)? USD available/);
    expect(p).toMatchObject({ estimated_notional: '40000', estimated_fee: '160' });
    const after = (await ok(conn.client, 'list_orders', { account: 'funded', status: 'all' })).orders as Order[];
    expect(after).toHaveLength(before.length);
  });

  it('a sell beyond the available base currency is INSUFFICIENT_FUNDS; covered orders stay valid', async () => {
    const sell = await ok(conn.client, 'preview_order', { ...order, side: 'sell', amount: '2' });
    expect((sell.problems as Problem[]).map((x) => x.code)).toEqual(['INSUFFICIENT_FUNDS']);
    expect((sell.problems as Problem[])[0]!.message).toMatch(/the order needs 2 BTC/);
    expect(await ok(conn.client, 'preview_order', { ...order, side: 'sell', amount: '0.1' })).toMatchObject({ valid: true, problems: [] });
    expect(await ok(conn.client, 'preview_order', { ...order, side: 'buy', amount: '0.01' })).toMatchObject({ valid: true, problems: [] });
  });

  it('counts what resting orders already reserve on a paper account', async () => {
    app.services.accounts.create({ name: 'reserved', exchange: 'paper', exchange_account_id: 'reserved', initial_balances: { USD: '1000' } }, 'test');
    const buy = { account: 'reserved', market: 'btcusd', side: 'buy', type: 'limit', price: '20000' };
    expect(await ok(conn.client, 'preview_order', { ...buy, amount: '0.03' })).toMatchObject({ valid: true });
    const resting = (await ok(conn.client, 'place_order', { ...buy, amount: '0.04', client_order_id: 'reserve-most' })).order as Order;
    await waitStatus('reserved', resting.order_id, (s) => s === 'open');
    const after = await ok(conn.client, 'preview_order', { ...buy, amount: '0.03' });
    expect((after.problems as Problem[]).map((x) => x.code)).toEqual(['INSUFFICIENT_FUNDS']);
  });

  it('fundsProblem: buys need notional + fee in quote, sells the amount in base; unknown notional says nothing', () => {
    const m = { market: 'btcusd', base: 'BTC', quote: 'USD' };
    const bal = [
      { currency: 'USD', total: '110', available: '100', reserved: '10' },
      { currency: 'BTC', total: '1', available: '1', reserved: '0' },
    ];
    expect(fundsProblem({ side: 'buy', amount: '1' }, m, { estimated_notional: '99', estimated_fee: '1' }, bal)).toBeUndefined();
    expect(fundsProblem({ side: 'buy', amount: '1' }, m, { estimated_notional: '99', estimated_fee: '1.01' }, bal)?.code).toBe('INSUFFICIENT_FUNDS');
    expect(fundsProblem({ side: 'buy', amount: '1' }, m, {}, bal)).toBeUndefined();
    expect(fundsProblem({ side: 'sell', amount: '1' }, m, {}, bal)).toBeUndefined();
    expect(fundsProblem({ side: 'sell', amount: '1.00000001' }, m, {}, bal)?.message).toBe('this sell on btcusd needs 1.00000001 BTC (amount); only 1 BTC available');
    expect(fundsProblem({ side: 'sell', amount: '1' }, { ...m, base: 'ETH' }, {}, bal)?.message).toMatch(/only 0 ETH available/);
  });
});

describe('backtest_create name', () => {
  it('is documented as a label: the account is always backtest-<backtest_id>', async () => {
    const { tools } = await conn.client.listTools();
    const name = (tools.find((t) => t.name === 'backtest_create')!.inputSchema.properties as Record<string, { description?: string }>).name;
    expect(name?.description).toMatch(/backtest-<backtest_id>/);
    const trades = [0, 1].map((i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: '50000', amount: '0.1', side: 'buy' }));
    const bt = await ok(conn.client, 'backtest_create', { data: { trades }, initial_balances: { USD: '100' }, name: 'my run' });
    expect(bt.account).toBe(`backtest-${bt.backtest_id as string}`);
  });
});

describe('get_fees on a paper account', () => {
  it('covers every tradable market before any trade', async () => {
    app.services.accounts.create({ name: 'fresh-fees', exchange: 'paper', exchange_account_id: 'fresh-fees', initial_balances: { USD: '10' } }, 'test');
    const all = (await ok(conn.client, 'get_fees', { account: 'fresh-fees' })).fees as Array<{ market: string; maker: string; taker: string }>;
    const tradable = ((await ok(conn.client, 'list_markets', { exchange: 'paper' })).markets as Array<{ market: string; trading_enabled: boolean }>).filter((m) => m.trading_enabled);
    expect(all.map((f) => f.market).sort()).toEqual(tradable.map((m) => m.market).sort());
    const one = (await ok(conn.client, 'get_fees', { account: 'fresh-fees', market: 'btcusd' })).fees as Array<{ market: string }>;
    expect(one.map((f) => f.market)).toEqual(['btcusd']);
  });
});
