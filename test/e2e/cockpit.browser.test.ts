/**
 * The operator cockpit in a real browser (Debian's chromium via playwright-core) on the real
 * composition root: the order page, the fills page's filters and paging, CSV downloads, chart axes
 * in UTC, the backtest filter and parent names of the accounts table, and a 1,280×800 screenshot of
 * every page with no action cut off at the right edge.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, startWeb, type RunningWeb } from '../integration/web-harness.ts';
import { appBackend, type DashboardBackend } from './dashboard-backend.ts';
import { COLLECT_FACTS, assertNoInternalIdsOrSecrets, type PageFacts } from './dashboard-pages.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`[cockpit browser tests] SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);
const ARTIFACTS = path.resolve('test-artifacts');
const WIDTH = 1280;

describe.skipIf(!HAVE_CHROMIUM)('operator cockpit in a browser', () => {
  let backend: DashboardBackend;
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  const knownRefs = new Set<string>();
  const browserErrors: string[] = [];
  const fills: string[] = [];
  let rejected = '';
  let resting = '';

  beforeAll(async () => {
    backend = await appBackend();
    const accounts = backend.services.accounts;
    accounts.create({ name: 'Main desk', exchange: 'bitstamp', exchange_account_id: '123456' }, 'test');
    accounts.create({ name: 'Sub desk', exchange: 'bitstamp', exchange_account_id: '654321', parent: 'bitstamp:123456' }, 'test');
    accounts.create({ name: 'Run 7', exchange: 'paper', exchange_account_id: 'bt-run-7', mode: 'backtest' }, 'test');
    for (let i = 0; i < 25; i++)
      fills.push((await backend.placeOrder('paper:paper', { market: 'btcusd', side: i % 2 ? 'sell' : 'buy', type: 'market', amount: '0.001', client_order_id: `bro-${i}` })).order_id);
    resting = (await backend.placeOrder('paper:paper', { market: 'ethusd', side: 'buy', type: 'limit', amount: '0.5', price: '100', client_order_id: 'bro-rest' })).order_id;
    rejected = (await backend.placeOrder('paper:paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '50', price: '49000', client_order_id: 'bro-big' })).order_id;
    await backend.snapshot('paper:paper');
    await new Promise((r) => setTimeout(r, 1100));
    await backend.snapshot('paper:paper');
    for (const a of accounts.list()) knownRefs.add(`${a.exchange}:${a.exchange_account_id}`);
    web = await startWeb(backend.services, backend.webDeps);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
    // A browser far from UTC: every time shown must still be UTC.
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 }, timezoneId: 'America/New_York', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) browserErrors.push(m.text());
    });
    page.on('pageerror', (e) => browserErrors.push(e.message));
    await page.goto(`${web.base}/login`);
    await page.fill('#f-password', ADMIN_PASSWORD);
    await Promise.all([page.waitForURL(/\/dashboard$/), page.click('button[type=submit]:has-text("Log in")')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await backend?.close();
  });

  async function check(where: string): Promise<PageFacts> {
    const facts = (await page.evaluate(COLLECT_FACTS)) as PageFacts;
    assertNoInternalIdsOrSecrets(where, facts, knownRefs, [], backend.internalKeys());
    return facts;
  }
  async function visit(p: string): Promise<void> {
    const res = await page.goto(web.base + p);
    expect(res?.status(), p).toBe(200);
    await check(p);
  }
  const rowIds = () => page.$$eval('table#fills tbody a.order-link code', (els) => els.map((e) => e.textContent ?? ''));

  it('order page: reached from the orders list; fields, fills, audit trail with time and actor', async () => {
    await visit('/dashboard/orders?status=filled');
    const first = fills[fills.length - 1]!;
    await Promise.all([page.waitForURL(`**/dashboard/orders/${first}`), page.click(`table#orders tbody tr:first-child a.status`)]);
    const detail = backend.services.history.order(first);
    await expect(page.textContent('#order-status')).resolves.toBe('filled');
    const fields = (await page.textContent('#order-fields')) ?? '';
    for (const v of [detail.order.client_order_id, detail.order.exchange_order_id ?? 'MISSING', detail.order.amount, detail.order.fee_total, 'Main desk'.length ? 'paper' : '']) expect(fields).toContain(v);
    expect(await page.locator('#order-fills tbody tr').count()).toBe(detail.fills.length);
    const trail = await page.$$eval('#order-trail tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(trail.length).toBe(detail.audit.length);
    expect(trail[0]?.[2]).toBe('test:e2e');
    for (const r of trail) expect(r[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(trail.at(-1)?.[4]).toMatch(/→ filled$/);
    await check('order page');
  });

  it('order page: a rejected order says why; an unknown id is the 404 page with dashboard links', async () => {
    await visit(`/dashboard/orders/${rejected}`);
    const reason = backend.services.history.order(rejected).order.status_reason ?? 'NO REASON';
    await expect(page.textContent('#status-reason')).resolves.toContain(reason);
    const res = await page.goto(`${web.base}/dashboard/orders/01UNKNOWN`);
    expect(res?.status()).toBe(404);
    await expect(page.textContent('#error-message')).resolves.toContain('no order with order_id 01UNKNOWN');
    expect(await page.locator('main a[href="/dashboard/orders"]').count()).toBe(1);
  });

  it('order page: a live order can be cancelled from it, and the trail then shows the cancel', async () => {
    await visit(`/dashboard/orders/${resting}`);
    expect(await page.locator('#cancel-order').count()).toBe(1);
    await Promise.all([page.waitForURL(`**/dashboard/orders/${resting}`), page.click('#cancel-order button')]);
    await expect(page.textContent('#order-status')).resolves.toBe('cancelled');
    expect(await page.locator('#cancel-order').count()).toBe(0);
    const actions = await page.$$eval('#order-trail tbody td:nth-child(4)', (tds) => tds.map((t) => t.textContent));
    expect(actions).toContain('order.cancel');
    const actors = await page.$$eval('#order-trail tbody td:nth-child(3)', (tds) => tds.map((t) => t.textContent));
    expect(actors).toContain('dashboard:admin');
  });

  it('fills page: account and market filters through the form', async () => {
    await visit('/dashboard/fills');
    await page.selectOption('#q-account', 'paper:paper');
    await page.fill('#q-market', 'ethusd');
    await Promise.all([page.waitForURL(/market=ethusd/), page.click('form.filters button[type=submit]')]);
    await expect(page.locator('#no-fills').count()).resolves.toBe(1);
    await page.fill('#q-market', 'btcusd');
    await Promise.all([page.waitForURL(/market=btcusd/), page.click('form.filters button[type=submit]')]);
    expect(new Set(await rowIds())).toEqual(new Set(fills));
    await page.fill('#q-since', '2999-01-01');
    await Promise.all([page.waitForURL(/since=2999/), page.click('form.filters button[type=submit]')]);
    await expect(page.locator('#no-fills').count()).resolves.toBe(1);
    await check('fills filtered');
  });

  it('fills page: Older links walk every fill exactly once, then stop', async () => {
    await visit('/dashboard/fills?account=paper%3Apaper&limit=10');
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      seen.push(...(await rowIds()));
      if ((await page.locator('#older').count()) === 0) break;
      await Promise.all([page.waitForURL(/cursor=/), page.click('#older')]);
      await check(`fills page ${i + 2}`);
    }
    expect(seen.length).toBe(fills.length);
    expect(seen).toEqual([...fills].reverse());
    expect(await page.locator('#newest').count()).toBe(1);
  });

  it('CSV download of the filter shown: fills and orders', async () => {
    await visit('/dashboard/fills?account=paper%3Apaper&market=btcusd');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    expect(dl.suggestedFilename()).toMatch(/^fills-\d{8}T\d{6}Z\.csv$/);
    const text = readFileSync((await dl.path())!, 'utf8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,account,order_id,fill_id,market,side,amount,price,fee,fee_currency,liquidity');
    expect(lines.length).toBe(fills.length + 1);
    const stored = backend.services.history.fills({ account: 'paper:paper', market: 'btcusd', limit: 1000 }).items;
    expect(lines.slice(1)).toEqual(stored.map((f) => [f.at, f.account, f.order_id, f.fill_id, f.market, f.side, f.amount, f.price, f.fee, f.fee_currency, f.liquidity].join(',')));

    await visit('/dashboard/orders?status=cancelled');
    const [odl] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const orders = readFileSync((await odl.path())!, 'utf8').trimEnd().split('\r\n');
    expect(orders.length).toBe(2);
    expect(orders[1]).toContain(resting);
  });

  it('balance chart: axis and legend in UTC in a New York browser', async () => {
    await visit('/dashboard/accounts/paper/paper/balances');
    await page.waitForSelector('#balance-charts[data-rendered]');
    const box = (await page.locator('#balance-charts .uplot .u-over').first().boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    const legend = (await page.locator('#balance-charts .uplot .u-legend .u-series:first-child .u-value').first().textContent()) ?? '';
    expect(legend).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    const snaps = backend.services.history.balances('paper:paper', {}).items.map((s) => s.at.slice(0, 19).replace('T', ' ') + ' UTC');
    expect(snaps).toContain(legend);
    expect(browserErrors).toEqual([]);
  });

  it('accounts table: backtests hidden behind a link, parents by name, no double-escaped labels', async () => {
    await visit('/dashboard');
    const names = await page.$$eval('#accounts tbody td:first-child strong', (els) => els.map((e) => e.textContent));
    expect(names).not.toContain('Run 7');
    await expect(page.textContent('#backtests-hidden')).resolves.toContain('1 backtest account hidden');
    const sub = page.locator('#accounts tbody tr[data-ref="bitstamp:654321"] td:nth-child(4)');
    await expect(sub.textContent()).resolves.toBe('Main desk');
    const html = await page.content();
    expect(html).not.toContain('&amp;hellip;');
    expect(await page.locator('#f-exchange option[value=""]').textContent()).toBe('Choose…');
    await Promise.all([page.waitForURL(/backtests=show/), page.click('#show-backtests')]);
    const all = await page.$$eval('#accounts tbody td:first-child strong', (els) => els.map((e) => e.textContent));
    expect(all).toContain('Run 7');
  });

  it('every page at 1,280×800: a screenshot, and no action button past the right edge', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const pages: [string, string][] = [
      ['accounts', '/dashboard?backtests=show'],
      ['orders', '/dashboard/orders'],
      ['order', `/dashboard/orders/${fills[0]}`],
      ['order-rejected', `/dashboard/orders/${rejected}`],
      ['fills', '/dashboard/fills'],
      ['audit', '/dashboard/audit'],
      ['status', '/dashboard/status'],
      ['balances', '/dashboard/accounts/paper/paper/balances'],
      ['account-edit', '/dashboard/accounts/bitstamp/654321/edit'],
    ];
    for (const [name, p] of pages) {
      await visit(p);
      await page.screenshot({ path: path.join(ARTIFACTS, `cockpit-${name}-1280.png`) });
      const cut = await page.$$eval('button, [role=button], td.actions a, nav.pager a, input[type=submit]', (els, width) =>
        els
          .filter((e) => (e as HTMLElement).offsetParent !== null)
          .map((e) => ({ what: `${e.tagName} ${(e.textContent ?? '').trim().slice(0, 30)}`, right: e.getBoundingClientRect().right }))
          .filter((b) => b.right > width),
        WIDTH,
      );
      expect(cut, `${name}: actions cut off at ${WIDTH}px`).toEqual([]);
      // A table wider than its scroll box hides its last columns (where actions live) until scrolled.
      const scrolled = await page.$$eval('.overflow-auto', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.firstElementChild?.id ?? '?'}: ${e.scrollWidth} > ${e.clientWidth}`));
      expect(scrolled, `${name}: a table scrolls sideways`).toEqual([]);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(WIDTH);
    }
  });
});
