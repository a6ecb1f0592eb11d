/**
 * GET /dashboard/events on the real app over HTTP: an order change arrives as `order`, another
 * stored change (an account created, as the accounts table and status page show) as `change`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './mcp-app.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

describe('dashboard live events', () => {
  let t: TestApp;
  let web: RunningWeb;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  let seen = '';
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  const decoder = new TextDecoder();

  /** Reads the stream until `text` has arrived (fails after `ms`). */
  async function until(text: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!seen.includes(text)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${text}" within ${ms} ms; got:\n${seen}`);
      // One read in flight at a time, kept across calls: a read that lost the race still delivers its chunk.
      pending ??= reader.read();
      const r = await Promise.race([pending, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), left))]);
      if (r === 'timeout') continue;
      pending = undefined;
      if (r.done) throw new Error(`stream ended before "${text}":\n${seen}`);
      seen += decoder.decode(r.value);
    }
  }

  beforeAll(async () => {
    t = await startTestApp();
    web = await startWeb(t.services, { ready: t.app.ready, clock: t.app.clock });
    const c = new WebClient(web.base);
    await c.login();
    const res = await fetch(`${web.base}/dashboard/events`, { headers: { cookie: c.cookieHeader } });
    expect(res.status).toBe(200);
    reader = res.body!.getReader();
    await until('event: hello');
  });
  afterAll(async () => {
    await reader?.cancel().catch(() => undefined);
    await web?.close();
    await t?.close();
  });

  it('tells of an order as it is placed, by its public ids only', async () => {
    const o = await t.services.orders.place('paper:paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000', client_order_id: 'live-ev-1' }, 'test');
    // Each committed step (accepted, sent, on the book) is told: the last one is "open".
    await until(`"order_id":"${o.order_id}","status":"open"`);
    const events = seen.split('\n').filter((l) => l.startsWith('data: ') && l.includes(o.order_id)).map((l) => JSON.parse(l.slice(6)) as Record<string, string>);
    expect(events.at(-1)).toEqual({ account: 'paper:paper', order_id: o.order_id, status: 'open', filled_amount: '0' });
    expect(seen).toMatch(new RegExp(`event: order\ndata: \{"account":"paper:paper","order_id":"${o.order_id}"`));
  });

  it('tells of other stored changes (an account created) within the 2 s poll', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // the order's own change has been told already
    seen = '';
    // Control: nothing stored changes meanwhile, so nothing is told.
    await expect(until('event: change', 2500)).rejects.toThrow(/no "event: change"/);
    t.services.accounts.create({ name: 'Live Ev', exchange: 'paper', exchange_account_id: 'live-ev' }, 'test');
    await until('event: change', 4000);
  });
});
