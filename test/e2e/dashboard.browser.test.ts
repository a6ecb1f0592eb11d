/**
 * Acceptance of the operator dashboard in a real browser (Debian's chromium via playwright-core).
 * Skipped, with a message, only when /usr/bin/chromium is absent (CI installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, startWeb, type RunningWeb } from '../integration/web-harness.ts';
import { dashboardBackend } from './dashboard-backend-select.ts';
import type { DashboardBackend } from './dashboard-backend.ts';
import { COLLECT_FACTS, assertNoInternalIdsOrSecrets, type PageFacts } from './dashboard-pages.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`[dashboard browser tests] SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);

const PLANTED_SECRET = 'PLANTED-api-secret-5b1f0c9e7a3d';
const PLANTED_KEY = 'PLANTEDKEYabcdef0123456789';
const ARTIFACTS = path.resolve('test-artifacts');

describe.skipIf(!HAVE_CHROMIUM)('dashboard in a browser', () => {
  let backend: DashboardBackend;
  let web: RunningWeb;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const knownRefs = new Set<string>();
  const browserErrors: string[] = [];
  let shotCount = 0;

  beforeAll(async () => {
    backend = await dashboardBackend();
    web = await startWeb(backend.services, backend.webDeps);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    // Refused forms (400/401/409) are part of the script; anything else (a missing asset, a CSP block, a script error) is not.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[019]/.test(m.text())) browserErrors.push(m.text());
    });
    page.on('pageerror', (e) => browserErrors.push(e.message));
    for (const a of backend.services.accounts.list()) knownRefs.add(`${a.exchange}:${a.exchange_account_id}`);
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await backend?.close();
  });

  /** Every page the test visits passes the leak checks. */
  async function check(where: string): Promise<PageFacts> {
    const facts = (await page.evaluate(COLLECT_FACTS)) as PageFacts;
    assertNoInternalIdsOrSecrets(where, facts, knownRefs, [PLANTED_SECRET, PLANTED_KEY], backend.internalKeys());
    // E2E_SHOTS=<dir>: a screenshot of every checked page, for looking at the pages by eye.
    const shots = process.env['E2E_SHOTS'];
    if (shots) await page.screenshot({ path: path.join(shots, `${String(++shotCount).padStart(2, '0')}-${where.replace(/[^a-z0-9]+/gi, '_')}.png`), fullPage: true });
    return facts;
  }
  async function visit(p: string): Promise<PageFacts> {
    const res = await page.goto(web.base + p);
    expect(res?.status(), p).toBe(200);
    return check(p);
  }
  function row(name: string) {
    return page.locator('#accounts tbody tr', { has: page.locator('td:first-child strong', { hasText: new RegExp(`^${name}$`) }) });
  }

  it('runs on the real composition root unless DASHBOARD_BACKEND=fake', () => {
    if (process.env['DASHBOARD_BACKEND'] === 'fake') return;
    expect(backend.kind).toBe('app');
    expect(backend.internalKeys().length).toBeGreaterThan(0); // the leak checks compare against real table keys
  });

  it('logs in', async () => {
    await page.goto(`${web.base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await check('/login');
    await page.fill('#f-password', 'wrong');
    await page.click('button[type=submit]:has-text("Log in")');
    await expect(page.locator('#form-error').textContent()).resolves.toContain('Wrong password');
    await page.fill('#f-password', ADMIN_PASSWORD);
    await page.click('button[type=submit]:has-text("Log in")');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await check('/dashboard');
  });

  it('shows the add-account section collapsed at first', async () => {
    expect(await page.$eval('#add-account', (el) => (el as HTMLDetailsElement).open)).toBe(false);
    expect(await page.isVisible('#f-exchange_account_id')).toBe(false);
  });

  it('adds a Bitstamp account and a paper account', async () => {
    await page.click('#add-account > summary');
    expect(await page.$eval('#add-account', (el) => (el as HTMLDetailsElement).open)).toBe(true);
    await page.fill('#f-name', 'Main Bitstamp');
    await page.selectOption('#f-exchange', 'bitstamp');
    await page.fill('#f-exchange_account_id', '4455667');
    await page.check('#f-enabled');
    await page.click('button:has-text("Add account")');
    knownRefs.add('bitstamp:4455667');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Main Bitstamp (bitstamp:4455667) created');
    expect(await row('Main Bitstamp').locator('td').nth(2).textContent()).toBe('4455667');
    await check('/dashboard after bitstamp');

    // A mistake first: the form comes back open, with the input and a message beside the field.
    await page.click('#add-account > summary');
    await page.fill('#f-name', 'Paper Desk');
    await page.selectOption('#f-exchange', 'paper');
    await page.fill('#f-exchange_account_id', 'desk 1');
    await page.fill('#f-initial_balances', 'USD=10000, BTC=1');
    await page.click('button:has-text("Add account")');
    expect(await page.$eval('#add-account', (el) => (el as HTMLDetailsElement).open)).toBe(true);
    expect(await page.inputValue('#f-name')).toBe('Paper Desk');
    await expect(page.locator('#e-exchange_account_id').textContent()).resolves.toMatch(/letters, digits/);
    await page.fill('#f-exchange_account_id', 'desk-1');
    await page.click('button:has-text("Add account")');
    knownRefs.add('paper:desk-1');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Paper Desk (paper:desk-1) created');
    expect(await row('Paper Desk').count()).toBe(1);
    await check('/dashboard after paper');
  });

  it('sets credentials (write-only): only "set on <date>" is shown', async () => {
    await row('Main Bitstamp').locator('a:has-text("Credentials")').click();
    await check('credentials form');
    await expect(page.locator('#credentials-state').textContent()).resolves.toContain('No credentials set');
    await page.fill('#f-api_key', PLANTED_KEY);
    await page.fill('#f-api_secret', PLANTED_SECRET);
    await page.click('button:has-text("Save credentials")');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await expect(row('Main Bitstamp').locator('td.creds').textContent()).resolves.toMatch(/set on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    await check('/dashboard after credentials');
    await visit('/dashboard/accounts/bitstamp/4455667/credentials');
    await expect(page.locator('#credentials-state').textContent()).resolves.toMatch(/Credentials set on/);
    expect(await page.inputValue('#f-api_key')).toBe('');
  });

  it('edits, disables and enables an account', async () => {
    await visit('/dashboard');
    await row('Main Bitstamp').locator('a:has-text("Edit")').click();
    await check('edit form');
    await page.fill('#f-name', 'Main Renamed');
    await page.click('button:has-text("Save account")');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Main Renamed (bitstamp:4455667) updated');
    await row('Main Renamed').locator('button:has-text("Disable")').click();
    await expect(row('Main Renamed').locator('td').nth(5).textContent()).resolves.toBe('no');
    expect(backend.services.accounts.get('bitstamp:4455667').enabled).toBe(false);
    await row('Main Renamed').locator('button:has-text("Enable")').click();
    await expect(row('Main Renamed').locator('td').nth(5).textContent()).resolves.toBe('yes');
    expect(backend.services.accounts.get('bitstamp:4455667').enabled).toBe(true);
    await check('/dashboard after enable');
  });

  it('sets risk limits and the per-account kill switch', async () => {
    await visit('/dashboard/accounts/paper/desk-1/edit');
    await page.fill('#f-max_open_orders', 'lots');
    await page.click('button:has-text("Save limits")');
    await expect(page.locator('#e-max_open_orders').textContent()).resolves.toContain('whole number');
    await page.fill('#f-max_open_orders', '10');
    await page.fill('#f-allowed_markets', 'btcusd, ethusd');
    await page.click('button:has-text("Save limits")');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Risk limits of Paper Desk saved');
    expect(backend.services.accounts.get('paper:desk-1').limits).toMatchObject({ max_open_orders: 10, allowed_markets: ['btcusd', 'ethusd'] });
    await check('limits saved');
  });

  it('shows orders placed on the paper account on the orders page, filterable', async () => {
    // Limit buys far below the market: they rest on the paper book (open orders).
    const a = await backend.placeOrder('paper:desk-1', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '1000', client_order_id: 'e2e-buy-1' });
    const b = await backend.placeOrder('paper:desk-1', { market: 'ethusd', side: 'buy', type: 'limit', amount: '0.2', price: '100', client_order_id: 'e2e-buy-2' });
    // And one over MCP (Streamable HTTP on the same server), as a strategy client would.
    const viaMcp = backend.placeOrderOverMcp
      ? await backend.placeOrderOverMcp(web.base, { account: 'Paper Desk', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.03', price: '900', client_order_id: 'e2e-over-mcp' })
      : undefined;
    await visit('/dashboard/orders');
    await expect(page.locator('#orders').textContent()).resolves.toContain(a.order_id);
    if (viaMcp) await expect(page.locator('#orders').textContent()).resolves.toContain(viaMcp.order_id);
    await expect(page.locator('#orders').textContent()).resolves.toContain('e2e-buy-2');
    await page.selectOption('#q-account', 'paper:desk-1');
    await page.fill('#q-market', 'ethusd');
    await page.click('button:has-text("Filter")');
    await check('orders filtered');
    const text = (await page.locator('#orders').textContent()) ?? '';
    expect(text).toContain(b.order_id);
    expect(text).not.toContain(a.order_id);
  });

  it('renders the balance chart', async () => {
    await backend.snapshot('paper:desk-1');
    backend.advance(3_600_000);
    await backend.snapshot('paper:desk-1');
    await visit('/dashboard');
    await row('Paper Desk').locator('a:has-text("Balances")').click();
    expect(new URL(page.url()).pathname).toBe('/dashboard/accounts/paper/desk-1/balances');
    await page.waitForSelector('#balance-charts[data-rendered]');
    expect(Number(await page.getAttribute('#balance-charts', 'data-rendered'))).toBeGreaterThan(0);
    expect(await page.locator('#balance-charts .uplot canvas').count()).toBeGreaterThan(0);
    const box = await page.locator('#balance-charts .uplot canvas').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);
    await check('balances');
  });

  it('saves a full-page screenshot of /dashboard', async () => {
    await visit('/dashboard');
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'dashboard.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('refuses to delete an account with open orders, deletes after confirmation otherwise', async () => {
    await visit('/dashboard/accounts/paper/desk-1/delete');
    await page.click('#confirm-delete');
    await expect(page.locator('#form-error').textContent()).resolves.toMatch(/open order/);
    expect(backend.services.accounts.list().some((x) => x.name === 'Paper Desk')).toBe(true);

    await page.goto(`${web.base}/dashboard`);
    await row('Main Renamed').locator('a:has-text("Delete")').click();
    await check('delete confirmation');
    await expect(page.locator('h1').textContent()).resolves.toContain('Delete Main Renamed?');
    await page.click('#confirm-delete');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('deleted');
    expect(await row('Main Renamed').count()).toBe(0);
  });

  function orderRow(clientOrderId: string) {
    return page.locator('#orders tbody tr', { has: page.locator('code', { hasText: new RegExp(`^${clientOrderId}$`) }) });
  }
  const statusOf = (clientOrderId: string): string => backend.services.orders.get('paper:desk-1', { client_order_id: clientOrderId }).status;

  it('cancels one open order from the orders page (CSRF form, audited as the dashboard)', async () => {
    await visit('/dashboard/orders?account=paper%3Adesk-1&status=open');
    expect(await orderRow('e2e-buy-1').count()).toBe(1);
    expect(statusOf('e2e-buy-1')).toBe('open');
    await orderRow('e2e-buy-1').locator('button:has-text("Cancel")').click();
    await expect(page.locator('.notice-ok').textContent()).resolves.toMatch(/Order \S+ on paper:desk-1: cancelled/);
    // Back on the same filtered page, where the order no longer shows as open.
    expect(new URL(page.url()).search).toBe('?account=paper%3Adesk-1&status=open');
    expect(await orderRow('e2e-buy-1').count()).toBe(0);
    expect(statusOf('e2e-buy-1')).toBe('cancelled');
    expect(statusOf('e2e-buy-2')).toBe('open'); // only that one
    await check('orders after cancel');
    const cancels = backend.services.audit.page({ limit: 1000 }).filter((e) => e.action === 'order.cancel');
    expect(cancels.map((e) => e.actor)).toEqual(['dashboard:admin']);
  });

  it('kill switch "stop and cancel all open orders": new orders refused, every open order cancelled; then turned off', async () => {
    expect(backend.services.orders.list('paper:desk-1', { status: 'open' }).length).toBeGreaterThan(0);
    await visit('/dashboard');
    await page.click('#global-kill-switch button:has-text("Stop and cancel all open orders")');
    const notice = (await page.locator('.notice-error').textContent()) ?? '';
    expect(notice).toContain('Global kill switch ON');
    expect(notice).toMatch(/paper:desk-1: \d+ cancels? sent/);
    expect(backend.services.accounts.globalKillSwitch()).toBe(true);
    expect(backend.services.orders.list('paper:desk-1', { status: 'open' })).toEqual([]);
    expect(statusOf('e2e-buy-2')).toBe('cancelled');
    await expect(backend.placeOrder('paper:desk-1', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '1000' })).rejects.toMatchObject({ code: 'RISK_LIMIT' });
    await check('/dashboard kill switch with cancel');
    await page.click('#global-kill-switch button:has-text("Turn off")');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('Global kill switch off');
    expect(backend.services.accounts.globalKillSwitch()).toBe(false);
  });

  it('per account: "cancel all open orders" on the orders page, and the account kill switch with cancel', async () => {
    await backend.placeOrder('paper:desk-1', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '1000', client_order_id: 'e2e-brake-1' });
    await backend.placeOrder('paper:desk-1', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '1001', client_order_id: 'e2e-brake-2' });
    await visit('/dashboard/orders');
    await page.click('#brakes button:has-text("Cancel all open orders of paper:desk-1")');
    await expect(page.locator('.notice-ok').textContent()).resolves.toContain('paper:desk-1: 2 cancels sent');
    expect([statusOf('e2e-brake-1'), statusOf('e2e-brake-2')]).toEqual(['cancelled', 'cancelled']);
    expect(await page.locator('#brakes').count()).toBe(0); // nothing left to cancel

    await backend.placeOrder('paper:desk-1', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '1002', client_order_id: 'e2e-brake-3' });
    await visit('/dashboard/accounts/paper/desk-1/edit');
    await page.check('#f-kill_switch');
    await page.check('#f-cancel_open');
    await page.click('button:has-text("Save limits")');
    const notice = (await page.locator('.notice-error').textContent()) ?? '';
    expect(notice).toContain('its kill switch is ON');
    expect(notice).toContain('paper:desk-1: 1 cancel sent');
    expect(statusOf('e2e-brake-3')).toBe('cancelled');
    expect(backend.services.accounts.get('paper:desk-1').limits.kill_switch).toBe(true);
    await check('limits kill switch with cancel');
  });

  it('audit and status pages pass the checks; the audit shows dashboard changes without secrets', async () => {
    await visit('/dashboard/audit');
    const text = (await page.locator('#audit').textContent()) ?? '';
    expect(text).toContain('dashboard:admin');
    expect(text).toContain('account.credentials.set');
    await visit('/dashboard/status');
    await visit('/');
  });

  it('had no script errors or CSP violations in the browser', () => {
    expect(browserErrors.join('\n')).toBe('');
  });

  it('works without JavaScript: log in and add an account', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await noJs.newPage();
      await p.goto(`${web.base}/login`);
      await p.fill('#f-password', ADMIN_PASSWORD);
      await p.click('button[type=submit]:has-text("Log in")');
      expect(new URL(p.url()).pathname).toBe('/dashboard');
      await p.click('#add-account > summary');
      await p.fill('#f-name', 'No JS');
      await p.selectOption('#f-exchange', 'paper');
      await p.fill('#f-exchange_account_id', 'nojs-1');
      await p.click('button:has-text("Add account")');
      await expect(p.locator('.notice-ok').textContent()).resolves.toContain('No JS (paper:nojs-1) created');
    } finally {
      await noJs.close();
    }
  });
});
