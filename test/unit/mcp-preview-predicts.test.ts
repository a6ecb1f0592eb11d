/**
 * preview_order predicts place_order on the paper venue: for every order, preview's `valid` and first
 * problem code are what place_order then does (an error result with that code, or an accepted order).
 * Both run through the real app and the SDK client; the paper venue checks by the rules it places by.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useAppClient } from './mcp-app-client.ts';
import { call, ok } from './mcp-harness.ts';

const env = useAppClient();
type Problem = { code: string; message: string; field?: string };
type Order = Record<string, unknown>;

let seq = 0;
/** Preview, then place the same order; what each said. */
async function previewThenPlace(account: string, order: Order): Promise<{ preview: { valid: boolean; code?: string; problems: Problem[] }; placed: { ok: boolean; code?: string; order?: Record<string, unknown> } }> {
  const args = { account, ...order };
  const p = await ok(env.client, 'preview_order', args);
  const problems = p.problems as Problem[];
  const r = await call(env.client, 'place_order', { ...args, client_order_id: `pp-${++seq}` });
  const preview = { valid: p.valid as boolean, problems, ...(problems[0] ? { code: problems[0].code } : {}) };
  if (r.ok) return { preview, placed: { ok: true, order: r.data.order as Record<string, unknown> } };
  return { preview, placed: { ok: false, code: r.error.code, ...(r.error.details?.order ? { order: r.error.details.order as Record<string, unknown> } : {}) } };
}

function expectSame(o: Order, res: Awaited<ReturnType<typeof previewThenPlace>>): void {
  const said = { order: o, valid: res.preview.valid, code: res.preview.code };
  expect(said).toEqual({ order: o, valid: res.placed.ok, code: res.placed.code });
}

describe('preview_order predicts the paper venue', () => {
  it('the refusals preview used to miss: a market buy the fee tips over, a crossing post_only', async () => {
    env.app.services.accounts.create({ name: 'pp-table', exchange: 'paper', exchange_account_id: 'pp-table', initial_balances: { USD: '1000', BTC: '0.01' } }, 'test');
    // 0.019915 BTC at the 50000 mark is 995.75 USD, 999.73 with a taker fee; the venue sizes a market
    // buy at the mark plus slippage (50025) with its fee rounded up to the cent: 1000.237875 > 1000.
    const feeTips = { market: 'btcusd', side: 'buy', type: 'market', amount: '0.019915' };
    const a = await previewThenPlace('pp-table', feeTips);
    expect(a.placed).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expectSame(feeTips, a);
    expect(a.preview.problems[0]!.message).toMatch(/1000\.237875 USD/);

    // A post_only buy above the market would take: the venue cancels it on arrival, so it is refused.
    const crossing = { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '51000', post_only: true };
    const b = await previewThenPlace('pp-table', crossing);
    expect(b.placed).toMatchObject({ ok: false, code: 'EXCHANGE_REJECTED', order: { status: 'cancelled', filled_amount: '0' } });
    expectSame(crossing, b);
    expect(b.preview.problems[0]).toMatchObject({ field: 'post_only' });
    // The same order below the market rests: both say so.
    const resting = { ...crossing, price: '49000' };
    const c = await previewThenPlace('pp-table', resting);
    expect(c.placed).toMatchObject({ ok: true, order: { status: 'open' } });
    expectSame(resting, c);
    // A post_only sell below the market would take too.
    const sellCross = { market: 'btcusd', side: 'sell', type: 'limit', amount: '0.001', price: '49000', post_only: true };
    expectSame(sellCross, await previewThenPlace('pp-table', sellCross));
    expect((await previewThenPlace('pp-table', sellCross)).preview.code).toBe('EXCHANGE_REJECTED');
  });

  it('a reused client_order_id with other parameters: preview says CLIENT_ORDER_ID_CONFLICT, as place_order does', async () => {
    const first = { account: 'pp-table', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '30000', client_order_id: 'pp-reused' };
    await ok(env.client, 'place_order', first);
    const other = { ...first, price: '30001' };
    const p = await ok(env.client, 'preview_order', other);
    expect(p).toMatchObject({ valid: false, problems: [{ code: 'CLIENT_ORDER_ID_CONFLICT', field: 'client_order_id' }] });
    const r = await call(env.client, 'place_order', other);
    expect(r.ok ? 'ok' : r.error.code).toBe('CLIENT_ORDER_ID_CONFLICT');
  });

  it('a market order with no price at all: preview says the venue cannot take it, and place_order never places it', async () => {
    env.app.services.accounts.create({ name: 'pp-noprice', exchange: 'paper', exchange_account_id: 'pp-noprice', initial_balances: { USD: '1000', LTC: '10' } }, 'test');
    const order = { market: 'ltcusd', side: 'sell', type: 'market', amount: '1' };
    const { preview, placed } = await previewThenPlace('pp-noprice', order);
    expect(preview).toMatchObject({ valid: false, code: 'EXCHANGE_UNAVAILABLE' });
    // The runtime retries "not sent" a few times before it gives up: the order ends rejected, never open.
    const id = (placed.order as { order_id: string }).order_id;
    let status = String(placed.order?.status);
    for (let i = 0; i < 200 && status !== 'rejected'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = String(((await ok(env.client, 'get_order', { account: 'pp-noprice', order_id: id })).order as Order).status);
      expect(['pending', 'submitting', 'rejected']).toContain(status);
    }
    expect(status).toBe('rejected');
  }, 20_000);

  it('on a backtest account too, before any price (a market order waits) and after prints', async () => {
    const trades = [0, 1, 2, 3].map((i) => ({ timestamp: `2026-01-01T00:0${i}:00Z`, price: String(50000 - i * 100), amount: '0.5', side: 'sell' }));
    const bt = await ok(env.client, 'backtest_create', { data: { trades }, initial_balances: { USD: '600', BTC: '0.01' }, seed: 3 });
    const account = bt.account as string;
    const orders: Order[] = [
      { market: 'btcusd', side: 'sell', type: 'market', amount: '0.004' }, // before any price: waits (accepted)
      { market: 'btcusd', side: 'buy', type: 'market', amount: '0.001' }, // holds all free USD until a print
      { market: 'btcusd', side: 'buy', type: 'market', amount: '0.001' }, // nothing free is left: refused
      { market: 'btcusd', side: 'sell', type: 'limit', amount: '0.01', price: '60000' }, // more BTC than is free
    ];
    const before = [];
    for (const o of orders) {
      const r = await previewThenPlace(account, o);
      expectSame(o, r);
      before.push(r.placed.ok ? 'ok' : r.placed.code);
    }
    expect(before).toEqual(['ok', 'ok', 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS']);
    await ok(env.client, 'backtest_advance', { backtest_id: bt.backtest_id, steps: 2 });
    await ok(env.client, 'cancel_all_orders', { account });
    const after: Order[] = [
      { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '51000', post_only: true }, // crosses the last print
      { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '49000', post_only: true },
      { market: 'btcusd', side: 'buy', type: 'market', amount: '0.5' },
    ];
    for (const o of after) expectSame(o, await previewThenPlace(account, o));
  });

  it('for random orders on a paper account, preview valid/code equals what place_order does', async () => {
    env.app.services.accounts.create(
      { name: 'pp-random', exchange: 'paper', exchange_account_id: 'pp-random', initial_balances: { USD: '3000', BTC: '0.05', ETH: '1' }, limits: { max_order_value: '2500' } },
      'test',
    );
    const order = fc.record(
      {
        market: fc.constantFrom('btcusd', 'ethusd'),
        side: fc.constantFrom('buy', 'sell'),
        type: fc.constantFrom('limit', 'limit', 'market', 'instant'),
        amount: fc.constantFrom('0.0001', '0.001', '0.01', '0.0199', '0.05', '0.06', '0.3', '0.9', '1.1', '0.123456789'),
        price: fc.constantFrom('40000', '49999.99', '50000', '50001', '60000', '2900', '3000', '3100', '50000.001'),
        time_in_force: fc.constantFrom('gtc', 'gtc', 'ioc', 'fok', 'daily'),
        post_only: fc.boolean(),
      },
      { requiredKeys: ['market', 'side', 'type', 'amount'] },
    );
    await fc.assert(
      fc.asyncProperty(order, async (o) => {
        expectSame(o, await previewThenPlace('pp-random', o));
      }),
      { numRuns: 80 },
    );
  }, 60_000);
});
