/**
 * The service as a child process (`exec-mcp serve`), 200 orders placed over MCP against the paper
 * simulator, SIGKILL at a random moment, restart. Afterwards: every order the client asked for is
 * present exactly once (in-doubt calls are re-sent with the same client_order_id, which must be
 * idempotent across the crash), each in the state the paper exchange holds after reconciliation,
 * and the paper exchange never received the same client_order_id twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/clock.ts';
import { paperTruth } from '../campaigns/exchange-truth.ts';
import { McpClient, type Outcome } from '../campaigns/mcp-client.ts';
import { ServiceProcess, sleep, tempDir } from '../campaigns/service-process.ts';

const ORDERS = 200;
const ACCOUNT = 'paper:paper';
const LIVE = new Set(['pending', 'submitting', 'cancelling', 'unknown']);

interface OrderRow {
  order_id: string;
  client_order_id: string;
  status: string;
  filled_amount: string;
}

const dataDir = tempDir('exec-mcp-crash-');
const svc = new ServiceProcess({ dataDir });
const client = new McpClient({ url: () => svc.mcpUrl, token: svc.token, callTimeoutMs: 20_000 });

afterAll(async () => {
  await client.close();
  await svc.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function listAll(): Promise<OrderRow[]> {
  const r = await client.call('list_orders', { account: ACCOUNT, status: 'all', limit: 1000 });
  if (r.kind !== 'ok') throw new Error(`list_orders: ${JSON.stringify(r)}`);
  return r.data.orders as OrderRow[];
}

describe('crash and restart of the service process', () => {
  it('keeps every accepted order exactly once and never sends one twice to the exchange', async () => {
    const random = seededRandom(Number(process.env.CRASH_SEED ?? Date.now() % 100_000));
    await svc.start();
    const cids = Array.from({ length: ORDERS }, (_, i) => `cr-${i}`);
    const outcomes = new Map<string, Outcome>();
    const place = (cid: string): Promise<Outcome> =>
      client.call('place_order', { account: ACCOUNT, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.02', price: String(1000 + (Number(cid.slice(3)) % 50)), client_order_id: cid });

    // Phase 1: 8 callers place orders; the service is SIGKILLed after a random number of answers.
    const killAfter = 20 + Math.floor(random() * 150);
    let answered = 0;
    let killed: Promise<void> | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cids.length && !killed) {
        const cid = cids[next++] as string;
        const r = await place(cid);
        outcomes.set(cid, r);
        if (++answered === killAfter && !killed) {
          await sleep(Math.floor(random() * 20));
          killed = svc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await killed;
    expect(svc.running).toBe(false);

    // Phase 2: restart; re-send everything not known to be accepted (same client_order_id), then the rest.
    client.reset();
    await svc.start();
    const inDoubt = cids.filter((c) => outcomes.get(c)?.kind !== 'ok');
    for (let i = 0; i < inDoubt.length; i += 8) {
      const batch = inDoubt.slice(i, i + 8);
      const results = await Promise.all(batch.map((c) => place(c)));
      batch.forEach((c, j) => outcomes.set(c, results[j] as Outcome));
    }
    for (const cid of cids) expect(outcomes.get(cid)?.kind, `place ${cid}: ${JSON.stringify(outcomes.get(cid))}`).toBe('ok');

    // Wait until reconciliation / the outbox settled every order.
    let rows: OrderRow[] = [];
    for (let i = 0; i < 300; i++) {
      rows = await listAll();
      if (rows.length === ORDERS && rows.every((r) => !LIVE.has(r.status))) break;
      await sleep(100);
    }
    const byCid = new Map<string, OrderRow[]>();
    for (const r of rows) byCid.set(r.client_order_id, [...(byCid.get(r.client_order_id) ?? []), r]);
    expect(rows).toHaveLength(ORDERS);
    for (const cid of cids) expect(byCid.get(cid), cid).toHaveLength(1);
    expect(rows.filter((r) => LIVE.has(r.status))).toEqual([]);
    // The order_id a caller got before the crash is still the order's id after it.
    for (const [cid, o] of outcomes) {
      if (o.kind === 'ok') expect((o.data.order as OrderRow).order_id).toBe(byCid.get(cid)?.[0]?.order_id);
    }

    // Stop cleanly and read the paper exchange's own books.
    await svc.stop();
    const truth = paperTruth(path.join(dataDir, 'exec-mcp.sqlite'), ACCOUNT);
    const onExchange = new Map<string, number>();
    for (const o of truth.orders) if (o.clientOrderId) onExchange.set(o.clientOrderId, (onExchange.get(o.clientOrderId) ?? 0) + 1);
    for (const cid of cids) expect(onExchange.get(cid) ?? 0, `${cid} on the paper exchange`).toBeLessThanOrEqual(1);
    for (const r of rows) {
      const t = truth.orders.find((o) => o.clientOrderId === r.client_order_id);
      if (!t) {
        expect(r.status, `${r.client_order_id} is not on the exchange`).toBe('rejected');
        continue;
      }
      const expected = t.state === 'open' ? (t.filled === '0' ? 'open' : 'partially_filled') : t.state;
      expect({ cid: r.client_order_id, status: r.status, filled: r.filled_amount }).toEqual({ cid: r.client_order_id, status: expected, filled: t.filled });
    }
  }, 240_000);
});
