/**
 * Test helpers for the dashboard: start a web app on 127.0.0.1:0 and talk to it with fetch,
 * keeping cookies like a browser would (supertest is not installed).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { ManualClock } from '../../src/domain/clock.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { Services } from '../../src/services/ports.ts';
import { createWebApp, type WebAppDeps } from '../../src/web/app.ts';
import { hashPassword } from '../../src/web/password.ts';

export const ADMIN_PASSWORD = 'correct horse battery staple';
/** Cheap scrypt cost for tests; production uses the default cost. */
export const TEST_PASSWORD_HASH = hashPassword(ADMIN_PASSWORD, { N: 1024, r: 8, p: 1 });

export interface RunningWeb {
  app: Koa;
  server: Server;
  base: string;
  close(): Promise<void>;
}

export async function startWeb(services: Services, extra: Partial<WebAppDeps> = {}): Promise<RunningWeb> {
  const app = createWebApp({
    services,
    metricsRegistry: createMetrics({ defaultMetrics: false }).registry,
    logger: silentLogger(),
    adminPasswordHash: TEST_PASSWORD_HASH,
    sessionKeys: ['test-session-key-0123456789'],
    clock: new ManualClock(),
    ...extra,
  });
  return listen(app);
}

export async function listen(app: Koa): Promise<RunningWeb> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    server,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * A cookie-keeping client. `csrf` is the latest token seen in a page. `sendHeaders` go with every
 * request (e.g. the X-Forwarded-* headers a reverse proxy would add).
 */
export class WebClient {
  private readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(
    readonly base: string,
    readonly sendHeaders: Record<string, string> = {},
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = (pair ?? '').indexOf('=');
      if (i > 0) this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  }

  async request(method: string, path: string, body?: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
    const init: RequestInit = { method, redirect: 'manual', headers: { ...this.sendHeaders, ...headers, ...(this.cookies.size ? { cookie: this.cookieHeader } : {}) } };
    if (body !== undefined) {
      init.body = new URLSearchParams(body).toString();
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + path, init);
    this.remember(res);
    const text = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, headers: res.headers, text };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, undefined, headers);
  }

  /** POST a form; the CSRF token is added unless `withCsrf` is false. */
  post(path: string, fields: Record<string, string> = {}, withCsrf = true): Promise<Reply> {
    return this.request('POST', path, withCsrf && this.csrf ? { _csrf: this.csrf, ...fields } : fields);
  }

  async login(password = ADMIN_PASSWORD): Promise<Reply> {
    await this.get('/login');
    const r = await this.post('/login', { password });
    await this.get('/dashboard'); // picks up a token for the logged-in session
    return r;
  }
}
