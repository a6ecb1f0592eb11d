import type Koa from 'koa';
import type { Middleware } from 'koa';
import session from 'koa-session';
import CSRF from 'koa-csrf';
import helmet from 'koa-helmet';
import Keygrip from 'keygrip';

export const SESSION_COOKIE = 'exec_mcp_session';
export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

/** Signed cookie session: HttpOnly, SameSite=Strict, Secure when served over TLS (CONTRACT.md "HTTP"). */
export function sessionMiddleware(app: Koa, keys: string[], secure: boolean): Middleware {
  if (keys.length === 0 || keys.some((k) => k.length < 16)) throw new Error('sessionKeys: give at least one key of 16+ characters');
  app.keys = new Keygrip(keys); // made once: an array would become a new Keygrip per request
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
