/**
 * The status page lists the fills kept aside: a real order runtime (RuntimeHarness) keeps an
 * impossible pushed fill aside, the status service maps its list as main.ts does, and the page shows
 * account, order, fill id, reason and time (escaped), with an empty state when there are none and
 * no secret anywhere on the page.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FillReport } from '../../src/exchanges/adapter.ts';
import { quarantinedFillViews } from '../../src/services/quarantined-fills.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';
import { createFakeServices, type FakeServices } from './web-fake-services.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

const PLANTED_SECRET = 'PlantedSecret-status-quarantine-7f3a';

let h: RuntimeHarness | undefined;
let web: RunningWeb | undefined;
afterEach(async () => {
  await web?.close();
  await h?.close();
  web = undefined;
  h = undefined;
});

async function page(services: FakeServices, extra: Parameters<typeof startWeb>[1] = {}): Promise<string> {
  services.accounts.create({ name: 'live-one', exchange: 'bitstamp', exchange_account_id: '998877' }, 'test');
  services.accounts.setCredentials('live-one', { api_key: 'status-key', api_secret: PLANTED_SECRET }, 'test');
  web = await startWeb(services, extra);
  const admin = new WebClient(web.base);
  await admin.login();
  const r = await admin.get('/dashboard/status');
  expect(r.status).toBe(200);
  expect(r.text).not.toContain(PLANTED_SECRET);
  return r.text;
}

function fill(over: Partial<FillReport>): FillReport {
  return { fillId: 'QF-1', exchangeOrderId: 'E1', clientOrderId: 'c1', market: 'btcusd', side: 'buy', amount: '0.5', price: '100', fee: '0.05', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:09.000Z', ...over };
}

describe('status page: fills kept aside', () => {
  it('lists a fill the runtime kept aside, newest first, escaped', async () => {
    h = await RuntimeHarness.create();
    const acct = h.addAccount('main');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.emit({ type: 'fill', fill: fill({ side: 'sell' }) });
    h.exchange.emit({ type: 'fill', fill: fill({ fillId: 'QF-2', market: '<b>evil</b>' }) });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)!.filled_amount).toBe('0');

    const services = createFakeServices();
    const runtime = h.runtime;
    services.status.quarantinedFills = () => quarantinedFillViews(runtime.quarantinedFills());
    const html = await page(services, { metricsRegistry: h.metrics.registry });
    const metrics = await (await fetch(`${web!.base}/metrics`)).text();
    expect(metrics).toContain('exec_mcp_fills_quarantined_total{source="exchange"} 2');
    const table = /<table class="striped" id="quarantined-fills">([\s\S]*?)<\/table>/.exec(html)?.[1];
    expect(table).toBeDefined();
    expect(html).not.toContain('id="no-quarantined-fills"');
    const rows = [...table!.matchAll(/<tr><td>[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(2);
    // Newest first.
    expect(rows[0]).toContain('QF-2');
    expect(rows[1]).toContain('QF-1');
    expect(rows[1]).toContain(acct.ref);
    expect(rows[1]).toContain(v.order_id);
    expect(rows[1]).toContain('fill side sell differs from the order&#39;s buy');
    expect(rows[1]).toContain('exchange');
    expect(rows[1]).toMatch(/2026-01-01/);
    expect(rows[0]).toContain('&lt;b&gt;evil&lt;/b&gt;');
    expect(html).not.toContain('<b>evil</b>');
  });

  it('says so when no fill was kept aside', async () => {
    const html = await page(createFakeServices());
    expect(html).toContain('id="no-quarantined-fills"');
    expect(html).toContain('No fills kept aside.');
    expect(html).not.toContain('id="quarantined-fills"');
  });
});
