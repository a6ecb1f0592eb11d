import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { LoginRateLimiter, safeNextPath } from '../../src/web/auth.ts';
import { fieldErrors } from '../../src/web/forms.ts';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/web/password.ts';
import { DomainError, invalidArgumentFromIssues } from '../../src/domain/errors.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createViewEnvironment, viewsMiddleware } from '../../src/web/views.ts';
import { PageBufferPool } from '../../src/web/page-buffers.ts';
import { listen } from './web-harness.ts';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('admin password (scrypt)', () => {
  it('verifies the right password only; salts differ; the format is self-describing', async () => {
    const a = hashPassword('s3cret pass', CHEAP);
    const b = hashPassword('s3cret pass', CHEAP);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(isPasswordHash(a)).toBe(true);
    expect(await verifyPassword('s3cret pass', a)).toBe(true);
    expect(await verifyPassword('s3cret pasS', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    expect(a).not.toContain('s3cret');
  });

  it('refuses malformed hashes and empty passwords', async () => {
    expect(isPasswordHash('plain-text')).toBe(false);
    await expect(verifyPassword('x', 'scrypt$0$8$1$AAAA$BBBB')).rejects.toThrow(/malformed/);
    expect(() => hashPassword('')).toThrow(/empty/);
  });
});

describe('login rate limiter', () => {
  it('allows 5 failures per minute per address, then waits for the oldest to age out', () => {
    const clock = new ManualClock(0);
    const l = new LoginRateLimiter(clock, 5, 60_000);
    for (let i = 0; i < 5; i++) {
      expect(l.retryAfterMs('1.2.3.4')).toBe(0);
      l.recordFailure('1.2.3.4');
      clock.advance(1000);
    }
    expect(l.retryAfterMs('1.2.3.4')).toBe(55_000);
    expect(l.retryAfterMs('5.6.7.8')).toBe(0);
    clock.advance(55_000);
    expect(l.retryAfterMs('1.2.3.4')).toBe(0);
    l.recordFailure('1.2.3.4');
    l.recordSuccess('1.2.3.4');
    expect(l.retryAfterMs('1.2.3.4')).toBe(0);
  });
});

describe('login rate limiter memory bound', () => {
  it('evicts the address idle longest, not one that keeps failing while many others fail', () => {
    const clock = new ManualClock(0);
    const l = new LoginRateLimiter(clock, 5, 60_000, 10);
    for (let i = 0; i < 4; i++) l.recordFailure('attacker');
    for (let n = 0; n < 30; n++) {
      l.recordFailure(`decoy-${n}`); // fills the table...
      if (n % 5 === 4) l.recordFailure('attacker'); // ...while the attacker keeps guessing
    }
    expect(l.retryAfterMs('attacker')).toBeGreaterThan(0);
  });
});

describe('post-login target', () => {
  it('accepts dashboard paths only', () => {
    expect(safeNextPath('/dashboard/orders')).toBe('/dashboard/orders');
    for (const bad of ['//evil.example', 'https://evil.example/dashboard', '/dashboard//x', '/login', undefined, ['/dashboard']])
      expect(safeNextPath(bad)).toBe('/dashboard');
  });
});

describe('fieldErrors', () => {
  it('reads zod-style messages, service messages and nested paths', () => {
    const zod = invalidArgumentFromIssues([{ path: ['name'], message: 'too short' }, { path: ['limits', 'max_order_value'], message: 'bad decimal' }]);
    expect(fieldErrors(zod)).toMatchObject({ name: 'too short', 'limits.max_order_value': 'bad decimal', max_order_value: 'bad decimal' });
    const svc = new DomainError('INVALID_ARGUMENT', 'an account named X already exists', { fields: ['name'] });
    expect(fieldErrors(svc)).toEqual({ name: 'an account named X already exists' });
  });
});

describe('views', () => {
  it('compiles each template once: later renders through koa-views reuse the shared Environment', async () => {
    const env = createViewEnvironment();
    const loader = (env as unknown as { loaders: { getSource: (name: string) => unknown }[] }).loaders[0]!;
    const loads: string[] = [];
    const getSource = loader.getSource.bind(loader);
    loader.getSource = (name: string) => (loads.push(name), getSource(name));
    const app = new Koa();
    app.use(viewsMiddleware(env));
    app.use(async (ctx) => {
      await ctx.render('error.njk', { title: 'T', message: `<m${ctx.query['n'] ?? ''}>`, status: 400 });
    });
    const web = await listen(app);
    try {
      const first = await (await fetch(`${web.base}/?n=1`)).text();
      expect(first).toContain('&lt;m1&gt;'); // autoescape on
      const afterFirst = [...loads].sort();
      expect(afterFirst).toEqual(['error.njk', 'layout.njk']);
      for (let i = 2; i < 5; i++) expect(await (await fetch(`${web.base}/?n=${i}`)).text()).toContain(`&lt;m${i}&gt;`);
      expect(loads).toHaveLength(afterFirst.length);
    } finally {
      await web.close();
    }
  });

  it('page buffers: a buffer is reused only after its response finished; one that ended otherwise is dropped', () => {
    const pool = new PageBufferPool(64, 4);
    const res = () => new EventEmitter() as unknown as ServerResponse;
    const r1 = res();
    const r2 = res();
    const a = pool.encodeFor(r1, 'first page');
    const b = pool.encodeFor(r2, 'second page, é€');
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.toString()).toBe('first page'); // not overwritten by the second page
    expect(b.toString()).toBe('second page, é€');
    r1.emit('close'); // closed without finishing: its buffer is not reused
    expect(pool.idle).toBe(0);
    r2.emit('finish');
    expect(pool.idle).toBe(1);
    const c = pool.encodeFor(res(), 'third');
    expect(c.buffer).toBe(b.buffer);
    expect(c.toString()).toBe('third');
    const big = 'x'.repeat(65);
    expect(pool.encodeFor(res(), big).toString()).toBe(big); // larger than a slab: its own buffer
    expect(pool.idle).toBe(0);
  });

  it('sends every page from its own bytes while output buffers are reused (concurrent, multi-byte, larger than a buffer)', async () => {
    const env = createViewEnvironment();
    const pool = new PageBufferPool(16 * 1024, 2);
    // Every 7th page is larger than a buffer; all carry multi-byte characters.
    const locals = (n: number) => ({ title: `page ${n}`, message: `${n}:` + 'é€✓'.repeat(n % 7 === 0 ? 4000 : n * 20), status: 400 });
    const app = new Koa();
    app.use(viewsMiddleware(env, undefined, pool));
    app.use(async (ctx) => {
      await ctx.render('error.njk', locals(Number(ctx.query['n'])));
    });
    const web = await listen(app);
    try {
      for (let round = 0; round < 3; round++) {
        const ns = Array.from({ length: 40 }, (_, i) => i + 1);
        const bodies = await Promise.all(ns.map(async (n) => {
          const res = await fetch(`${web.base}/?n=${n}`);
          expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
          return Buffer.from(await res.arrayBuffer());
        }));
        ns.forEach((n, i) => expect(bodies[i]!.equals(Buffer.from(env.render('error.njk', locals(n)), 'utf8'))).toBe(true));
      }
      // finished responses gave their buffers back, at most maxFree are kept
      expect(pool.idle).toBeGreaterThan(0);
      expect(pool.idle).toBeLessThanOrEqual(2);
    } finally {
      await web.close();
    }
  });
});

