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

/** Parses RFC 4180 CSV (quoted fields with doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

describe('fills, paging, date ranges and CSV', () => {
  const more: string[] = [];
  beforeAll(async () => {
    // 120 more fills on a second paper account: more than one page of 100.
    backend.services.accounts.create({ name: 'desk-two', exchange: 'paper', exchange_account_id: 'desk-2', initial_balances: { USD: '1000000' } }, 'test');
    for (let i = 0; i < 120; i++) more.push((await backend.placeOrder('paper:desk-2', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.0003', client_order_id: `ck-more-${i}` })).order_id);
  }, 120_000);

  it('fills page: filter by account and market, every fill links to its order', async () => {
    const one = await client.get('/dashboard/fills?account=paper%3Apaper');
    expect(one.status).toBe(200);
    const rows = (/<tbody>([\s\S]*?)<\/tbody>/.exec(one.text)?.[1] ?? '').split('<tr').slice(1);
    expect(rows.length).toBe(backend.services.history.fills({ account: 'paper:paper' }).items.length);
    for (const id of filled) expect(one.text).toContain(`href="/dashboard/orders/${id}"`);
    expect(rows.join('')).not.toContain('paper:desk-2');
    const none = await client.get('/dashboard/fills?market=ethusd');
    expect(none.text).toContain('id="no-fills"');
  });

  it('fills page: cursor paging walks every fill once, newest first, no silent cap', async () => {
    const seen: string[] = [];
    let path: string | undefined = '/dashboard/fills?account=paper%3Adesk-2';
    let pages = 0;
    while (path !== undefined) {
      const r = await client.get(path);
      expect(r.status).toBe(200);
      for (const m of r.text.matchAll(/href="\/dashboard\/orders\/([0-9A-Za-z]+)" class="order-link"/g)) seen.push(m[1]!);
      const older = /<a href="([^"]+)" id="older">/.exec(r.text)?.[1];
      path = older?.replace(/&amp;/g, '&');
      if (older) expect(path).toContain('account=paper%3Adesk-2');
      pages++;
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(120);
    expect(seen).toEqual([...more].reverse());
  });

  it('date range: a range after every fill shows none; days are UTC and until includes the day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const inDay = await client.get(`/dashboard/fills?account=paper%3Apaper&since=${today}&until=${today}`);
    expect(inDay.text).toContain(`href="/dashboard/orders/${filled[0]}"`);
    const later = await client.get('/dashboard/fills?since=2999-01-01');
    expect(later.text).toContain('id="no-fills"');
    const orders = await client.get('/dashboard/orders?until=2000-01-01');
    expect(orders.text).toContain('id="no-orders"');
    const bad = await client.get('/dashboard/orders?since=yesterday');
    expect(bad.text).toContain('since must be a UTC day');
  });

  it('orders page: paged (?limit=, default 200), the Older link keeps the filter, the last page has no Older link', async () => {
    const first = await client.get('/dashboard/orders?status=filled&market=btcusd&limit=100');
    const older = /<a href="([^"]+)" id="older">/.exec(first.text)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toMatch(/status=filled/);
    expect(older).toMatch(/market=btcusd/);
    const second = await client.get(older!);
    const total = filled.length + more.length;
    expect((second.text.match(/class="order-link"/g) ?? []).length).toBe(total - 100);
    expect(second.text).not.toContain('id="older"');
    expect(second.text).toContain('id="newest"');
  });

  it('audit page: date range and the before cursor together', async () => {
    const r = await client.get('/dashboard/audit?since=2000-01-01');
    const older = /<a href="([^"]+)" id="older">/.exec(r.text)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toMatch(/^\/dashboard\/audit\?since=2000-01-01&before=\d+$/);
    expect((await client.get('/dashboard/audit?until=2000-01-01')).text).toContain('No entries');
  });

  it('CSV downloads: attachment, every matching row, quoting, decimals as stored', async () => {
    const fills = await client.get('/dashboard/fills?account=paper%3Adesk-2&format=csv');
    expect(fills.status).toBe(200);
    expect(fills.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(fills.headers.get('cache-control')).toBe('no-store');
    expect(fills.headers.get('content-disposition')).toMatch(/^attachment; filename="fills-\d{8}T\d{6}Z\.csv"$/);
    const rows = parseCsv(fills.text);
    expect(rows[0]).toEqual(['at', 'account', 'order_id', 'fill_id', 'market', 'side', 'amount', 'price', 'fee', 'fee_currency', 'liquidity']);
    expect(rows.length).toBe(121);
    const stored = backend.services.history.fills({ account: 'paper:desk-2', limit: 1000 }).items;
    expect(rows.slice(1).map((r) => [r[3], r[6], r[7], r[8]])).toEqual(stored.map((f) => [f.fill_id, f.amount, f.price, f.fee]));

    const orders = parseCsv((await client.get('/dashboard/orders?status=rejected&format=csv')).text);
    expect(orders[0]).toContain('status_reason');
    const reason = backend.services.history.order(rejected).order.status_reason ?? '';
    expect(orders[1]?.[orders[0]!.indexOf('status_reason')]).toBe(reason);
    expect(orders.length).toBe(2);

    backend.services.accounts.update('paper:desk-2', { name: 'desk two' }, 'test');
    await backend.snapshot('paper:desk-2');
    const bal = await client.get('/dashboard/accounts/paper/desk-2/balances?currency=USD&format=csv');
    expect(bal.headers.get('content-disposition')).toMatch(/^attachment; filename="balances-desk_two-\d{8}T\d{6}Z\.csv"$/);
    const balRows = parseCsv(bal.text);
    expect(balRows[0]).toEqual(['at', 'account', 'currency', 'total', 'available', 'reserved']);
    expect(balRows.slice(1).every((r) => r[1] === 'paper:desk-2' && r[2] === 'USD')).toBe(true);
    expect(balRows.length).toBeGreaterThan(1);
    for (const text of [fills.text, bal.text]) expect(text).not.toMatch(/api_secret|api_key/);
  });
});

describe('refused history queries', () => {
  it('a cursor not handed out, an unknown account, since after until: said so, nothing listed', async () => {
    const badCursor = await client.get('/dashboard/fills?cursor=bm9wZQ');
    expect(badCursor.status).toBe(400);
    expect(badCursor.text).toContain('cursor is not one this service handed out');
    const badOrderCursor = await client.get('/dashboard/orders?cursor=01NOSUCH');
    expect(badOrderCursor.status).toBe(400);
    expect((await client.get('/dashboard/fills?account=paper%3Anobody')).status).toBe(404);
    const reversed = await client.get('/dashboard/audit?since=2026-02-01&until=2026-01-01');
    expect(reversed.text).toContain('since must be before until');
    expect(reversed.text).not.toContain('<table class="striped" id="audit">');
    const csv = await client.get('/dashboard/orders?since=nonsense&format=csv');
    expect(csv.headers.get('content-type')).toContain('text/html');
  });
});

describe('csv fields', () => {
  it('quotes commas, quotes and line breaks; defuses formulas; keeps decimals', async () => {
    const { csvLine } = await import('../../src/web/csv.ts');
    expect(csvLine(['a,b', 'say "hi"', 'x\ny', '0.00010000', '-1.5', '=cmd', undefined, ' pad'])).toBe('"a,b","say ""hi""","x\ny",0.00010000,-1.5,\'=cmd,,\" pad\"\r\n');
  });
});
