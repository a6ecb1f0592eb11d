/**
 * Portfolio view of an account (services/portfolio.ts + /dashboard/.../portfolio) on the real
 * composition root: value over time in the main quote currency, and PnL equal to get_positions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D } from '../../src/domain/money.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import type { PortfolioService } from '../../src/services/ports.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

const REF = 'paper:pf-1';

describe('portfolio view', () => {
  const prices = new FixedPriceSource({ btcusd: '50000', ethusd: '3000' });
  let t: TestApp;
  let web: RunningWeb;
  let portfolio: PortfolioService;

  beforeAll(async () => {
    t = await startTestApp({}, { priceSource: prices });
    t.services.accounts.create({ name: 'PF Desk', exchange: 'paper', exchange_account_id: 'pf-1', initial_balances: { USD: '10000', BTC: '0.5' } }, 'test');
    portfolio = t.services.portfolio!;
    web = await startWeb(t.services, { ready: t.app.ready, clock: t.app.clock });
  });
  afterAll(async () => {
    await web?.close();
    await t?.close();
  });

  async function fill(side: 'buy' | 'sell', amount: string, price: string, id: string) {
    const o = await t.services.orders.place(REF, { market: 'btcusd', side, type: 'limit', amount, price, client_order_id: id }, 'test');
    await t.settle();
    const done = t.services.orders.get(REF, { order_id: o.order_id });
    expect(done.status).toBe('filled');
    const f = t.services.orders.listFills(REF, {}).find((x) => x.order_id === o.order_id)!;
    return f;
  }

  it('values held coins at the mark before any trade, in USD (the held fiat)', async () => {
    const p = await portfolio.get(REF);
    expect(p.quote_currency).toBe('USD');
    expect(p.positions).toEqual([]);
    expect(p.value_now).toBe('35000'); // 10000 + 0.5 × 50000
    expect(p.realized_pnl).toBe('0');
    expect(p.unrealized_pnl).toBe('0');
    expect(p.points.at(-1)?.value).toBe('35000');
  });

  it('after fills: PnL is get_positions summed, past points at the price traded then, now at the mark', async () => {
    const buy = await fill('buy', '0.1', '51000', 'pf-buy');
    await t.services.balances.snapshot(REF);
    prices.set('btcusd', '55000');
    const sell = await fill('sell', '0.04', '54000', 'pf-sell');
    await t.services.balances.snapshot(REF);
    prices.set('btcusd', '56000');

    const p = await portfolio.get(REF);
    const pos = await t.services.positions.get(REF);
    expect(p.positions).toEqual(pos.positions);
    const btc = pos.positions.find((x) => x.market === 'btcusd')!;
    expect(p.realized_pnl).toBe(btc.realized_pnl);
    expect(p.unrealized_pnl).toBe(btc.unrealized_pnl);
    expect(p.fees_paid).toBe(btc.fees_paid);
    // Average cost: realized = 0.04 × (sell − buy) − both fees.
    const expectRealized = new D(sell.price).minus(buy.price).times('0.04').minus(buy.fee).minus(sell.fee);
    expect(new D(p.realized_pnl).eq(expectRealized)).toBe(true);
    expect(new D(p.unrealized_pnl!).eq(new D('0.06').times(new D('56000').minus(buy.price)))).toBe(true);

    // The snapshot right after the sell is valued at the sell's price; "now" at the 56000 mark.
    const { snapshots } = t.services.balances.history(REF, {});
    const last = snapshots.at(-1)!;
    const total = (c: string) => new D(last.balances.find((b) => b.currency === c)?.total ?? '0');
    const afterSell = p.points.find((pt) => pt.at === last.at);
    expect(afterSell && new D(afterSell.value).eq(total('USD').plus(total('BTC').times(sell.price)))).toBe(true);
    const now = await t.services.balances.get(REF, false);
    const nowTotal = (c: string) => new D(now.balances.find((b) => b.currency === c)?.total ?? '0');
    expect(new D(p.value_now!).eq(nowTotal('USD').plus(nowTotal('BTC').times('56000')))).toBe(true);
    expect(p.points.map((x) => x.at)).toEqual([...p.points.map((x) => x.at)].sort());
  });

  it('in BTC, dollars are converted through btcusd inverted', async () => {
    const p = await portfolio.get(REF, { quote: 'BTC' });
    const now = await t.services.balances.get(REF, false);
    const total = (c: string) => new D(now.balances.find((b) => b.currency === c)?.total ?? '0');
    expect(new D(p.value_now!).minus(total('BTC').plus(total('USD').div('56000'))).abs().lt('0.00000001')).toBe(true);
    expect(p.realized_pnl).toBe('0'); // no position is quoted in BTC
    expect(p.quote_choices).toContain('USD');
  });

  it('the dashboard page shows the same numbers, with the chart data and a table', async () => {
    const c = new WebClient(web.base);
    await c.login();
    const r = await c.get('/dashboard/accounts/paper/pf-1/portfolio');
    expect(r.status).toBe(200);
    const p = await portfolio.get(REF);
    expect(r.text).toContain(`id="realized-pnl">${p.realized_pnl} USD<`);
    expect(r.text).toContain(`id="unrealized-pnl">${p.unrealized_pnl} USD<`);
    expect(r.text).toContain(`id="value-now">${p.value_now} USD<`);
    expect(r.text).toContain('<script src="/static/portfolio-chart.js"></script>');
    const json = JSON.parse(/<script type="application\/json" id="portfolio-data">([^<]*)<\/script>/.exec(r.text)?.[1] ?? '{}') as { quote: string; points: [number, number][] };
    expect(json.quote).toBe('USD');
    // The snapshot job may have added a point since (it follows fills): the newest one is "now" either way.
    expect(json.points.length).toBeGreaterThanOrEqual(3);
    expect(json.points.at(-1)?.[1]).toBe(Number(p.value_now));
    expect((await fetch(`${web.base}/static/portfolio-chart.js`)).status).toBe(200);
    expect((await c.get('/dashboard/accounts/paper/pf-1/portfolio?quote=EUR')).text).toContain('<strong id="quote">EUR</strong>');
    expect((await c.get('/dashboard/accounts/paper/pf-1/portfolio?quote=%3Cb%3E')).status).toBe(400);
    expect((await c.get('/dashboard/accounts/paper/nope/portfolio')).status).toBe(404);
    expect((await new WebClient(web.base).get('/dashboard/accounts/paper/pf-1/portfolio')).status).toBe(302);
  });
});
