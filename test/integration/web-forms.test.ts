import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { createFakeServices, type FakeServices } from './web-fake-services.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

let services: FakeServices;
let web: RunningWeb;
let admin: WebClient;

beforeEach(async () => {
  services = createFakeServices();
  services.accounts.create({ name: 'paper-one', exchange: 'paper', exchange_account_id: 'p-77', initial_balances: { USD: '1000', BTC: '0.5' } }, 'test');
  services.accounts.create({ name: 'live-one', exchange: 'bitstamp', exchange_account_id: '998877' }, 'test');
  web = await startWeb(services);
  admin = new WebClient(web.base);
  await admin.login();
});
afterEach(() => web.close());

/** The <small class="field-error"> text shown under the input named `field`. */
function fieldError(html: string, field: string): string | undefined {
  return new RegExp(`<small id="e-${field}" class="field-error">([^<]*)</small>`).exec(html)?.[1];
}
function inputValue(html: string, field: string): string | undefined {
  return new RegExp(`name="${field}" value="([^"]*)"`).exec(html)?.[1];
}

describe('add account form', () => {
  it('creates an account and shows it in the table (303 then GET)', async () => {
    const r = await admin.post('/dashboard/accounts', { name: 'Main', exchange: 'bitstamp', exchange_account_id: '123456', enabled: 'on' });
    expect(r.status).toBe(303);
    const page = await admin.get('/dashboard');
    expect(page.text).toContain('Account Main (bitstamp:123456) created.');
    expect(page.text).toContain('href="/dashboard/accounts/bitstamp/123456/edit"');
    expect(services.accounts.get('bitstamp:123456').enabled).toBe(true);
  });

  it('the add-account section is a <details> closed by default', async () => {
    const page = await admin.get('/dashboard');
    expect(page.text).toMatch(/<details id="add-account">/);
  });

  it('re-renders with the input, a message per bad field and the section open; nothing is saved', async () => {
    const before = services.accounts.list().length;
    const r = await admin.post('/dashboard/accounts', { name: ' bad/name', exchange: 'kraken', exchange_account_id: 'has space', mode: 'weird', initial_balances: 'USD:100' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/<details id="add-account" open>/);
    expect(fieldError(r.text, 'name')).toMatch(/letter or digit/);
    expect(fieldError(r.text, 'exchange')).toBe('must be one of bitstamp, paper');
    expect(fieldError(r.text, 'exchange_account_id')).toMatch(/letters, digits/);
    expect(fieldError(r.text, 'mode')).toMatch(/live, paper, backtest/);
    expect(fieldError(r.text, 'initial_balances')).toMatch(/CURRENCY=AMOUNT/);
    expect(inputValue(r.text, 'name')).toBe(' bad/name');
    expect(inputValue(r.text, 'exchange_account_id')).toBe('has space');
    expect(r.text).toContain('aria-invalid="true"');
    expect(services.accounts.list().length).toBe(before);
  });

  it('shows a service refusal (duplicate name) beside its field', async () => {
    const r = await admin.post('/dashboard/accounts', { name: 'paper-one', exchange: 'paper', exchange_account_id: 'other', enabled: 'on' });
    expect(r.status).toBe(400);
    expect(fieldError(r.text, 'name')).toContain('already exists');
    expect(inputValue(r.text, 'exchange_account_id')).toBe('other');
  });

  it('escapes what it echoes back', async () => {
    const r = await admin.post('/dashboard/accounts', { name: '<script>alert(1)</script>', exchange: 'paper', exchange_account_id: 'x' });
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('<script>alert(1)</script>');
    expect(r.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('edit, enable/disable, delete', () => {
  it('edits only what changed, and re-renders on a refusal', async () => {
    const page = await admin.get('/dashboard/accounts/bitstamp/998877/edit');
    expect(inputValue(page.text, 'name')).toBe('live-one');
    const bad = await admin.post('/dashboard/accounts/bitstamp/998877/edit', { name: 'live-one', exchange_account_id: '998877', mode: 'paper', enabled: 'on' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'mode')).toContain('allowed: live');
    expect(services.accounts.get('bitstamp:998877').mode).toBe('live');
    const ok = await admin.post('/dashboard/accounts/bitstamp/998877/edit', { name: 'Live Renamed', exchange_account_id: '998877', mode: 'live', enabled: 'on' });
    expect(ok.status).toBe(303);
    expect(services.accounts.get('bitstamp:998877').name).toBe('Live Renamed');
    const last = services.audit.page({ limit: 1 })[0];
    expect(last?.payload).toEqual({ changes: { name: 'Live Renamed' } });
    expect(last?.actor).toBe('dashboard:admin');
  });

  it('require_confirmation is a switch of the edit form: on, shown checked, off again, each change audited', async () => {
    const form = async (): Promise<string> => /<form[^>]*id="account-form"[^>]*>([\s\S]*?)<\/form>/.exec((await admin.get('/dashboard/accounts/bitstamp/998877/edit')).text)?.[1] ?? '';
    expect(await form()).toMatch(/name="require_confirmation" role="switch"\s*>/);
    const base = { name: 'live-one', exchange_account_id: '998877', mode: 'live', enabled: 'on' };
    expect((await admin.post('/dashboard/accounts/bitstamp/998877/edit', { ...base, require_confirmation: 'on' })).status).toBe(303);
    expect(services.accounts.get('bitstamp:998877').require_confirmation).toBe(true);
    expect(services.audit.page({ limit: 1 })[0]?.payload).toEqual({ changes: { require_confirmation: true } });
    expect(await form()).toMatch(/name="require_confirmation" role="switch" checked/);
    // The form sends only what changed (an empty patch here); unchecked (absent) turns it off.
    const rows = services.audit.page({ limit: 1000 }).length;
    await admin.post('/dashboard/accounts/bitstamp/998877/edit', { ...base, require_confirmation: 'on' });
    expect(services.audit.page({ limit: 1000 }).length).toBe(rows + 1);
    expect(services.audit.page({ limit: 1 })[0]?.payload).toEqual({ changes: {} });
    await admin.post('/dashboard/accounts/bitstamp/998877/edit', base);
    expect(services.accounts.get('bitstamp:998877').require_confirmation).toBeUndefined();
    expect(services.audit.page({ limit: 1 })[0]?.payload).toEqual({ changes: { require_confirmation: false } });
  });

  it('the edit form carries every account form field (exchange read-only); another exchange is refused, not ignored', async () => {
    const page = await admin.get('/dashboard/accounts/bitstamp/998877/edit');
    const form = /<form[^>]*id="account-form"[^>]*>([\s\S]*?)<\/form>/.exec(page.text)?.[1] ?? '';
    for (const f of ['name', 'exchange', 'exchange_account_id', 'parent', 'mode', 'enabled', '_csrf']) expect(form, f).toContain(`name="${f}"`);
    expect(form).toMatch(/name="exchange" value="bitstamp" readonly/);
    const same = await admin.post('/dashboard/accounts/bitstamp/998877/edit', { name: 'live-one', exchange: 'bitstamp', exchange_account_id: '998877', mode: 'live', enabled: 'on' });
    expect(same.status).toBe(303);
    const auditRows = services.audit.page({ limit: 1000 }).length;
    const moved = await admin.post('/dashboard/accounts/bitstamp/998877/edit', { name: 'moved', exchange: 'paper', exchange_account_id: '998877', mode: 'live', enabled: 'on' });
    expect(moved.status).toBe(400);
    expect(fieldError(moved.text, 'exchange')).toContain('cannot be changed');
    expect(services.accounts.get('bitstamp:998877').name).toBe('live-one');
    expect(services.audit.page({ limit: 1000 }).length).toBe(auditRows);
  });

  it('disables and enables', async () => {
    expect((await admin.post('/dashboard/accounts/paper/p-77/disable')).status).toBe(303);
    expect(services.accounts.get('paper:p-77').enabled).toBe(false);
    const page = await admin.get('/dashboard');
    expect(page.text).toContain('action="/dashboard/accounts/paper/p-77/enable"');
    expect((await admin.post('/dashboard/accounts/paper/p-77/enable')).status).toBe(303);
    expect(services.accounts.get('paper:p-77').enabled).toBe(true);
  });

  it('asks for confirmation, refuses with open orders, deletes otherwise', async () => {
    await services.orders.place('paper:p-77', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '100' }, 'test');
    const confirm = await admin.get('/dashboard/accounts/paper/p-77/delete');
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('has 1 open order');
    const refused = await admin.post('/dashboard/accounts/paper/p-77/delete');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('has 1 open orders; cancel them first');
    expect(services.accounts.list().length).toBe(2);
    const ok = await admin.post('/dashboard/accounts/bitstamp/998877/delete');
    expect(ok.status).toBe(303);
    expect(services.accounts.list().map((a) => a.name)).toEqual(['paper-one']);
  });

  it('answers 404 for an unknown account', async () => {
    const r = await admin.get('/dashboard/accounts/bitstamp/nope/edit');
    expect(r.status).toBe(404);
    expect(r.text).toContain('ACCOUNT_NOT_FOUND');
  });
});

describe('credentials (write-only)', () => {
  const SECRET = 'PLANTED-SECRET-9f8e7d6c5b4a';
  it('stores them, shows only "set on <date>", never echoes key or secret', async () => {
    const missing = await admin.post('/dashboard/accounts/bitstamp/998877/credentials', { api_key: 'KEY-abc', api_secret: '' });
    expect(missing.status).toBe(400);
    expect(fieldError(missing.text, 'api_secret')).toBe('is required');
    expect(missing.text).not.toContain('KEY-abc');
    const ok = await admin.post('/dashboard/accounts/bitstamp/998877/credentials', { api_key: 'KEY-abcdef123', api_secret: SECRET });
    expect(ok.status).toBe(303);
    expect(services.secretsSeen).toContain(SECRET);
    const page = await admin.get('/dashboard/accounts/bitstamp/998877/credentials');
    expect(page.text).toMatch(/Credentials set on <strong>2026-01-15 12:00:00 UTC<\/strong>/);
    for (const path of ['/dashboard', '/dashboard/accounts/bitstamp/998877/credentials', '/dashboard/audit', '/dashboard/accounts/bitstamp/998877/edit']) {
      const p = await admin.get(path);
      expect(p.text).not.toContain(SECRET);
      expect(p.text).not.toContain('KEY-abcdef123');
    }
  });

  it("says what the exchange answered; a key of another user is refused beside the key field, nothing stored", async () => {
    services.accounts.setCredentialsChecked = async (ref, c, actor) => {
      if (c.api_key === 'KEY-of-someone-else')
        throw new DomainError('INVALID_ARGUMENT', 'the API key of bitstamp:998877 belongs to Bitstamp user 100001, not to this account; nothing was stored', { fields: ['api_key'] });
      services.accounts.setCredentials(ref, c, actor);
      return { verified: true, user_id: '998877', message: 'verified as user 998877' };
    };
    const refused = await admin.post('/dashboard/accounts/bitstamp/998877/credentials', { api_key: 'KEY-of-someone-else', api_secret: SECRET });
    expect(refused.status).toBe(400);
    expect(fieldError(refused.text, 'api_key')).toContain('belongs to Bitstamp user 100001');
    expect(refused.text).not.toContain(SECRET);
    expect(services.accounts.get('bitstamp:998877').has_credentials).toBe(false);
    const ok = await admin.post('/dashboard/accounts/bitstamp/998877/credentials', { api_key: 'KEY-abcdef123', api_secret: SECRET });
    expect(ok.status).toBe(303);
    expect((await admin.get('/dashboard')).text).toContain('Credentials of live-one (bitstamp:998877) saved; verified as user 998877.');
  });

  it('a paper account refuses credentials with a field message', async () => {
    const r = await admin.post('/dashboard/accounts/paper/p-77/credentials', { api_key: 'k', api_secret: SECRET });
    expect(r.status).toBe(400);
    expect(fieldError(r.text, 'api_key')).toContain('paper account');
    expect(r.text).not.toContain(SECRET);
  });
});

describe('risk limits and kill switches', () => {
  it('saves limits, refuses bad ones with field messages and keeps the old ones', async () => {
    const bad = await admin.post('/dashboard/accounts/paper/p-77/limits', { max_order_value: '1e5', max_open_orders: 'ten', allowed_markets: 'btcusd' });
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'max_open_orders')).toContain('whole number');
    expect(fieldError(bad.text, 'max_order_value')).toContain('decimal');
    expect(inputValue(bad.text, 'max_order_value')).toBe('1e5');
    expect(inputValue(bad.text, 'name')).toBe('paper-one'); // the other form on the page keeps its values
    expect(services.accounts.get('paper:p-77').limits).toEqual({});
    const ok = await admin.post('/dashboard/accounts/paper/p-77/limits', { max_order_value: '500', max_open_orders: '3', daily_notional: '', allowed_markets: 'BTCUSD, ethusd', kill_switch: 'on' });
    expect(ok.status).toBe(303);
    expect(services.accounts.get('paper:p-77').limits).toEqual({ max_order_value: '500', max_open_orders: 3, allowed_markets: ['btcusd', 'ethusd'], kill_switch: true });
    await expect(services.orders.place('paper:p-77', { market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '1' }, 't')).rejects.toMatchObject({ code: 'RISK_LIMIT' });
  });

  it('toggles the global kill switch', async () => {
    expect((await admin.post('/dashboard/kill-switch', { kill_switch: 'on' })).status).toBe(303);
    expect(services.accounts.globalKillSwitch()).toBe(true);
    expect((await admin.get('/dashboard')).text).toContain('Global kill switch ON');
    expect((await admin.post('/dashboard/kill-switch', { kill_switch: 'off' })).status).toBe(303);
    expect(services.accounts.globalKillSwitch()).toBe(false);
  });
});

describe('read pages', () => {
  it('accounts page: batch reads, fresh on every request (changes made elsewhere show at once)', async () => {
    let perAccountReads = 0;
    const { get } = services.accounts;
    const getBalances = services.balances.get;
    services.accounts.get = (ref) => (perAccountReads++, get(ref));
    services.balances.get = (ref, refresh) => (perAccountReads++, getBalances(ref, refresh));
    const row = (html: string, ref: string) => new RegExp(`<tr data-ref="${ref}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
    const first = await admin.get('/dashboard');
    expect(row(first.text, 'paper:p-77')).toContain('USD 1000, BTC 0.5');
    expect(row(first.text, 'bitstamp:998877')).toContain('not set');
    // As the CLI or a fill would: straight through the services, not through this web app.
    services.clock.advance(60_000);
    services.accounts.setCredentials('bitstamp:998877', { api_key: 'KEY0123456789', api_secret: 'SECRET0123456789' }, 'cli');
    services.accounts.setEnabled('paper:p-77', false, 'cli');
    services.addSnapshot('paper:p-77', [{ currency: 'USD', total: '750', available: '750', reserved: '0' }]);
    const next = await admin.get('/dashboard');
    expect(row(next.text, 'bitstamp:998877')).toContain('set on <span class="when">2026-01-15 12:01:00 UTC</span>');
    expect(row(next.text, 'paper:p-77')).toContain('USD 750');
    expect(row(next.text, 'paper:p-77')).toContain('>Enable</button>');
    expect(perAccountReads).toBe(0);
  });

  it('orders: filters by account, status and market', async () => {
    await services.orders.place('paper:p-77', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '100', client_order_id: 'first-order' }, 't');
    await services.orders.place('paper:p-77', { market: 'ethusd', side: 'sell', type: 'limit', amount: '1', price: '2000', client_order_id: 'second-order' }, 't');
    const all = await admin.get('/dashboard/orders');
    expect(all.text).toContain('first-order');
    expect(all.text).toContain('second-order');
    const eth = await admin.get('/dashboard/orders?market=ETHUSD&account=paper%3Ap-77&status=open');
    expect(eth.text).not.toContain('first-order');
    expect(eth.text).toContain('second-order');
    const closed = await admin.get('/dashboard/orders?status=filled');
    expect(closed.text).toContain('No orders match.');
    const bad = await admin.get('/dashboard/orders?status=bogus');
    expect(bad.text).toContain('status must be one of');
  });

  it('balances: table + chart data + local scripts', async () => {
    services.clock.advance(3_600_000);
    services.addSnapshot('paper:p-77', [{ currency: 'USD', total: '900', available: '900', reserved: '0' }]);
    const r = await admin.get('/dashboard/accounts/paper/p-77/balances');
    expect(r.status).toBe(200);
    expect(r.text).toContain('<script src="/static/uplot.iife.min.js"></script>');
    const json = /<script type="application\/json" id="balance-data">([^<]*)<\/script>/.exec(r.text)?.[1] ?? '';
    const data = JSON.parse(json) as { currencies: { currency: string; points: [number, number][] }[] };
    expect(data.currencies.find((c) => c.currency === 'USD')?.points.map((p) => p[1])).toEqual([1000, 900]);
    const js = await fetch(`${web.base}/static/uplot.iife.min.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
  });

  it('audit: newest first, paged', async () => {
    for (let i = 0; i < 60; i++) await admin.post('/dashboard/kill-switch', { kill_switch: i % 2 === 0 ? 'on' : 'off' });
    const first = await admin.get('/dashboard/audit');
    const seqs = [...first.text.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(seqs.length).toBe(50);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const older = /href="\/dashboard\/audit\?before=(\d+)"/.exec(first.text)?.[1];
    expect(Number(older)).toBe(seqs[49]);
    const second = await admin.get(`/dashboard/audit?before=${older}`);
    const seqs2 = [...second.text.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(Math.max(...seqs2)).toBeLessThan(Number(older));
  });

  it('status: connections, metadata and "refresh now"', async () => {
    const page = await admin.get('/dashboard/status');
    expect(page.text).toContain('bitstamp:998877');
    // The stream's subscribed channel count, per account.
    expect(page.text).toMatch(/<td>bitstamp:998877<\/td>.*?<td class="num">6<\/td>/s);
    expect(page.text).toContain('bundled-snapshot');
    const r = await admin.post('/dashboard/status/refresh', { exchange: 'bitstamp' });
    expect(r.status).toBe(303);
    expect((await admin.get('/dashboard/status')).text).toContain('bitstamp metadata refreshed');
    const bad = await admin.post('/dashboard/status/refresh', { exchange: 'nope' });
    expect(bad.status).toBe(400);
  });
});

describe('health and metrics', () => {
  it('/healthz, /readyz (200/503 with checks), /metrics', async () => {
    expect(await (await fetch(`${web.base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${web.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { db: true }, metadata: [{ exchange: 'bitstamp' }] });
    const metrics = await fetch(`${web.base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('exec_mcp_http_requests_total{route="/healthz",status="200"} 1');

    const notReady = await startWeb(services, { ready: () => ({ ready: false, checks: { actors_hydrated: false } }) });
    try {
      const r = await fetch(`${notReady.base}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: 'not_ready', checks: { actors_hydrated: false } });
    } finally {
      await notReady.close();
    }
  });
});
