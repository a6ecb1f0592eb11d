/**
 * Operator cockpit routes on the real composition root (SQLite in a temp dir, paper exchange at fixed
 * prices), over HTTP without a browser: the order page, the fills page with filters and cursor
 * paging, date ranges and paging on orders and audit, and the CSV downloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBackend, type DashboardBackend } from '../e2e/dashboard-backend.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

let backend: DashboardBackend;
let web: RunningWeb;
let client: WebClient;
const filled: string[] = [];
let rejected = '';

beforeAll(async () => {
  backend = await appBackend();
  web = await startWeb(backend.services, backend.webDeps);
  client = new WebClient(web.base);
  await client.login();
  for (let i = 0; i < 5; i++) {
    const o = await backend.placeOrder('paper:paper', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.001', client_order_id: `ck-fill-${i}` });
    filled.push(o.order_id);
  }
  // More than the paper account holds: the venue refuses it, with a reason.
  const r = await backend.placeOrder('paper:paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '50', price: '49000', client_order_id: 'ck-too-big' }).catch((e: unknown) => e);
  rejected = typeof r === 'object' && r !== null && 'order_id' in r ? String((r as { order_id: string }).order_id) : '';
}, 60_000);
afterAll(async () => {
  await web?.close();
  await backend?.close();
});

describe('order page', () => {
  it('shows every field, the fills and the audit trail with time and actor', async () => {
    const id = filled[0]!;
    const o = backend.services.history.order(id);
    expect(o.order.status).toBe('filled');
    const r = await client.get(`/dashboard/orders/${id}`);
    expect(r.status).toBe(200);
    for (const v of [o.order.order_id, o.order.client_order_id, o.order.market, o.order.amount, o.order.filled_amount, o.order.fee_total, o.order.time_in_force]) expect(r.text).toContain(v);
    expect(o.order.exchange_order_id).toBeDefined();
    expect(r.text).toMatch(new RegExp(`id="exchange-order-id"><code>${o.order.exchange_order_id}</code>`));
    expect(o.fills.length).toBeGreaterThan(0);
    for (const f of o.fills) expect(r.text).toContain(f.fill_id);
    expect(o.audit.map((a) => a.action)).toContain('order.create');
    expect(o.audit.length).toBeGreaterThanOrEqual(3);
    const trail = /<table class="striped" id="order-trail">([\s\S]*?)<\/table>/.exec(r.text)?.[1] ?? '';
    expect(trail.match(/<tr>/g)?.length).toBe(o.audit.length + 1);
    expect(trail).toContain('test:e2e'); // the actor who placed it
    expect(trail).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(trail).toContain('&rarr; filled');
  });

  it('shows why an order was rejected', async () => {
    if (rejected === '') return expect.fail('the oversized order was not created as a rejected order');
    const o = backend.services.history.order(rejected);
    expect(o.order.status).toBe('rejected');
    const r = await client.get(`/dashboard/orders/${rejected}`);
    expect(r.text).toContain('id="status-reason"');
    expect(r.text).toContain(o.order.status_reason ?? 'NO REASON');
  });

  it('is linked from every order row', async () => {
    const r = await client.get('/dashboard/orders');
    const rows = (/<tbody>([\s\S]*?)<\/tbody>/.exec(r.text)?.[1] ?? '').split('<tr').slice(1);
    expect(rows.length).toBe(filled.length + (rejected ? 1 : 0));
    for (const row of rows) expect(row).toMatch(/href="\/dashboard\/orders\/[0-9A-Za-z]+"/);
  });

  it('an unknown order id is the 404 page, which points to the dashboard pages', async () => {
    const r = await client.get('/dashboard/orders/01NOSUCHORDER');
    expect(r.status).toBe(404);
    expect(r.text).toContain('no order with order_id 01NOSUCHORDER');
    expect(r.text).toContain('href="/dashboard/orders"');
    const acc = await client.get('/dashboard/accounts/paper/nope/edit');
    expect(acc.status).toBe(404);
    expect(acc.text).not.toContain('list_accounts');
    expect(acc.text).toContain('Accounts page');
  });
});
