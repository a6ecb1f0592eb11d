/**
 * The store failing while the service runs, on the real app and its real SQLite file:
 * - damaged: pages of the orders table overwritten with garbage on disk (another writer makes the
 *   running connection drop its page cache, so it reads them). The next order is refused (never
 *   acked), trading stays halted through the global kill switch with the reason, /readyz is 503;
 * - cannot write: SQLite's own size cap (PRAGMA max_page_count) makes writes fail with a real
 *   SQLITE_FULL. New orders are refused clearly, /readyz is 200 "degraded" with the reason, and
 *   both clear by themselves once a write succeeds again.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServerHandle } from '../../src/main.ts';
import { hashPassword } from '../../src/web/password.ts';
import type { OrderRequest } from '../../src/domain/order.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';

let t: TestApp | undefined;
let http: HttpServerHandle | undefined;
afterEach(async () => {
  await http?.close();
  await t?.close().catch(() => undefined); // a damaged file may refuse the closing checkpoint
  http = undefined;
  t = undefined;
});

async function start(): Promise<{ t: TestApp; http: HttpServerHandle }> {
  t = await startTestApp({ EXEC_MCP_PORT: '0' });
  http = await createHttpServer(t.app, hashPassword('test-only-password', { N: 1024, r: 8, p: 1 }), 'test-token-0123456789abcdef');
  return { t, http };
}

const order = (cid?: string): OrderRequest => ({
  market: 'btcusd',
  side: 'buy',
  type: 'limit',
  amount: '0.0003',
  price: '40000',
  ...(cid !== undefined ? { client_order_id: cid } : {}),
});

interface ReadyBody {
  status: string;
  checks: Record<string, boolean | string>;
  store?: { state: string; reason: string };
}
async function readyz(url: string): Promise<{ status: number; body: ReadyBody }> {
  const r = await fetch(`${url}/readyz`);
  return { status: r.status, body: (await r.json()) as ReadyBody };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err as { code: string; message: string },
  );
  expect(e, 'the order must not be acknowledged').toBeDefined();
  return { code: e!.code, message: e!.message };
}

/** Garbage over every page of the orders table and its indexes; another connection's write makes the app's connection re-read the file. */
function damageOrdersTable(t: TestApp): void {
  t.app.db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = t.app.db
    .prepare("SELECT pageno FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'orders')")
    .all() as { pageno: number }[];
  expect(pages.length).toBeGreaterThan(0);
  const size = t.app.db.pragma('page_size', { simple: true }) as number;
  const file = path.join(t.dataDir, 'exec-mcp.sqlite');
  const fd = fs.openSync(file, 'r+');
  for (const { pageno } of pages) fs.writeSync(fd, Buffer.alloc(size, 0xab), 0, size, (pageno - 1) * size);
  fs.closeSync(fd);
  const other = new Database(file);
  other.pragma('user_version = 4242'); // touches page 1 only
  other.close();
}

describe('store damaged while running', () => {
  it('stops trading: the order is refused, not acked; kill switch on with the reason; /readyz 503', async () => {
    const { t, http } = await start();
    await t.services.orders.place('paper', order('before'), 'test');
    await t.settle();
    expect((await readyz(http.url)).body).toMatchObject({ status: 'ready', checks: { store: true } });
    const reservedUsd = async () => (await t.services.balances.get('paper', true)).balances.find((b) => b.currency === 'USD')?.reserved;
    const reservedBefore = await reservedUsd();
    expect(Number(reservedBefore)).toBeGreaterThan(0);

    damageOrdersTable(t);
    // Without client_order_id nothing reads the orders table first: the group commit meets the damage.
    const first = await refusal(t.services.orders.place('paper', order(), 'test'));
    expect(first.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(first.message).toMatch(/database is damaged \(SQLITE_CORRUPT\); trading is halted and nothing was sent/);

    // From now on every order stops at the kill switch, before touching the store.
    const again = await refusal(t.services.orders.place('paper', order('after'), 'test'));
    expect(again.code).toBe('RISK_LIMIT');
    expect(again.message).toMatch(/global kill switch is on because the store damaged \(SQLITE_CORRUPT\).*restore a backup/);
    expect(t.services.accounts.globalKillSwitch()).toBe(true);
    const preview = await t.services.orders.preview('paper', order('preview'));
    expect(preview.valid).toBe(false);
    expect(preview.problems[0]?.message).toMatch(/store damaged/);

    const r = await readyz(http.url);
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('not_ready');
    expect(String(r.body.checks['store'])).toMatch(/^store damaged \(SQLITE_CORRUPT\): trading halted/);
    expect(r.body.store).toMatchObject({ state: 'damaged' });
    // The exchange never saw an order after the damage: the paper venue reserves for the first one only.
    expect(await reservedUsd()).toBe(reservedBefore);
  }, 30_000);
});

describe('store damaged, met by a read', () => {
  it('a place_order whose client_order_id lookup meets the damage halts trading just the same', async () => {
    const { t, http } = await start();
    await t.services.orders.place('paper', order('before'), 'test');
    await t.settle();
    damageOrdersTable(t);
    const first = await refusal(t.services.orders.place('paper', order('with-cid'), 'test'));
    expect(first.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(first.message).toMatch(/database is damaged \(SQLITE_CORRUPT\)/);
    expect((await refusal(t.services.orders.place('paper', order('next'), 'test'))).code).toBe('RISK_LIMIT');
    expect((await readyz(http.url)).status).toBe(503);
  }, 30_000);
});

describe('store cannot write while running', () => {
  it('refuses orders clearly, /readyz 200 degraded with the reason, and recovers once a write succeeds', async () => {
    const { t, http } = await start();
    await t.services.orders.place('paper', order('before'), 'test');
    await t.settle();
    const pages = t.app.db.pragma('page_count', { simple: true }) as number;
    t.app.db.pragma(`max_page_count = ${pages}`); // real SQLITE_FULL on the next page SQLite needs

    let refused: { code: string; message: string } | undefined;
    for (let i = 0; i < 50 && refused === undefined; i++) {
      // Fill the last free pages until the cap bites (each order takes a few rows).
      refused = await t.services.orders.place('paper', order(`fill-${i}`), 'test').then(
        () => undefined,
        (e: { code: string; message: string }) => e,
      );
    }
    expect(refused?.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(refused?.message).toMatch(/disk is full; nothing was sent to the exchange/);
    const r = await readyz(http.url);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('degraded');
    expect(r.body.store).toEqual({ state: 'degraded', reason: expect.stringMatching(/^store cannot write \(SQLITE_FULL\): the disk is full/) });
    expect(t.services.accounts.globalKillSwitch()).toBe(false); // not a halt: it clears by itself

    t.app.db.pragma('max_page_count = 1073741823');
    await t.services.orders.place('paper', order('after'), 'test');
    const back = await readyz(http.url);
    expect(back).toMatchObject({ status: 200, body: { status: 'ready', checks: { store: true } } });
    expect(back.body.store).toBeUndefined();
  }, 30_000);
});
