import type { Context, Middleware } from 'koa';
import type { Clock } from '../domain/clock.ts';
import type { RevokedSessions } from '../services/ports.ts';

/** What the signed session cookie holds. `secret` is koa-csrf's per-session token secret. */
export interface WebSession {
  admin?: boolean;
  logged_in_at?: number;
  /** Random id of a logged-in session, so logout can end it (see EndedSessions). */
  sid?: string;
  secret?: string;
  flash?: { kind: 'ok' | 'error'; text: string };
}

export function sessionOf(ctx: Context): WebSession | null {
  return (ctx as unknown as { session: WebSession | null }).session ?? null;
}

export function isLoggedIn(ctx: Context): boolean {
  return sessionOf(ctx)?.admin === true;
}

/** One-shot message shown on the next page (post/redirect/get). */
export function flash(ctx: Context, kind: 'ok' | 'error', text: string): void {
  const s = sessionOf(ctx);
  if (s) s.flash = { kind, text };
}

export function takeFlash(ctx: Context): WebSession['flash'] {
  const s = sessionOf(ctx);
  const f = s?.flash;
  if (s && f) delete s.flash;
  return f;
}

/**
 * /dashboard/* needs a logged-in session: a page request is sent to the login form, anything
 * else (a form post, a script) gets 401. Runs before the CSRF check so "no session" is always 401.
 */
export function requireLogin(prefix = '/dashboard'): Middleware {
  return async function loginGate(ctx, next) {
    const guarded = ctx.path === prefix || ctx.path.startsWith(`${prefix}/`);
    if (!guarded) return next();
    // Pages behind the login hold account data: no browser or proxy cache may keep a copy.
    ctx.set('Cache-Control', 'no-store');
    if (isLoggedIn(ctx)) return next();
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      ctx.redirect(`/login?next=${encodeURIComponent(ctx.path)}`);
      return;
    }
    ctx.throw(401, 'login required: sign in at /login first');
  };
}

/** "." and ".." segments, also percent-encoded: browsers resolve "%2e%2e" like "..". */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;

/** Only same-site dashboard paths are accepted as a post-login target (no open redirect, no way out of /dashboard). */
export function safeNextPath(next: unknown): string {
  return typeof next === 'string' && /^\/dashboard(\/[A-Za-z0-9._~%/-]*)?$/.test(next) && !next.includes('//') && !DOT_SEGMENT.test(next) ? next : '/dashboard';
}

/**
 * Failed-login counter per client address: more than `maxFailures` failures inside `windowMs`
 * locks that address out until the oldest failure leaves the window. Memory is bounded.
 */
export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
    private readonly maxTracked = 10_000,
  ) {}

  /** Milliseconds until `ip` may try again, or 0 when it may try now. */
  retryAfterMs(ip: string): number {
    const recent = this.recent(ip);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, (recent[0] ?? 0) + this.windowMs - this.clock.now());
  }

  recordFailure(ip: string): void {
    const recent = this.recent(ip);
    recent.push(this.clock.now());
    // Re-inserted, so the Map's order is by latest failure: the eviction below drops the address
    // idle longest, never one that is failing right now (however many others fail meanwhile).
    this.failures.delete(ip);
    this.failures.set(ip, recent);
    if (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  recordSuccess(ip: string): void {
    this.failures.delete(ip);
  }

  private recent(ip: string): number[] {
    const since = this.clock.now() - this.windowMs;
    const list = (this.failures.get(ip) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }
}

/**
 * Sessions ended by logout. The session lives in the signed cookie itself, so a copy of the cookie
 * taken before logout would stay valid until it expires: the ended ids are remembered until then
 * (a refused cookie is never renewed). In memory and bounded, and in the store when `persisted` is
 * given, so a restart does not forget them.
 */
export class EndedSessions {
  private readonly ended = new Map<string, number>(); // sid -> when the cookie expires at the latest

  constructor(
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
    private readonly maxTracked = 10_000,
    private readonly persisted?: RevokedSessions,
  ) {}

  /** Ends `sid` in memory at once; throws only if the store could not record it (it stays ended until a restart). */
  end(sid: string): void {
    this.endInMemory(sid);
    this.persisted?.revoke(sid, this.clock.now() + this.maxAgeMs);
  }

  has(sid: string): boolean {
    return this.hasInMemory(sid) || (this.persisted?.isRevoked(sid) ?? false);
  }

  private endInMemory(sid: string): void {
    const now = this.clock.now();
    if (this.ended.size >= this.maxTracked) for (const [k, until] of this.ended) if (until <= now) this.ended.delete(k);
    if (this.ended.size >= this.maxTracked) {
      const oldest = this.ended.keys().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    this.ended.set(sid, now + this.maxAgeMs);
  }

  private hasInMemory(sid: string): boolean {
    const until = this.ended.get(sid);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.ended.delete(sid);
    return false;
  }
}

/** A cookie of a logged-out session counts as no login at all (its contents are dropped). */
export function refuseEndedSessions(ended: EndedSessions): Middleware {
  return async function endedSessionGate(ctx, next) {
    const s = sessionOf(ctx);
    if (s?.sid !== undefined && ended.has(s.sid)) {
      delete s.admin;
      delete s.logged_in_at;
      delete s.sid;
      delete s.secret;
      delete s.flash;
    }
    await next();
  };
}
