import type { IncomingMessage, ServerResponse } from 'node:http';
import Koa from 'koa';
import type { Middleware } from 'koa';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Services } from '../services/ports.ts';
import { EndedSessions, LoginRateLimiter, isLoggedIn, refuseEndedSessions, requireLogin, takeFlash } from './auth.ts';
import { controlMount } from './control.ts';
import { errorMiddleware } from './errors.ts';
import { hostGuard } from './host-guard.ts';
import { healthRouter, type ReadyReport } from './health.ts';
import { isPasswordHash } from './password.ts';
import { SESSION_MAX_AGE_MS, csrfMiddleware, ignoreForwardedHost, requireHttps, securityHeaders, sessionMiddleware, trustSingleProxy } from './security.ts';
import { staticAssets } from './static.ts';
import { createViewEnvironment, viewsMiddleware, DEFAULT_VIEWS_DIR } from './views.ts';
import { accountRoutes } from './routes/accounts.ts';
import { accountSettingsRoutes } from './routes/account-settings.ts';
import { auditRoutes } from './routes/audit.ts';
import { balanceRoutes } from './routes/balances.ts';
import { landingRoutes } from './routes/landing.ts';
import { orderRoutes } from './routes/orders.ts';
import { orderPageRoutes } from './routes/order-page.ts';
import { fillRoutes } from './routes/fills.ts';
import { sessionRoutes } from './routes/session.ts';
import { statusRoutes } from './routes/status.ts';

/** The MCP Streamable HTTP endpoint (src/mcp): it reads the raw request and does its own bearer auth. */
export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
}

export interface WebAppDeps {
  services: Services;
  metricsRegistry: Registry;
  logger: Logger;
  /** From hashPassword() in ./password.ts (scrypt$N$r$p$salt$hash). */
  adminPasswordHash: string;
  /** Cookie-signing keys, newest first (16+ characters each). */
  sessionKeys: string[];
  mcpHandler?: McpHttpHandler;
  /** Bearer token of the operator control endpoint (/control/*, src/web/control.ts); unset: no endpoint. */
  controlToken?: string;
  /** /readyz; defaults to services.status.ready(). */
  ready?: () => ReadyReport;
  clock?: Clock;
  /**
   * Mark the session cookie Secure (only when served over HTTPS) and send HSTS; dashboard requests
   * that did not arrive as HTTPS then get 403 with the fix (X-Forwarded-Proto) instead of a session.
   */
  secureCookies?: boolean;
  /**
   * Exactly one reverse proxy is in front: trust its X-Forwarded-Proto and the last X-Forwarded-For
   * hop (ctx.ip, the login rate-limit key). X-Forwarded-Host is never trusted (ignoreForwardedHost).
   */
  trustProxy?: boolean;
  /** Host header names the service answers to (others get 421); unset: any (bound to a public address). */
  allowedHost?: (hostname: string) => boolean;
  /** Failed logins per address per window before 429 (default 5 per 60 s). */
  loginRateLimit?: { maxFailures: number; windowMs: number };
  viewsDir?: string;
}

const MCP_METHODS = new Set(['POST', 'GET', 'DELETE']);
const ROUTERS = new WeakMap<Koa, Router[]>();

/** Every dashboard/health router of an app, e.g. for the test that walks all state-changing routes. */
export function routersOf(app: Koa): Router[] {
  return ROUTERS.get(app) ?? [];
}

function mcpMount(handler: McpHttpHandler, logger: Logger): Middleware {
  // Mounted before body parsing, sessions and CSRF: the MCP transport owns the raw request.
  return async function mcp(ctx, next) {
    if (ctx.path !== '/mcp' || !MCP_METHODS.has(ctx.method)) return next();
    ctx.respond = false;
    try {
      await handler.handle(ctx.req, ctx.res);
    } catch (e) {
      logger.error({ err: e }, 'MCP HTTP handler failed');
      if (!ctx.res.headersSent) {
        ctx.res.writeHead(500, { 'content-type': 'application/json' });
        ctx.res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null }));
      } else if (!ctx.res.writableEnded) ctx.res.end();
    }
  };
}

function requestMetrics(registry: Registry): Middleware {
  const counter = registry.getSingleMetric('exec_mcp_http_requests_total');
  const inc = counter && 'inc' in counter ? (labels: Record<string, string>) => (counter as { inc: (l: Record<string, string>) => void }).inc(labels) : undefined;
  return async function countRequests(ctx, next) {
    try {
      await next();
    } finally {
      if (inc) {
        const matched = (ctx as unknown as { _matchedRoute?: string | RegExp })._matchedRoute;
        const route = typeof matched === 'string' ? matched : ctx.path === '/mcp' ? '/mcp' : ctx.path.startsWith('/static/') ? '/static' : 'unmatched';
        inc({ route, status: String(ctx.status) });
      }
    }
  };
}

/** Per-request values every page layout reads. */
function pageState(): Middleware {
  return async function pageLocals(ctx, next) {
    ctx.state['logged_in'] = isLoggedIn(ctx);
    ctx.state['path'] = ctx.path;
    if (ctx.method === 'GET') ctx.state['flash'] = takeFlash(ctx);
    await next();
  };
}

/**
 * The HTTP server of `serve`: dashboard (server-rendered, works without JavaScript), health and
 * metrics endpoints, and the MCP endpoint at /mcp when a handler is given.
 * Middleware order matters: MCP first (raw), then headers, the operator control endpoint (bearer), views, errors, static assets and
 * health (no session), then (Secure cookies only) the HTTPS gate (403 with the fix: no session over
 * plain HTTP), then session (logged-out ones refused) -> body -> login gate (401) -> CSRF (403) -> routes.
 */
export function createWebApp(deps: WebAppDeps): Koa {
  if (!isPasswordHash(deps.adminPasswordHash)) throw new Error('adminPasswordHash must come from hashPassword() (scrypt$N$r$p$salt$hash)');
  const clock = deps.clock ?? systemClock;
  const secure = deps.secureCookies ?? false;
  const viewsDir = deps.viewsDir ?? DEFAULT_VIEWS_DIR;
  const app = new Koa();
  app.silent = true; // errors are logged by errorMiddleware, never printed to stdout
  if (deps.trustProxy) trustSingleProxy(app);
  const routeDeps = { services: deps.services, clock, logger: deps.logger };
  const limiter = new LoginRateLimiter(clock, deps.loginRateLimit?.maxFailures ?? 5, deps.loginRateLimit?.windowMs ?? 60_000);
  const ended = new EndedSessions(clock, SESSION_MAX_AGE_MS, undefined, deps.services.sessions);

  const health = healthRouter({ ready: deps.ready ?? (() => deps.services.status.ready()), status: deps.services.status, registry: deps.metricsRegistry });
  const routers: Router[] = [
    landingRoutes(),
    sessionRoutes({ adminPasswordHash: deps.adminPasswordHash, limiter, ended, logger: deps.logger, clock }),
    accountRoutes(routeDeps),
    accountSettingsRoutes(routeDeps),
    orderRoutes(routeDeps),
    orderPageRoutes(routeDeps),
    fillRoutes(routeDeps),
    balanceRoutes(routeDeps),
    auditRoutes(routeDeps),
    statusRoutes(routeDeps),
  ];
  ROUTERS.set(app, [health, ...routers]);

  if (deps.trustProxy) app.use(ignoreForwardedHost());
  if (deps.allowedHost) app.use(hostGuard(deps.allowedHost));
  app.use(requestMetrics(deps.metricsRegistry));
  if (deps.mcpHandler) app.use(mcpMount(deps.mcpHandler, deps.logger));
  app.use(securityHeaders(secure));
  // Bearer-authenticated JSON like /mcp: before sessions, body parsing and CSRF.
  if (deps.controlToken) app.use(controlMount({ services: deps.services, token: deps.controlToken, logger: deps.logger }));
  app.use(viewsMiddleware(createViewEnvironment(viewsDir), viewsDir));
  app.use(errorMiddleware(deps.logger));
  app.use(staticAssets());
  app.use(health.routes());
  if (secure) app.use(requireHttps(deps.logger, clock));
  app.use(sessionMiddleware(app, deps.sessionKeys, secure));
  app.use(refuseEndedSessions(ended));
  app.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '64kb', jsonLimit: '64kb' }));
  app.use(async (ctx, next) => {
    if (ctx.request.body === undefined) ctx.request.body = {};
    await next();
  });
  app.use(requireLogin('/dashboard'));
  app.use(csrfMiddleware());
  app.use(pageState());
  for (const r of routers) app.use(r.routes());
  return app;
}
