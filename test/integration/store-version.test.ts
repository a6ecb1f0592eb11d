/**
 * The dashboard reuses page data only while the store is unchanged (status.storeVersion): every
 * kind of change — this process, a fill, another connection like the CLI — must show on the next
 * page view.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboardData } from '../../src/web/routes/dashboard-data.ts';
import { dbChangeStamp } from '../../src/db/change-stamp.ts';
import { startTestApp, tempDataDir, type TestApp } from './mcp-app.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('store version', () => {
  it('moves on a change by this connection or another one, and not on reads or no-op writes', () => {
    const dir = tempDataDir('exec-mcp-stamp-');
    const a = new Database(path.join(dir, 'x.sqlite'));
    a.pragma('journal_mode = WAL');
    const b = new Database(path.join(dir, 'x.sqlite'));
    try {
      a.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
      const s0 = dbChangeStamp(a);
      a.prepare('INSERT INTO t VALUES (1, ?)').run('x');
      const s1 = dbChangeStamp(a);
      expect(s1).not.toBe(s0);
      a.prepare('SELECT * FROM t').all();
      a.prepare('UPDATE t SET v = ? WHERE k = 99').run('nothing');
      expect(dbChangeStamp(a)).toBe(s1);
      b.prepare('UPDATE t SET v = ? WHERE k = 1').run('y');
      const s2 = dbChangeStamp(a);
      expect(s2).not.toBe(s1);
      expect(dbChangeStamp(a)).toBe(s2);
    } finally {
      a.close();
      b.close();
    }
  });

  it('the accounts page data is reused while nothing changed and read again after any change', async () => {
    t = await startTestApp();
    const s = t.services;
    const first = dashboardData(s);
    expect(dashboardData(s)).toBe(first);
    expect(Object.isFrozen(first.accounts)).toBe(true);

    s.accounts.create({ name: 'second', exchange: 'paper', exchange_account_id: 'p2', initial_balances: { USD: '5' } }, 'test');
    const afterCreate = dashboardData(s);
    expect(afterCreate.accounts.map((a) => a.name)).toContain('second');

    // Another connection (like the CLI) disables it: visible on the next read.
    const other = new Database(path.join(t.dataDir, 'exec-mcp.sqlite'));
    try {
      other.prepare("UPDATE accounts SET enabled = 0 WHERE name = 'second'").run();
    } finally {
      other.close();
    }
    const afterOther = dashboardData(s);
    expect(afterOther.accounts.find((a) => a.name === 'second')?.enabled).toBe(false);

    // A fill changes the balance shown.
    const before = afterOther.accounts.find((a) => a.name === 'paper')?.last_balance;
    await s.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01' }, 'test');
    await t.settle();
    await s.balances.get('paper', true);
    expect(dashboardData(s).accounts.find((a) => a.name === 'paper')?.last_balance).not.toBe(before);
  });
});

describe('offline mode', () => {
  it('never calls a non-loopback exchange: credentials set, no connection started, calls refused before sending', async () => {
    // TEST-NET-1: unroutable. Were a request attempted, it would hang until the timeout instead of failing fast.
    t = await startTestApp({ BITSTAMP_API_URL: 'http://192.0.2.1' });
    const s = t.services;
    s.accounts.create({ name: 'live', exchange: 'bitstamp', exchange_account_id: '424242' }, 'test');
    s.accounts.setCredentials('live', { api_key: 'KEYabcdefghijklmnop', api_secret: 'SECRETabcdefghijklmnopqrstu' }, 'test');
    await new Promise((r) => setTimeout(r, 50));
    const conn = s.status.connections().find((c) => c.account === 'bitstamp:424242');
    expect(conn?.state).toBe('stopped');
    expect(conn?.last_error ?? '').toMatch(/offline/);
    // Without the refusal this would wait for the unroutable host (10 s per try) and time out.
    await expect(s.balances.get('live', true)).rejects.toMatchObject({ code: 'EXCHANGE_UNAVAILABLE', message: expect.stringMatching(/offline mode .*not sent/) });
  });
});
