/**
 * Dashboard forms when the store cannot write: the answer is 503 with what is wrong and the
 * EXCHANGE_UNAVAILABLE code (as MCP answers), never a bare 500. The disk is "full" through SQLite's
 * own size cap (PRAGMA max_page_count), which fails writes with a real SQLITE_FULL.
 */
import Database from 'better-sqlite3';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { toToolError } from '../../src/mcp/errors.ts';
import { errorMiddleware } from '../../src/web/errors.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';
import { WebClient, listen, startWeb, type RunningWeb } from './web-harness.ts';

let t: TestApp | undefined;
let web: RunningWeb | undefined;
afterEach(async () => {
  await web?.close();
  await t?.close();
  web = undefined;
  t = undefined;
});

/** A real SqliteError with code SQLITE_FULL, from a scratch in-memory database capped at its size. */
function realDiskFull(): unknown {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (v BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(64 * 1024));
  } catch (e) {
    return e;
  } finally {
    db.close();
  }
  throw new Error('the insert should have failed');
}

describe('dashboard forms on a full disk', () => {
  it('account forms answer 503 saying the disk is full (page and JSON), nothing saved; work again after', async () => {
    t = await startTestApp();
    web = await startWeb(t.services);
    const admin = new WebClient(web.base);
    await admin.login();
    t.app.db.pragma(`max_page_count = ${t.app.db.pragma('page_count', { simple: true }) as number}`);

    // Live accounts (a paper one also writes its venue's state, which answers on its own).
    const add = (i: number) => admin.post('/dashboard/accounts', { name: `acct-${i}`, exchange: 'bitstamp', exchange_account_id: `${100000 + i}`, enabled: 'off' });
    let r = await add(0);
    for (let i = 1; i < 60 && r.status === 303; i++) r = await add(i);
    expect(r.status, r.text.slice(0, 300)).toBe(503);
    expect(r.text).toContain('the service cannot save changes right now: the disk is full; nothing was changed');
    expect(r.text).not.toMatch(/Internal error|SqliteError|\s+at \S+:\d+/);
    const listed = t.services.accounts.list().map((a) => a.name);
    const refusedName = `acct-${listed.filter((n) => n.startsWith('acct-')).length}`;
    expect(listed).not.toContain(refusedName);

    const kill = await admin.request('POST', '/dashboard/kill-switch', { _csrf: admin.csrf ?? '', kill_switch: 'on' }, { accept: 'application/json' });
    expect(kill.status).toBe(503);
    expect(JSON.parse(kill.text)).toEqual({ error: { code: 'EXCHANGE_UNAVAILABLE', message: expect.stringMatching(/disk is full; nothing was changed/) } });
    expect(t.services.accounts.globalKillSwitch()).toBe(false);

    t.app.db.pragma('max_page_count = 1073741823');
    const ok = await admin.post('/dashboard/accounts', { name: 'after', exchange: 'bitstamp', exchange_account_id: '999999' });
    expect(ok.status).toBe(303);
  }, 30_000);

  it('a storage error no service mapped is still a 503 at the dashboard edge and EXCHANGE_UNAVAILABLE over MCP', async () => {
    const err = realDiskFull();
    expect((err as { code?: string }).code).toBe('SQLITE_FULL');
    const app = new Koa();
    app.use(errorMiddleware(silentLogger()));
    app.use(() => {
      throw err;
    });
    web = await listen(app);
    const res = await fetch(`${web.base}/anything`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'EXCHANGE_UNAVAILABLE', message: expect.stringMatching(/disk is full; nothing was changed/) } });

    const logged: unknown[] = [];
    const tool = toToolError(err, (e) => logged.push(e));
    expect(tool.structuredContent).toEqual({ error: { code: 'EXCHANGE_UNAVAILABLE', message: expect.stringMatching(/cannot record orders right now: the disk is full/) } });
    expect(logged).toEqual([err]); // the details stay in the server log
  });
});
