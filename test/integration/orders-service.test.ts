import { afterEach, describe, expect, it } from 'vitest';
import { CredentialVault } from '../../src/credentials/vault.ts';
import type { RiskLimits } from '../../src/domain/account.ts';
import type { OrderView } from '../../src/domain/order.ts';
import { loadBundledSnapshot } from '../../src/exchanges/bitstamp/metadata.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { AccountsServiceImpl } from '../../src/services/accounts.ts';
import { MarketsServiceImpl } from '../../src/services/markets.ts';
import { OrdersServiceImpl } from '../../src/services/orders.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';

let h: RuntimeHarness;
let accounts: AccountsServiceImpl;
let orders: OrdersServiceImpl;

async function setup(opts: { referencePrice?: string } = {}): Promise<void> {
  h = await RuntimeHarness.create();
  accounts = new AccountsServiceImpl({
    db: h.db,
    clock: h.clock,
    audit: h.audit,
    vault: new CredentialVault(h.db, Buffer.alloc(32, 7), h.clock),
    openOrderCount: (key) => h.runtime.openOrderCount(key),
  });
  const markets = new MarketsServiceImpl({ db: h.db, clock: h.clock, sources: {}, bundled: { bitstamp: loadBundledSnapshot }, offline: true, logger: silentLogger() });
  markets.init();
  orders = new OrdersServiceImpl({
    runtime: h.runtime,
    directory: h.directory,
    accounts,
    markets,
    db: h.db,
    clock: h.clock,
    ids: h.ids,
    referencePrice: async () => opts.referencePrice,
    feeRates: async () => ({ maker: '0.001', taker: '0.002' }),
    submitWaitMs: 2000,
  });
}

afterEach(async () => {
  await h?.close();
});

const limit = (over: Record<string, unknown> = {}) => ({ market: 'btcusd', side: 'buy' as const, type: 'limit' as const, amount: '0.001', price: '50000', ...over });
const count = (table: string): number => (h.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('orders service: place', () => {
  it('places a limit order, waits for the exchange answer and generates a client_order_id', async () => {
    await setup();
    h.addAccount('main');
    const o = await orders.place('main', limit(), 'mcp:test');
    expect(o).toMatchObject({ status: 'open', account: 'paper:main', market: 'btcusd', amount: '0.001', price: '50000', exchange_order_id: 'E1' });
    expect(o.client_order_id).toMatch(/^x-[0-9A-Z]{26}$/);
    expect(h.exchange.placeCount(o.client_order_id)).toBe(1);
    expect(orders.get('paper:main', { order_id: o.order_id })).toEqual(o);
  });

  it('is idempotent per client_order_id: sequential and concurrent repeats return the same order, placed once', async () => {
    await setup();
    h.addAccount('main');
    const [a, b] = await Promise.all([
      orders.placeOrder('main', limit({ client_order_id: 'strat-1' }), 'mcp:test'),
      orders.placeOrder('main', limit({ client_order_id: 'strat-1', amount: '0.0010' }), 'mcp:test'),
    ]);
    const c = await orders.placeOrder('main', limit({ client_order_id: 'strat-1' }), 'mcp:test');
    expect(new Set([a.order.order_id, b.order.order_id, c.order.order_id]).size).toBe(1);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]); // one created it, the concurrent twin replayed it
    expect(c).toMatchObject({ replayed: true, order: { amount: '0.001' } });
    // The same id with other parameters is a conflict naming the existing order, never a silent old order.
    await expect(orders.place('main', limit({ client_order_id: 'strat-1', amount: '0.002' }), 'mcp:test')).rejects.toMatchObject({
      code: 'CLIENT_ORDER_ID_CONFLICT',
      message: expect.stringContaining('amount 0.001'),
      details: { existing_order: { order_id: a.order.order_id, client_order_id: 'strat-1' } },
    });
    await expect(orders.place('main', limit({ client_order_id: 'strat-1', side: 'sell' }), 'mcp:test')).rejects.toMatchObject({ code: 'CLIENT_ORDER_ID_CONFLICT' });
    expect(h.exchange.placeCount('strat-1')).toBe(1);
    expect(count('orders')).toBe(1);
  });

  it('rejects bad arguments with the contract codes, all problems in details', async () => {
    await setup();
    h.addAccount('main');
    await expect(orders.place('main', { ...limit(), leverage: 5 } as never, 't')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(orders.place('main', limit({ amount: '-1' }), 't')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('amount') });
    const precision = orders.place('main', limit({ price: '50000.5', amount: '0.000000001' }), 't');
    await expect(precision).rejects.toMatchObject({ code: 'PRECISION_VIOLATION', message: 'amount 0.000000001 has 9 decimals; btcusd allows 8' });
    await precision.catch((e: { details?: { problems?: unknown[] } }) => expect(e.details?.problems).toHaveLength(3));
    await expect(orders.place('main', limit({ amount: '0.0001' }), 't')).rejects.toMatchObject({ code: 'BELOW_MINIMUM' });
    await expect(orders.place('main', limit({ market: 'nosuch' }), 't')).rejects.toMatchObject({ code: 'MARKET_NOT_FOUND' });
    await expect(orders.place('ghost', limit(), 't')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    expect(count('orders')).toBe(0);
  });

  it('refuses disabled accounts and bitstamp accounts without credentials', async () => {
    await setup();
    h.addAccount('off', { enabled: false });
    h.addAccount('live', { exchange: 'bitstamp' });
    await expect(orders.place('off', limit(), 't')).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
    await expect(orders.place('bitstamp:live', limit(), 't')).rejects.toMatchObject({ code: 'NO_CREDENTIALS' });
    accounts.setCredentials('bitstamp:live', { api_key: 'key123', api_secret: 'secret456' }, 'test');
    await expect(orders.place('bitstamp:live', limit(), 't')).resolves.toMatchObject({ status: 'open' });
  });

  it('market orders are valued at the reference price for minimum and caps', async () => {
    await setup({ referencePrice: '50000' });
    h.addAccount('main', { limits: { max_order_value: '100' } });
    await expect(orders.place('main', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.0001' }, 't')).rejects.toMatchObject({ code: 'BELOW_MINIMUM' });
    await expect(orders.place('main', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01' }, 't')).rejects.toMatchObject({
      code: 'RISK_LIMIT',
      message: 'order value 500 USD exceeds max_order_value 100 USD',
    });
    await expect(orders.place('main', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.001' }, 't')).resolves.toMatchObject({ type: 'market' });
  });
});

describe('orders service: risk caps and kill switches', () => {
  async function withLimits(limits: RiskLimits): Promise<void> {
    await setup();
    h.addAccount('main', { limits });
  }

  it('max_order_value names the limit and the value', async () => {
    await withLimits({ max_order_value: '100' });
    await expect(orders.place('main', limit({ amount: '0.003' }), 't')).rejects.toMatchObject({
      code: 'RISK_LIMIT',
      message: 'order value 150 USD exceeds max_order_value 100 USD',
    });
    await expect(orders.place('main', limit({ amount: '0.002' }), 't')).resolves.toMatchObject({ status: 'open' });
  });

  it('max_open_orders holds even for orders placed in the same tick', async () => {
    await withLimits({ max_open_orders: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => orders.place('main', limit({ client_order_id: `o${i}` }), 't')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(['RISK_LIMIT', 'RISK_LIMIT']);
    expect((refused[0]?.reason as Error).message).toBe('account paper:main has 2 open orders; max_open_orders is 2');
    // A cancelled order frees a slot.
    const open = orders.list('main', { status: 'open' });
    await orders.cancel('main', { order_id: open[0]!.order_id }, 't');
    await expect(orders.place('main', limit({ client_order_id: 'o5' }), 't')).resolves.toMatchObject({ status: 'open' });
  });

  it('daily_notional accumulates per UTC day and is recorded in the same transaction', async () => {
    await withLimits({ daily_notional: '120' });
    await orders.place('main', limit({ amount: '0.001' }), 't'); // 50
    await orders.place('main', limit({ amount: '0.001' }), 't'); // 100
    await expect(orders.place('main', limit({ amount: '0.001' }), 't')).rejects.toMatchObject({
      code: 'RISK_LIMIT',
      message: 'daily notional would reach 150 USD (already 100 on 2026-01-01); daily_notional is 120 USD',
    });
    expect(h.db.prepare('SELECT day, quote, notional FROM daily_notional_by_quote').all()).toEqual([{ day: '2026-01-01', quote: 'USD', notional: '100' }]);
    h.clock.advance(24 * 3600 * 1000);
    await expect(orders.place('main', limit({ amount: '0.001' }), 't')).resolves.toMatchObject({ status: 'open' });
  });

  it('daily_notional counts each quote currency on its own; a total kept from before counts against every quote', async () => {
    await withLimits({ daily_notional: '120' });
    await orders.place('main', limit({ amount: '0.002' }), 't'); // 100 USD
    // Added up, 100 USD and 1.2 BTC would make a meaningless "101.2": the BTC total is its own.
    await expect(orders.place('main', limit({ market: 'ethbtc', amount: '20', price: '0.06' }), 't')).resolves.toMatchObject({ status: 'open' });
    const totals = () => h.db.prepare('SELECT quote, notional FROM daily_notional_by_quote ORDER BY quote').all();
    expect(totals()).toEqual([{ quote: 'BTC', notional: '1.2' }, { quote: 'USD', notional: '100' }]);
    // A day total recorded before totals were kept per quote (migration 003: quote '*').
    h.db.prepare("INSERT INTO daily_notional_by_quote (account_id, day, quote, notional) SELECT id, '2026-01-01', '*', '15' FROM accounts WHERE name = 'main'").run();
    await expect(orders.place('main', limit({ amount: '0.0002' }), 't')).rejects.toMatchObject({
      code: 'RISK_LIMIT',
      message: 'daily notional would reach 125 USD (already 115 on 2026-01-01); daily_notional is 120 USD',
    });
    // 1.2 + 108 BTC is under 120, but not with the 15 of unknown quote.
    await expect(orders.place('main', limit({ market: 'ethbtc', amount: '1800', price: '0.06' }), 't')).rejects.toMatchObject({
      code: 'RISK_LIMIT',
      message: 'daily notional would reach 124.2 BTC (already 16.2 on 2026-01-01); daily_notional is 120 BTC',
    });
    expect(totals()).toEqual([{ quote: '*', notional: '15' }, { quote: 'BTC', notional: '1.2' }, { quote: 'USD', notional: '100' }]);
  });

  it('allowed_markets and the per-account kill switch', async () => {
    await withLimits({ allowed_markets: ['ethusd'] });
    await expect(orders.place('main', limit(), 't')).rejects.toMatchObject({ code: 'RISK_LIMIT', message: expect.stringContaining('allowed_markets') });
    accounts.setLimits('main', { kill_switch: true }, 't');
    await expect(orders.place('main', limit(), 't')).rejects.toMatchObject({ code: 'RISK_LIMIT', message: expect.stringContaining('kill_switch') });
    accounts.setLimits('main', {}, 't');
    await expect(orders.place('main', limit(), 't')).resolves.toMatchObject({ status: 'open' });
  });

  it('the global kill switch stops every place_order', async () => {
    await withLimits({});
    accounts.setGlobalKillSwitch(true, 'test');
    await expect(orders.place('main', limit(), 't')).rejects.toMatchObject({ code: 'RISK_LIMIT', message: 'trading is halted: the global kill switch is on' });
    expect(count('orders')).toBe(0);
    accounts.setGlobalKillSwitch(false, 'test');
    await expect(orders.place('main', limit(), 't')).resolves.toMatchObject({ status: 'open' });
  });
});

describe('orders service: preview, cancel, lists', () => {
  it('preview reports every problem and estimates, and writes nothing', async () => {
    await setup();
    h.addAccount('main', { limits: { max_order_value: '10' } });
    const p = await orders.preview('main', limit({ price: '50000.5', amount: '0.001' }));
    expect(p.valid).toBe(false);
    expect(p.problems.map((x) => x.code)).toEqual(['PRECISION_VIOLATION', 'RISK_LIMIT']);
    expect(p.estimated_notional).toBe('50.0005');
    expect(p.estimated_fee).toBe('0.100001');
    expect(p.normalized).toMatchObject({ account: 'paper:main', time_in_force: 'gtc', post_only: false });
    const ok = await orders.preview('main', limit({ amount: '0.0002', post_only: true }));
    expect(ok).toMatchObject({ valid: true, problems: [], estimated_notional: '10', estimated_fee: '0.01' });
    expect(count('orders') + count('daily_notional_by_quote') + count('audit_log')).toBe(0);
  });

  it('cancel: by client_order_id, then not cancellable; unknown ids are ORDER_NOT_FOUND', async () => {
    await setup();
    h.addAccount('main');
    h.addAccount('other');
    const o = await orders.place('main', limit({ client_order_id: 'k1' }), 't');
    await expect(orders.cancel('other', { client_order_id: 'k1' }, 't')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    await expect(orders.cancel('main', { order_id: 'nope' }, 't')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    await expect(orders.cancel('main', {}, 't')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const c = await orders.cancel('main', { client_order_id: 'k1' }, 't');
    expect(c).toMatchObject({ order_id: o.order_id, status: 'cancelled' });
    await expect(orders.cancel('main', { order_id: o.order_id }, 't')).rejects.toMatchObject({
      code: 'ORDER_NOT_CANCELLABLE',
      message: `order ${o.order_id} is cancelled; only live orders can be cancelled`,
    });
  });

  it('cancelAll cancels every live order of the market through the actors', async () => {
    await setup();
    h.addAccount('main');
    const a = await orders.place('main', limit(), 't');
    const b = await orders.place('main', limit(), 't');
    const e = await orders.place('main', limit({ market: 'ethusd', price: '3000', amount: '0.01' }), 't');
    const ids = await orders.cancelAll('main', 'btcusd', 't');
    expect(ids.sort()).toEqual([a.order_id, b.order_id].sort());
    expect(orders.get('main', { order_id: a.order_id }).status).toBe('cancelled');
    expect(orders.get('main', { order_id: e.order_id }).status).toBe('open');
    expect(await orders.cancelAll('main', undefined, 't')).toEqual([e.order_id]);
    expect(h.exchange.log.filter((r) => r.op === 'cancel')).toHaveLength(3);
  });

  it('lists orders (open/closed, newest first, limit) and fills, and tells listeners after commit', async () => {
    await setup();
    h.addAccount('main');
    const seen: Array<[string, OrderView['status']]> = [];
    const off = orders.onOrderChange((account, v) => seen.push([account.name, v.status]));
    const placed: OrderView[] = [];
    for (let i = 0; i < 4; i++) placed.push(await orders.place('main', limit({ client_order_id: `l${i}` }), 't'));
    await orders.cancel('main', { client_order_id: 'l0' }, 't');
    h.exchange.fill('l1', '0.001', { price: '50000' });
    await h.runtime.whenIdle();
    off();
    expect(orders.list('main', {}).map((o) => o.client_order_id)).toEqual(['l3', 'l2', 'l1', 'l0']);
    expect(orders.list('main', { status: 'open' }).map((o) => o.client_order_id)).toEqual(['l3', 'l2']);
    expect(orders.list('main', { status: 'closed' }).map((o) => o.status)).toEqual(['filled', 'cancelled']);
    expect(orders.list('main', { limit: 1 })).toHaveLength(1);
    expect(() => orders.list('main', { limit: 5000 })).toThrow(/limit/);
    expect(orders.listAll({ statuses: ['filled'] }).map((o) => o.client_order_id)).toEqual(['l1']);
    const fills = orders.listFills('main', {});
    expect(fills).toEqual([expect.objectContaining({ order_id: placed[1]!.order_id, amount: '0.001', price: '50000', liquidity: 'maker' })]);
    expect(orders.listFills('main', { market: 'ethusd' })).toEqual([]);
    expect(seen).toContainEqual(['main', 'filled']);
    expect(seen).toContainEqual(['main', 'cancelled']);
  });
});
