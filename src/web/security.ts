import type Koa from 'koa';
import type { Middleware } from 'koa';
import session from 'koa-session';
import CSRF from 'koa-csrf';
import helmet from 'koa-helmet';
import type { Clock } from '../domain/clock.ts';
import { CookieSigner } from './cookie-signer.ts';
import type { Logger } from '../observability/logger.ts';

export const SESSION_COOKIE = 'exec_mcp_session';
export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

/** Signed cookie session: HttpOnly, SameSite=Strict, Secure when served over TLS (CONTRACT.md "HTTP"). */
export function sessionMiddleware(app: Koa, keys: string[], secure: boolean): Middleware {
  if (keys.length === 0 || keys.some((k) => k.length < 16)) throw new Error('sessionKeys: give at least one key of 16+ characters');
  app.keys = new CookieSigner(keys); // made once: an array would become a new Keygrip per request
  return session(
    {
      key: SESSION_COOKIE,
      maxAge: SESSION_MAX_AGE_MS,
      httpOnly: true,
      sameSite: 'strict',
      signed: true,
      secure,
      overwrite: true,
      rolling: false,
      renew: true,
    },
    app,
  );
}

/** koa-csrf: token in ctx.state._csrf, every POST/PUT/PATCH/DELETE must echo it in the `_csrf` field. */
export function csrfMiddleware(): Middleware {
  return new CSRF({
    disableQuery: true,
    errorHandler: (ctx) => ctx.throw(403, 'missing or invalid CSRF token: reload the page and submit the form again'),
  });
}

/** Security headers; the CSP allows only our own scripts, styles and images (assets are served locally). */
export function securityHeaders(secure: boolean): Middleware {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secure ? { maxAge: 15552000 } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/**
 * Trust the one TLS-terminating reverse proxy in front of the service: `ctx.secure`/`ctx.protocol`
 * follow X-Forwarded-Proto, and `ctx.ip` is the last X-Forwarded-For entry (the one the proxy
 * appended), so a client cannot choose its own login rate-limit key by sending X-Forwarded-For.
 */
export function trustSingleProxy(app: Koa): void {
  app.proxy = true;
  app.maxIpsCount = 1;
}

/**
 * With app.proxy on, Koa would take the host name from X-Forwarded-Host, which any page can set
 * on a same-origin request (DNS rebinding): dropped, so the Host guard keeps reading the Host header.
 */
export function ignoreForwardedHost(): Middleware {
  return async function dropForwardedHost(ctx, next) {
    delete ctx.req.headers['x-forwarded-host'];
    await next();
  };
}

export const NOT_HTTPS_MESSAGE =
  'this dashboard is served only over HTTPS through its reverse proxy (EXEC_MCP_BEHIND_TLS_PROXY is on): open it at its https:// address; ' +
  'if you did, the proxy must send the header "X-Forwarded-Proto: https"';

/**
 * With Secure cookies, a request Koa considers plain HTTP (a proxy that does not send
 * X-Forwarded-Proto: https, or a direct request to the port) cannot get a session cookie: the
 * cookies library would throw while saving the session, after the route ran (a 500). Refused up
 * front instead, with the fix in the page and (at most once a minute) in the log. Mounted after
 * health/static (monitoring may call the port directly) and before the session.
 */
export function requireHttps(logger: Logger, clock: Clock, logEveryMs = 60_000): Middleware {
  let lastLogged = -Infinity;
  return async function httpsOnly(ctx, next) {
    if (ctx.secure) return next();
    const now = clock.now();
    if (now - lastLogged >= logEveryMs) {
      lastLogged = now;
      const proto = ctx.get('X-Forwarded-Proto');
      logger.warn(
        { path: ctx.path, ip: ctx.ip, x_forwarded_proto: proto === '' ? null : proto.slice(0, 32) },
        'dashboard request refused: it did not arrive as HTTPS although EXEC_MCP_BEHIND_TLS_PROXY is on; ' +
          'make the reverse proxy send "X-Forwarded-Proto: https" (nginx: proxy_set_header X-Forwarded-Proto https;) and open the dashboard only through it',
      );
    }
    ctx.throw(403, NOT_HTTPS_MESSAGE);
  };
}
