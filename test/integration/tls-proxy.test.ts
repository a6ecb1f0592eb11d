/**
 * The dashboard behind one TLS-terminating reverse proxy (EXEC_MCP_BEHIND_TLS_PROXY): Secure
 * cookie + HSTS when the proxy says https, the login rate limit keyed by the address the proxy
 * appended (not by what the client put before it), a clear 403 (not a 500) when the proxy forgets
 * X-Forwarded-Proto, and nothing changed when the setting is off. Real HTTP on 127.0.0.1.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { SESSION_COOKIE } from '../../src/web/security.ts';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';
import { createFakeServices } from './web-fake-services.ts';
import { ADMIN_PASSWORD, startWeb, WebClient, type RunningWeb } from './web-harness.ts';

const HTTPS = { 'x-forwarded-proto': 'https' };
/** What nginx sends with `$proxy_add_x_forwarded_for`: the client's own header, then the peer address. */
const viaProxy = (clientSent: string | undefined, peer: string) => ({ ...HTTPS, 'x-forwarded-for': clientSent === undefined ? peer : `${clientSent}, ${peer}` });

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines };
}

function sessionCookie(headers: Headers): string | undefined {
  return headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

/** Raw request, so the Host header can be chosen (fetch does not let a caller set it). */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('behind a TLS proxy (secureCookies + trustProxy)', () => {
  let web: RunningWeb;
  let clock: ManualClock;
  let log: ReturnType<typeof capturingLogger>;
  beforeAll(async () => {
    clock = new ManualClock();
    log = capturingLogger();
    web = await startWeb(createFakeServices(), { clock, logger: log.logger, secureCookies: true, trustProxy: true, allowedHost: isLoopbackHost });
  });
  afterAll(() => web.close());

  it('X-Forwarded-Proto https: the login cookie is Secure; HttpOnly; SameSite=Strict, with HSTS and upgrade-insecure-requests', async () => {
    const c = new WebClient(web.base, viaProxy(undefined, '198.51.100.1'));
    const page = await c.get('/login');
    expect(page.status).toBe(200);
    expect(page.headers.get('strict-transport-security')).toBe('max-age=15552000; includeSubDomains');
    expect(page.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    const r = await c.post('/login', { password: ADMIN_PASSWORD });
    expect(r.status).toBe(303);
    const cookie = sessionCookie(r.headers);
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*secure(;|$)/i);
    expect(cookie).toMatch(/;\s*httponly(;|$)/i);
    expect(cookie).toMatch(/;\s*samesite=strict(;|$)/i);
    const dash = await c.get('/dashboard');
    expect(dash.status).toBe(200);
    expect(dash.headers.get('strict-transport-security')).toBeTruthy();
  });

  it('the rate limiter counts the address the proxy appended, whatever X-Forwarded-For the client sent before it', async () => {
    const peer = '203.0.113.7';
    const a = new WebClient(web.base, viaProxy('10.1.1.1', peer));
    const b = new WebClient(web.base, viaProxy('10.2.2.2, 10.3.3.3', peer));
    await a.get('/login');
    await b.get('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await (i % 2 === 0 ? a : b).post('/login', { password: `wrong-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // The 6th failure is refused for both spoofed prefixes, even with the right password.
    expect((await a.post('/login', { password: 'wrong-6' })).status).toBe(429);
    expect((await b.post('/login', { password: ADMIN_PASSWORD })).status).toBe(429);
    const c = new WebClient(web.base, viaProxy(undefined, peer)); // no client header at all
    await c.get('/login');
    expect((await c.post('/login', { password: ADMIN_PASSWORD })).status).toBe(429);
    // Positive control: another address appended by the proxy is not locked out (the key is not constant).
    const other = new WebClient(web.base, viaProxy('203.0.113.7', '203.0.113.8'));
    await other.get('/login');
    expect((await other.post('/login', { password: 'wrong' })).status).toBe(401);
  });

  it('without X-Forwarded-Proto https: a clear 403 naming the header, no cookie, no stack, one log line a minute', async () => {
    const before = log.lines.length;
    for (const headers of [{}, { 'x-forwarded-proto': 'http' }, { 'x-forwarded-for': '198.51.100.9' }] as Record<string, string>[]) {
      const c = new WebClient(web.base, headers);
      for (const r of [await c.get('/login'), await c.post('/login', { password: ADMIN_PASSWORD }, false), await c.get('/')]) {
        expect(r.status).toBe(403);
        expect(r.text).toContain('X-Forwarded-Proto: https');
        expect(r.text).not.toMatch(/internal error/i);
        expect(r.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
        expect(r.text).not.toContain(ADMIN_PASSWORD);
        expect(r.headers.getSetCookie()).toEqual([]);
      }
    }
    // JSON clients get the same message.
    const json = await fetch(`${web.base}/login`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(403);
    expect(((await json.json()) as { error: { message: string } }).error.message).toMatch(/X-Forwarded-Proto: https/);

    const warned = log.lines.slice(before).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(warned).toHaveLength(1);
    expect(warned[0]!.level).toBe(40);
    expect(warned[0]!.msg).toMatch(/EXEC_MCP_BEHIND_TLS_PROXY.*X-Forwarded-Proto: https/);
    expect(log.lines.join('\n')).not.toMatch(/Cannot send secure cookie|"level":50/);
    expect(log.lines.join('\n')).not.toContain(ADMIN_PASSWORD);
    clock.advance(60_000);
    await new WebClient(web.base).get('/login');
    expect(log.lines.length - before).toBe(2);
  });

  it('a cookie from an https session is not renewed over plain http either', async () => {
    const c = new WebClient(web.base, viaProxy(undefined, '198.51.100.2'));
    await c.login();
    const plain = await fetch(`${web.base}/dashboard`, { headers: { cookie: c.cookieHeader }, redirect: 'manual' });
    expect(plain.status).toBe(403);
    expect(plain.headers.getSetCookie()).toEqual([]);
  });

  it('health, metrics and static assets still answer direct plain-http requests', async () => {
    expect((await fetch(`${web.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${web.base}/metrics`)).status).toBe(200);
    expect((await fetch(`${web.base}/static/app.css`)).status).toBe(200);
  });

  it('the Host guard reads Host, never X-Forwarded-Host (a rebinding page can set that header)', async () => {
    const { port } = new URL(web.base);
    expect(await rawGet(web.base, '/healthz', { host: 'evil.example', 'x-forwarded-host': '127.0.0.1' })).toBe(421);
    expect(await rawGet(web.base, '/healthz', { host: `127.0.0.1:${port}`, 'x-forwarded-host': 'evil.example' })).toBe(200);
    expect(await rawGet(web.base, '/login', { host: `localhost:${port}`, ...HTTPS })).toBe(200);
  });
});

describe('setting off (default): nothing changes', () => {
  let web: RunningWeb;
  beforeAll(async () => {
    web = await startWeb(createFakeServices(), { clock: new ManualClock() });
  });
  afterAll(() => web.close());

  it('no Secure, no HSTS, no upgrade-insecure-requests, X-Forwarded-Proto ignored and not required', async () => {
    for (const headers of [{}, HTTPS]) {
      const c = new WebClient(web.base, headers);
      const page = await c.get('/login');
      expect(page.status).toBe(200);
      expect(page.headers.get('strict-transport-security')).toBeNull();
      expect(page.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
      const r = await c.post('/login', { password: ADMIN_PASSWORD });
      expect(r.status).toBe(303);
      const cookie = sessionCookie(r.headers);
      expect(cookie).toMatch(/;\s*httponly/i);
      expect(cookie).not.toMatch(/;\s*secure(;|$)/i);
    }
  });

  it('X-Forwarded-For is ignored: different values from the same socket share one rate-limit key', async () => {
    const clients = [0, 1, 2, 3, 4, 5].map((i) => new WebClient(web.base, { 'x-forwarded-for': `10.0.0.${i + 1}` }));
    for (const c of clients) await c.get('/login');
    for (let i = 0; i < 5; i++) expect((await clients[i]!.post('/login', { password: 'wrong' })).status).toBe(401);
    expect((await clients[5]!.post('/login', { password: ADMIN_PASSWORD })).status).toBe(429);
  });
});

describe('exec-mcp serve with EXEC_MCP_BEHIND_TLS_PROXY=1 (child process: config -> main -> web app)', () => {
  const svc = new ServiceProcess({ dataDir: tempDir('exec-mcp-tls-proxy-'), env: { EXEC_MCP_BEHIND_TLS_PROXY: '1' } });
  beforeAll(() => svc.start(), 90_000);
  afterAll(async () => {
    await svc.stop();
    fs.rmSync(svc.dataDir, { recursive: true, force: true });
  });

  it('Secure cookie and HSTS through the proxy headers; plain http gets the 403 and the log says how to fix it', async () => {
    const c = new WebClient(svc.baseUrl, viaProxy('10.9.9.9', '198.51.100.3'));
    const r = await c.login(svc.adminPassword);
    expect(r.status).toBe(303);
    expect(sessionCookie(r.headers)).toMatch(/;\s*secure(;|$)/i);
    expect(r.headers.get('strict-transport-security')).toBeTruthy();
    const plain = await new WebClient(svc.baseUrl).get('/login');
    expect(plain.status).toBe(403);
    expect(plain.headers.getSetCookie()).toEqual([]);
    const deadline = Date.now() + 5_000;
    while (!/X-Forwarded-Proto: https/.test(svc.stderr) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(svc.stderr).toMatch(/"level":40.*EXEC_MCP_BEHIND_TLS_PROXY.*X-Forwarded-Proto: https/);
    expect(svc.errorLogLines()).toEqual([]);
    expect(svc.stderr).not.toContain(svc.adminPassword);
  }, 30_000);
});
