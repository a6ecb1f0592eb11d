import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.ts';
import { routersOf } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/password.ts';
import { createFakeServices, type FakeServices } from './web-fake-services.ts';
import { ADMIN_PASSWORD, WebClient, listen, startWeb, type RunningWeb } from './web-harness.ts';

const STATE_CHANGING = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** Values for every route parameter; a route with a new parameter fails here until it is added. */
const PARAMS: Record<string, string> = { exchange: 'paper', exchange_account_id: 'p-77', order_id: '01TESTORDER' };

function seed(services: FakeServices): void {
  services.accounts.create({ name: 'paper-one', exchange: 'paper', exchange_account_id: 'p-77', initial_balances: { USD: '1000' } }, 'test');
  services.accounts.create({ name: 'live-one', exchange: 'bitstamp', exchange_account_id: '998877' }, 'test');
}

/** Every state-changing route of the app, read from the @koa/router instances themselves. */
function stateChangingRoutes(web: RunningWeb): { method: string; path: string; template: string }[] {
  const out: { method: string; path: string; template: string }[] = [];
  for (const router of routersOf(web.app)) {
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string') throw new Error(`regexp route ${String(layer.path)}: give it a string path so it can be tested`);
      for (const method of layer.methods.filter((m) => STATE_CHANGING.includes(m))) {
        const path = layer.path.replace(/:(\w+)/g, (_m, name: string) => {
          const v = PARAMS[name];
          if (v === undefined) throw new Error(`route ${layer.path} has parameter :${name}; add a value to PARAMS`);
          return encodeURIComponent(v);
        });
        out.push({ method, path, template: layer.path });
      }
    }
  }
  return out;
}

describe('every state-changing route refuses requests without a session or CSRF token', () => {
  let services: FakeServices;
  let web: RunningWeb;
  let routes: ReturnType<typeof stateChangingRoutes>;

  beforeAll(async () => {
    services = createFakeServices();
    seed(services);
    web = await startWeb(services);
    routes = stateChangingRoutes(web);
  });
  afterAll(() => web.close());

  it('finds the routes (the enumeration is not empty or partial)', () => {
    const templates = routes.map((r) => `${r.method} ${r.template}`);
    for (const expected of [
      'POST /login',
      'POST /logout',
      'POST /dashboard/accounts',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/edit',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/delete',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/enable',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/disable',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/credentials',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/limits',
      'POST /dashboard/kill-switch',
      'POST /dashboard/status/refresh',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/orders/:order_id/cancel',
      'POST /dashboard/accounts/:exchange/:exchange_account_id/cancel-open-orders',
    ])
      expect(templates).toContain(expected);
  });

  it('without a session: 401 on /dashboard/*, 403 elsewhere; nothing changes', async () => {
    const auditBefore = services.audit.page({ limit: 1000 }).length;
    for (const r of routes) {
      const anon = new WebClient(web.base);
      const res = await anon.request(r.method, r.path, { name: 'x', exchange: 'paper', exchange_account_id: 'zz', api_key: 'k', api_secret: 's', kill_switch: 'on', exchange_: 'bitstamp', password: ADMIN_PASSWORD });
      const expected = r.path.startsWith('/dashboard') ? 401 : 403;
      expect(res.status, `${r.method} ${r.path}`).toBe(expected);
    }
    expect(services.audit.page({ limit: 1000 }).length).toBe(auditBefore);
    expect(services.accounts.globalKillSwitch()).toBe(false);
  });

  it('with a logged-in session but no or a foreign CSRF token: 403; nothing changes', async () => {
    const admin = new WebClient(web.base);
    await admin.login();
    const other = new WebClient(web.base);
    await other.login();
    const foreignToken = other.csrf ?? '';
    expect(foreignToken).not.toBe('');
    const auditBefore = services.audit.page({ limit: 1000 }).length;
    for (const r of routes) {
      const fields = { name: 'renamed', exchange: 'paper', exchange_account_id: 'zz', kill_switch: 'on', exchange_: 'bitstamp' };
      const none = await admin.request(r.method, r.path, fields);
      expect(none.status, `${r.method} ${r.path} without token`).toBe(403);
      const foreign = await admin.request(r.method, r.path, { ...fields, _csrf: foreignToken });
      expect(foreign.status, `${r.method} ${r.path} with another session's token`).toBe(403);
      const header = await admin.request(r.method, r.path, fields, { 'x-csrf-token': 'not-a-token' });
      expect(header.status, `${r.method} ${r.path} with a bad header token`).toBe(403);
    }
    expect(services.audit.page({ limit: 1000 }).length).toBe(auditBefore);
    expect(services.accounts.list().map((a) => a.name).sort()).toEqual(['live-one', 'paper-one']);
  });

  it('positive control: each route accepts the same request with a session and its token', async () => {
    for (const r of routes) {
      const s = createFakeServices();
      seed(s);
      const w = await startWeb(s);
      try {
        const c = new WebClient(w.base);
        await c.login();
        const res = await c.post(r.path, r.path === '/login' ? { password: ADMIN_PASSWORD } : {});
        expect([401, 403], `${r.method} ${r.path} -> ${res.status}`).not.toContain(res.status);
      } finally {
        await w.close();
      }
    }
  });
});

describe('session cookie and headers', () => {
  it('sets HttpOnly + SameSite=Strict, and Secure when asked (behind TLS)', async () => {
    const plain = await startWeb(createFakeServices());
    try {
      const res = await fetch(`${plain.base}/login`);
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) {
        expect(c.toLowerCase()).toContain('httponly');
        expect(c.toLowerCase()).toContain('samesite=strict');
        expect(c.toLowerCase()).not.toContain('secure');
      }
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      await plain.close();
    }
    const secureWeb = await startWeb(createFakeServices(), { secureCookies: true });
    secureWeb.app.proxy = true; // TLS ends at a proxy in front of us
    try {
      const res = await fetch(`${secureWeb.base}/login`, { headers: { 'x-forwarded-proto': 'https' } });
      for (const c of res.headers.getSetCookie()) expect(c.toLowerCase()).toMatch(/;\s*secure/);
      expect(res.headers.get('strict-transport-security')).toBeTruthy();
    } finally {
      await secureWeb.close();
    }
  });
});

describe('login', () => {
  let web: RunningWeb;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock();
    web = await startWeb(createFakeServices(), { clock });
  });
  afterAll(() => web.close());

  it('sends a page request without session to /login and back after logging in', async () => {
    const c = new WebClient(web.base);
    const r = await c.get('/dashboard/orders');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/login?next=%2Fdashboard%2Forders');
    await c.get('/login?next=%2Fdashboard%2Forders');
    const ok = await c.request('POST', '/login?next=%2Fdashboard%2Forders', { _csrf: c.csrf ?? '', password: ADMIN_PASSWORD });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/dashboard/orders');
    expect((await c.get('/dashboard/orders')).status).toBe(200);
  });

  it('never redirects off-site after login', async () => {
    const c = new WebClient(web.base);
    await c.get('/login');
    const r = await c.request('POST', '/login?next=' + encodeURIComponent('//evil.example/dashboard'), { _csrf: c.csrf ?? '', password: ADMIN_PASSWORD });
    expect(r.headers.get('location')).toBe('/dashboard');
  });

  it('keeps a post-login target inside /dashboard (no dot segments, plain or percent-encoded)', async () => {
    for (const next of ['/dashboard/%2e%2e/%2e%2e/metrics', '/dashboard/%2E%2E/x', '/dashboard/../healthz', '/dashboard/./%2e']) {
      const c = new WebClient(web.base);
      await c.get('/login');
      const r = await c.request('POST', '/login?next=' + encodeURIComponent(next), { _csrf: c.csrf ?? '', password: ADMIN_PASSWORD });
      expect(r.headers.get('location'), next).toBe('/dashboard');
    }
  });

  it('rejects a wrong password with 401, locks the address out after 5 failures a minute, then lets it in again', async () => {
    const c = new WebClient(web.base);
    await c.get('/login');
    for (let i = 0; i < 5; i++) {
      const r = await c.post('/login', { password: `wrong-${i}` });
      expect(r.status).toBe(401);
      expect(r.text).toContain('Wrong password.');
    }
    const locked = await c.post('/login', { password: ADMIN_PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await c.get('/dashboard')).status).toBe(302); // still not logged in
    clock.advance(61_000);
    const ok = await c.post('/login', { password: ADMIN_PASSWORD });
    expect(ok.status).toBe(303);
    expect((await c.get('/dashboard')).status).toBe(200);
  });

  it('logout ends the session', async () => {
    const c = new WebClient(web.base);
    await c.login();
    expect((await c.get('/dashboard')).status).toBe(200);
    const out = await c.post('/logout');
    expect(out.status).toBe(303);
    expect((await c.get('/dashboard')).status).toBe(302);
  });

  it('logout also ends copies of the session cookie taken before it', async () => {
    const c = new WebClient(web.base);
    await c.login();
    const stolen = c.cookieHeader;
    const other = new WebClient(web.base);
    await other.login(); // another login stays valid
    expect((await c.post('/logout')).status).toBe(303);
    const replay = await fetch(`${web.base}/dashboard`, { headers: { cookie: stolen }, redirect: 'manual' });
    expect(replay.status).toBe(302);
    const post = await fetch(`${web.base}/dashboard/kill-switch`, { method: 'POST', headers: { cookie: stolen, 'content-type': 'application/x-www-form-urlencoded' }, body: 'kill_switch=on', redirect: 'manual' });
    expect(post.status).toBe(401);
    expect((await other.get('/dashboard')).status).toBe(200);
  });
});

describe('login rate limit under parallel guessing', () => {
  it('checks at most 5 passwords per address and minute even when the guesses arrive at once', async () => {
    // Production scrypt cost: each check takes long enough that the guesses overlap.
    const web = await startWeb(createFakeServices(), { adminPasswordHash: hashPassword(ADMIN_PASSWORD) });
    try {
      const c = new WebClient(web.base);
      await c.get('/login');
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.post('/login', { password: `guess-${i}` })));
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      // The right password is refused too while the address is locked out.
      expect((await c.post('/login', { password: ADMIN_PASSWORD })).status).toBe(429);
    } finally {
      await web.close();
    }
  });
});

describe('MCP mount', () => {
  it('hands GET/POST/DELETE /mcp to the MCP handler untouched: no session, no CSRF, body unread', async () => {
    const seen: { method: string; body: string; cookie: boolean }[] = [];
    const web = await startWeb(createFakeServices(), {
      mcpHandler: {
        async handle(req, res) {
          let body = '';
          for await (const chunk of req) body += String(chunk);
          seen.push({ method: req.method ?? '', body, cookie: res.getHeader('set-cookie') !== undefined });
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        },
      },
    });
    try {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const res = await fetch(`${web.base}/mcp`, { method, ...(method === 'POST' ? { body: '{"jsonrpc":"2.0"}', headers: { 'content-type': 'application/json' } } : {}) });
        expect(res.status).toBe(202);
        expect(res.headers.getSetCookie()).toEqual([]);
      }
      expect(seen.map((s) => s.method)).toEqual(['POST', 'GET', 'DELETE']);
      expect(seen[0]?.body).toBe('{"jsonrpc":"2.0"}');
    } finally {
      await web.close();
    }
  });

  it('answers 500 JSON-RPC when the handler throws before responding', async () => {
    const web = await startWeb(createFakeServices(), { mcpHandler: { handle: async () => { throw new Error('boom'); } } });
    try {
      const res = await fetch(`${web.base}/mcp`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: -32603 } });
    } finally {
      await web.close();
    }
  });
});

// listen() is used by other suites; keep the import honest here.
void listen;

describe('Host header (DNS rebinding) when bound to loopback', () => {
  it('answers loopback names and refuses any other Host with 421', async () => {
    const http = await import('node:http');
    const { isLoopbackHost } = await import('../../src/config.ts');
    const services = createFakeServices(new ManualClock(Date.UTC(2026, 0, 15, 12)));
    const web = await startWeb(services, { allowedHost: isLoopbackHost });
    const port = new URL(web.base).port;
    const get = (host: string, p = '/healthz') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: p, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    try {
      for (const ok of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) expect((await get(ok)).status, ok).toBe(200);
      for (const bad of [`evil.example:${port}`, 'rebind.attacker.test', `192.168.1.5:${port}`]) {
        for (const p of ['/healthz', '/metrics', '/login', '/dashboard']) {
          const r = await get(bad, p);
          expect(r.status, `${bad} ${p}`).toBe(421);
          expect(r.body).toMatch(/misdirected request/);
        }
      }
    } finally {
      await web.close();
    }
  });
});
