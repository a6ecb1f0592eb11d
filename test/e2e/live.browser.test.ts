/**
 * Live dashboard pages in a real browser (Debian's chromium via playwright-core): the orders page
 * shows an order's new status after a paper fill without a reload, over /dashboard/events (SSE),
 * and a logout ends the stream. Skipped, with a message, only when /usr/bin/chromium is absent.
 */
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { ADMIN_PASSWORD, startWeb, type RunningWeb } from '../integration/web-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`[live browser tests] SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);

const REF = 'paper:live-1';

describe.skipIf(!HAVE_CHROMIUM)('live dashboard pages in a browser', () => {
  let dir: string;
  let app: App;
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  const prices = new FixedPriceSource({ btcusd: '50000', ethusd: '3000' });
  const browserErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-live-'));
    const config = loadConfig({ EXEC_MCP_DATA_DIR: dir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_MASTER_KEY: crypto.randomBytes(32).toString('base64') });
    app = await createApp(config, { logger: silentLogger(), priceSource: prices });
    await app.start();
    app.services.accounts.create({ name: 'Live Desk', exchange: 'paper', exchange_account_id: 'live-1', initial_balances: { USD: '100000' } }, 'test:e2e');
    web = await startWeb(app.services, { ready: app.ready, clock: app.clock });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // A browser far from UTC: the pages (and the portfolio chart's axis) must still say UTC.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'America/New_York' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error') browserErrors.push(m.text());
    });
    page.on('pageerror', (e) => browserErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const statusCell = (orderId: string) => page.locator('#orders tbody tr', { has: page.locator('code', { hasText: new RegExp(`^${orderId}$`) }) }).locator('.status');

  it('logs in', async () => {
    await page.goto(`${web.base}/login`);
    await page.fill('#f-password', ADMIN_PASSWORD);
    await page.click('button[type=submit]:has-text("Log in")');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
  });

  it('the add-account form offers only the modes of the chosen exchange', async () => {
    await page.click('#add-account > summary');
    const enabledModes = () => page.$$eval('#f-mode option', (os) => os.filter((o) => !(o.parentElement as HTMLOptGroupElement).disabled).map((o) => (o as HTMLOptionElement).value));
    await page.selectOption('#f-exchange', 'bitstamp');
    expect(await enabledModes()).toEqual(['', 'live']);
    await page.selectOption('#f-mode', 'live');
    await page.selectOption('#f-exchange', 'paper');
    expect(await enabledModes()).toEqual(['', 'paper']);
    expect(await page.inputValue('#f-mode')).toBe(''); // live is not a paper mode: back to the default
  });

  it('shows an order filled after the market moved, without a reload', async () => {
    // A limit buy under the market rests on the paper book.
    const order = await app.services.orders.place(REF, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '49000', client_order_id: 'live-e2e-1' }, 'test:e2e');
    expect(order.status).toBe('open');
    await page.goto(`${web.base}/dashboard/orders?account=${encodeURIComponent(REF)}`);
    await expect(statusCell(order.order_id).textContent()).resolves.toBe('open');
    await page.waitForSelector('body[data-live="on"]');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // The market falls through the limit: the paper venue's next price poll fills the order.
    prices.set('btcusd', '48000');
    await page.waitForFunction((id) => {
      const row = [...document.querySelectorAll('#orders tbody tr')].find((r) => r.textContent?.includes(id));
      return row?.querySelector('.status')?.textContent === 'filled';
    }, order.order_id, { timeout: 20_000 });
    expect(app.services.orders.get(REF, { order_id: order.order_id }).status).toBe('filled');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect(page.locator('#orders tbody tr', { hasText: order.order_id }).locator('td').nth(8).textContent()).resolves.toBe('0.01');
    expect(Number(await page.getAttribute('body', 'data-live-refreshes'))).toBeGreaterThan(0);
  });

  it('a new order appears on the page by itself', async () => {
    const order = await app.services.orders.place(REF, { market: 'ethusd', side: 'buy', type: 'limit', amount: '0.1', price: '100', client_order_id: 'live-e2e-2' }, 'test:e2e');
    await expect(statusCell(order.order_id).textContent({ timeout: 10_000 })).resolves.toBe('open');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it("an order's own page shows its fill without a reload", async () => {
    const order = await app.services.orders.place(REF, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: '47000', client_order_id: 'live-e2e-3' }, 'test:e2e');
    expect(order.status).toBe('open');
    await page.goto(`${web.base}/dashboard/orders/${encodeURIComponent(order.order_id)}`);
    await expect(page.locator('#order-status').textContent()).resolves.toBe('open');
    await page.waitForSelector('body[data-live="on"]');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    prices.set('btcusd', '46000');
    await page.waitForFunction(() => document.getElementById('order-status')?.textContent === 'filled', undefined, { timeout: 20_000 });
    await page.waitForSelector('#order-fills tbody tr');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  it('the portfolio page draws its value chart, with PnL from the fills above', async () => {
    const res = await page.goto(`${web.base}/dashboard/accounts/paper/live-1/portfolio`);
    expect(res?.status()).toBe(200);
    await page.waitForSelector('#portfolio-chart[data-rendered]');
    expect(await page.locator('#portfolio-chart .uplot canvas').count()).toBeGreaterThan(0);
    await expect(page.locator('#portfolio-chart .u-title').textContent()).resolves.toBe('Value in USD (UTC)');
    const pos = await app.services.positions.get(REF);
    const btc = pos.positions.find((p) => p.market === 'btcusd')!;
    await expect(page.locator('#positions tr[data-market="btcusd"] td').nth(4).textContent()).resolves.toBe(btc.realized_pnl);
    await expect(page.locator('#portfolio-points tbody tr').first().locator('td').first().textContent()).resolves.toMatch(/UTC$/);
  });

  it('the event stream is session-only, not cached, and ends at logout', async () => {
    // Without a session: no stream (the login gate redirects page requests).
    const anon = await fetch(`${web.base}/dashboard/events`, { redirect: 'manual' });
    expect(anon.status).toBe(302);
    await anon.body?.cancel();

    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const res = await fetch(`${web.base}/dashboard/events`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes('event: hello')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    expect(seen).toContain('event: hello');

    await page.click('button:has-text("Log out")');
    expect(new URL(page.url()).pathname).toBe('/login');
    // The stream of that session says bye and ends (not left open until a heartbeat fails).
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    expect(seen).toContain('event: bye');
    expect(browserErrors).toEqual([]);
  });
});
