import crypto from 'node:crypto';
import Router from '@koa/router';
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../../observability/logger.ts';
import { EndedSessions, LoginRateLimiter, isLoggedIn, safeNextPath, sessionOf } from '../auth.ts';
import { formFields } from '../forms.ts';
import { verifyPassword } from '../password.ts';
import { seeOther } from './common.ts';

/** GET/POST /login (field `password`, scrypt-compared, rate-limited per address) and POST /logout. */
export function sessionRoutes(deps: { adminPasswordHash: string; limiter: LoginRateLimiter; ended: EndedSessions; logger: Logger; clock: Clock }): Router {
  const router = new Router();

  router.get('/login', async (ctx) => {
    if (isLoggedIn(ctx)) return seeOther(ctx, '/dashboard');
    await ctx.render('login.njk', { title: 'Log in', next: safeNextPath(ctx.query['next']) });
  });

  router.post('/login', async (ctx) => {
    const f = formFields(ctx);
    const next = safeNextPath(ctx.query['next']);
    const wait = deps.limiter.retryAfterMs(ctx.ip);
    if (wait > 0) {
      ctx.set('Retry-After', String(Math.ceil(wait / 1000)));
      ctx.status = 429;
      await ctx.render('login.njk', { title: 'Log in', next, error: { message: `Too many failed logins from this address; try again in ${Math.ceil(wait / 1000)} s.` } });
      ctx.status = 429;
      return;
    }
    // Counted as a failure before the (slow, async) scrypt check, and cleared on success: otherwise
    // guesses sent in parallel would all pass the gate above before the first one is recorded.
    deps.limiter.recordFailure(ctx.ip);
    const ok = typeof f['password'] === 'string' && f['password'].length > 0 && (await verifyPassword(f['password'], deps.adminPasswordHash));
    if (!ok) {
      deps.logger.warn({ ip: ctx.ip }, 'dashboard login failed');
      ctx.status = 401;
      await ctx.render('login.njk', { title: 'Log in', next, error: { message: 'Wrong password.' } });
      ctx.status = 401;
      return;
    }
    deps.limiter.recordSuccess(ctx.ip);
    const s = sessionOf(ctx);
    if (s) {
      // A fresh CSRF secret at the privilege change: tokens issued before login stop working.
      delete s.secret;
      s.admin = true;
      s.logged_in_at = deps.clock.now();
      s.sid = crypto.randomBytes(16).toString('base64url');
    }
    deps.logger.info({ ip: ctx.ip }, 'dashboard login');
    seeOther(ctx, next);
  });

  router.post('/logout', (ctx) => {
    // Also refuse copies of this cookie from now on, not only this browser's.
    const sid = sessionOf(ctx)?.sid;
    if (sid !== undefined) {
      try {
        deps.ended.end(sid);
      } catch (e) {
        // Storage failed: the logout still holds in memory (until a restart); the user is logged out either way.
        deps.logger.warn({ err: e }, 'logout could not be recorded in the store');
      }
    }
    (ctx as unknown as { session: null }).session = null;
    seeOther(ctx, '/login');
  });

  return router;
}
