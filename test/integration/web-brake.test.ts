/**
 * The dashboard's brake forms (cancel one order, cancel all open orders of an account, kill switch
 * with cancel) over HTTP, and cancelOpenOrders' promise to try every account even when one fails.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { cancelOpenOrders } from '../../src/services/brake.ts';
import type { OrdersService } from '../../src/services/ports.ts';
import { createFakeServices, type FakeServices } from './web-fake-services.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

let services: FakeServices;
let web: RunningWeb;
let admin: WebClient;

beforeEach(async () => {
  services = createFakeServices();
  services.accounts.create({ name: 'paper-one', exchange: 'paper', exchange_account_id: 'p-77', initial_balances: { USD: '1000' } }, 'test');
  services.accounts.create({ name: 'paper-two', exchange: 'paper', exchange_account_id: 'p-78', initial_balances: { USD: '1000' } }, 'test');
  web = await startWeb(services);
  admin = new WebClient(web.base);
  await admin.login();
});
afterEach(() => web.close());

const buy = (account: string, cid: string) => services.orders.place(account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000', client_order_id: cid }, 'test');

describe('dashboard brake forms', () => {
  it('Cancel on an open order row posts to the order route and returns to the page it came from', async () => {
    const o = await buy('paper:p-77', 'c-1');
    const page = await admin.get('/dashboard/orders?status=open');
    const action = new RegExp(`action="(/dashboard/accounts/paper/p-77/orders/${o.order_id}/cancel\\?back=[^"]+)"`).exec(page.text)?.[1];
    expect(action).toBeDefined();
    const r = await admin.post(action!.replace(/&amp;/g, '&'), {});
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/dashboard/orders?status=open');
    expect(services.orders.get('paper:p-77', { order_id: o.order_id }).status).toBe('cancelled');
    expect((await admin.get('/dashboard/orders?status=open')).text).toContain(`Order ${o.order_id} on paper:p-77: cancelled.`);
  });

  it('a cancel the service refuses comes back as a message on the list, not an error page', async () => {
    const o = await buy('paper:p-77', 'c-2');
    await services.orders.cancel('paper:p-77', { order_id: o.order_id }, 'test');
    const r = await admin.post(`/dashboard/accounts/paper/p-77/orders/${o.order_id}/cancel`, {});
    expect(r.status).toBe(303);
    expect((await admin.get('/dashboard/orders?account=paper%3Ap-77')).text).toMatch(/not cancelled: order \S+ is cancelled/);
  });

  it('back= only ever leads to a dashboard page', async () => {
    const o = await buy('paper:p-77', 'c-3');
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/dashboard//evil.example', '/login', '/\\evil.example']) {
      const r = await admin.post(`/dashboard/accounts/paper/p-77/cancel-open-orders?back=${encodeURIComponent(evil)}`, {});
      expect(r.status).toBe(303);
      expect(r.headers.get('location'), evil).toBe('/dashboard/orders?account=paper%3Ap-77&status=open');
    }
    expect(services.orders.get('paper:p-77', { order_id: o.order_id }).status).toBe('cancelled');
  });

  it('cancel all open orders of one account leaves the other account alone; without the CSRF token nothing happens', async () => {
    const a = await buy('paper:p-77', 'c-4');
    const b = await buy('paper:p-78', 'c-5');
    const refused = await admin.post('/dashboard/accounts/paper/p-77/cancel-open-orders', {}, false);
    expect(refused.status).toBe(403);
    expect(services.orders.get('paper:p-77', { order_id: a.order_id }).status).toBe('open');
    expect((await admin.post('/dashboard/accounts/paper/p-77/cancel-open-orders', {})).status).toBe(303);
    expect(services.orders.get('paper:p-77', { order_id: a.order_id }).status).toBe('cancelled');
    expect(services.orders.get('paper:p-78', { order_id: b.order_id }).status).toBe('open');
    const audit = services.audit.page({ limit: 100 }).filter((e) => e.action === 'order.cancel');
    expect(audit.map((e) => [e.actor, e.subject])).toEqual([['dashboard:admin', 'paper:p-77']]);
  });

  it('the kill switch form: kill_switch=on only stops; cancel_open=on stops and cancels every account', async () => {
    const a = await buy('paper:p-77', 'c-6');
    await admin.post('/dashboard/kill-switch', { kill_switch: 'on' });
    expect(services.accounts.globalKillSwitch()).toBe(true);
    expect(services.orders.get('paper:p-77', { order_id: a.order_id }).status).toBe('open');
    await admin.post('/dashboard/kill-switch', { kill_switch: 'off' });
    const b = await buy('paper:p-78', 'c-7');
    expect((await admin.post('/dashboard/kill-switch', { cancel_open: 'on' })).status).toBe(303);
    expect(services.accounts.globalKillSwitch()).toBe(true);
    expect(services.orders.list('paper:p-77', { status: 'open' })).toEqual([]);
    expect(services.orders.list('paper:p-78', { status: 'open' })).toEqual([]);
    expect(services.orders.get('paper:p-78', { order_id: b.order_id }).status).toBe('cancelled');
    expect((await admin.get('/dashboard')).text).toMatch(/Global kill switch ON: every new order is refused\. Cancel all open orders: paper:p-77: 1 cancel sent; paper:p-78: 1 cancel sent\./);
  });
});

describe('cancelOpenOrders', () => {
  it('tries every account, reports the one that failed, and skips backtest accounts', async () => {
    const s = createFakeServices();
    s.accounts.create({ name: 'one', exchange: 'paper', exchange_account_id: 'one' }, 'test');
    s.accounts.create({ name: 'two', exchange: 'paper', exchange_account_id: 'two' }, 'test');
    s.accounts.create({ name: 'bt', exchange: 'paper', exchange_account_id: 'bt', mode: 'backtest' }, 'test');
    await s.orders.place('paper:two', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000' }, 'test');
    await s.orders.place('paper:bt', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000' }, 'test');
    const orders: OrdersService = {
      ...s.orders,
      cancelAll: async (account, market, actor) => {
        if (account === 'paper:one') throw new DomainError('EXCHANGE_UNAVAILABLE', 'venue down');
        return s.orders.cancelAll(account, market, actor);
      },
    };
    const results = await cancelOpenOrders({ accounts: s.accounts, orders }, undefined, 'test');
    expect(results.map((r) => r.account)).toEqual(['paper:one', 'paper:two']);
    expect(results[0]!.error).toEqual({ code: 'EXCHANGE_UNAVAILABLE', message: 'venue down' });
    expect(results[1]).toMatchObject({ cancelled: [expect.any(String)], still_open: 0 });
    expect(s.orders.list('paper:bt', { status: 'open' })).toHaveLength(1);
  });
});
