import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../src/domain/account.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.close();
});

async function setup(opts: Parameters<typeof RuntimeHarness.create>[0] = {}): Promise<AccountRecord> {
  h = await RuntimeHarness.create(opts);
  return h.addAccount('main');
}

function outboxRows(): Array<{ kind: string; status: string; attempts: number }> {
  return h.db.prepare('SELECT kind, status, attempts FROM outbox ORDER BY id').all() as Array<{ kind: string; status: string; attempts: number }>;
}

describe('order runtime: lifecycle against the scripted exchange', () => {
  it('creates, submits after commit, and lands the ack as open with one audit row per transition', async () => {
    const acct = await setup();
    const view = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    expect(view.status).toBe('submitting');
    expect(view.client_order_id).toBe('c1');
    await h.runtime.whenIdle();
    const after = h.runtime.get(view.order_id)!;
    expect(after.status).toBe('open');
    expect(after.exchange_order_id).toBe('E1');
    expect(h.exchange.placeCount('c1')).toBe(1);
    expect(outboxRows()).toEqual([{ kind: 'submit', status: 'done', attempts: 1 }]);
    const actions = (h.db.prepare('SELECT action FROM audit_log ORDER BY seq').all() as Array<{ action: string }>).map((r) => r.action);
    expect(actions).toEqual(['order.create', 'order.exchange_ack']);
    expect(h.audit.verify().ok).toBe(true);
  });

  it('resolves a caller only after the transaction is visible to another connection', async () => {
    const acct = await setup();
    const reader = new Database(h.file, { readonly: true });
    try {
      const view = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
      const row = reader.prepare('SELECT status FROM orders WHERE order_id = ?').get(view.order_id) as { status: string } | undefined;
      expect(row?.status).toBe('submitting');
      const outbox = reader.prepare('SELECT COUNT(*) AS n FROM outbox WHERE order_id = ?').get(view.order_id) as { n: number };
      expect(outbox.n).toBe(1);
    } finally {
      reader.close();
    }
  });

  it('group-commits events arriving in the same tick into one transaction, in arrival order per order', async () => {
    const acct = await setup();
    const views = await Promise.all(Array.from({ length: 50 }, (_, i) => h.runtime.createOrder(acct, h.input(acct, `c${i}`), 'test')));
    await h.runtime.whenIdle();
    const before = (await h.metrics.commitBatchSize.get()).values.find((v) => v.metricName === 'exec_mcp_commit_batch_size_count')?.value ?? 0;
    // 50 orders x (fill 0.4, fill 0.6) sent in one tick: 2 transitions each, one commit.
    const sends = views.flatMap((v, i) => [
      h.runtime.send(v.order_id, { type: 'FILL', fillId: `a${i}`, amount: '0.4', price: '100', fee: '0.04', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:01.000Z' }, 'test'),
      h.runtime.send(v.order_id, { type: 'FILL', fillId: `b${i}`, amount: '0.6', price: '101', fee: '0.06', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:02.000Z' }, 'test'),
    ]);
    const results = await Promise.all(sends);
    const afterCount = (await h.metrics.commitBatchSize.get()).values.find((v) => v.metricName === 'exec_mcp_commit_batch_size_count')?.value ?? 0;
    expect(afterCount - before).toBe(1);
    expect(results[0]?.status).toBe('partially_filled');
    expect(results[1]?.status).toBe('filled');
    expect(results[1]?.average_price).toBe('100.6');
    const fills = h.db.prepare('SELECT COUNT(*) AS n FROM fills').get() as { n: number };
    expect(fills.n).toBe(100);
    expect(h.runtime.liveCount()).toBe(0);
  });

  it('writes nothing for an ignored event (duplicate fill)', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    const fill = { type: 'FILL' as const, fillId: 'f1', amount: '0.5', price: '100', fee: '0', feeCurrency: 'USD', liquidity: 'taker' as const, at: '2026-01-01T00:00:01.000Z' };
    await h.runtime.send(v.order_id, fill, 'test');
    const auditRows = (h.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
    const again = await h.runtime.send(v.order_id, fill, 'test');
    expect(again.filled_amount).toBe('0.5');
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBe(auditRows);
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM fills').get() as { n: number }).n).toBe(1);
  });

  it('is idempotent per (account, client_order_id), also within one batch', async () => {
    const acct = await setup();
    const [a, b] = await Promise.all([
      h.runtime.placeOrder(acct, h.input(acct, 'same'), 'test'),
      h.runtime.placeOrder(acct, h.input(acct, 'same', { amount: '2' }), 'test'),
    ]);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.view.order_id).toBe(a.view.order_id);
    await h.runtime.whenIdle();
    const c = await h.runtime.placeOrder(acct, h.input(acct, 'same'), 'test');
    expect(c.created).toBe(false);
    expect(h.exchange.placeCount('same')).toBe(1);
  });

  it('refuses an order whose extra writes throw, without touching the others in the batch', async () => {
    const acct = await setup();
    const { DomainError } = await import('../../src/domain/errors.ts');
    const bad = h.runtime.createOrder(acct, h.input(acct, 'bad'), 'test', (db) => {
      db.prepare("INSERT INTO settings (key, value) VALUES ('x', '1')").run();
      throw new DomainError('RISK_LIMIT', 'nope');
    });
    const good = h.runtime.createOrder(acct, h.input(acct, 'good'), 'test');
    await expect(bad).rejects.toMatchObject({ code: 'RISK_LIMIT' });
    await expect(good).resolves.toMatchObject({ status: 'submitting' });
    expect(h.db.prepare("SELECT * FROM settings WHERE key = 'x'").get()).toBeUndefined();
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM orders').get() as { n: number }).n).toBe(1);
  });

  it('turns a definite reject into rejected with the reason', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'reject');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after.status).toBe('rejected');
    expect(after.status_reason).toContain('EXCHANGE_REJECTED');
  });

  it('retries "definitely not sent" with backoff, then places once', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'unavailable', 'unavailable', 'accept');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('open');
    expect(h.exchange.orders.size).toBe(1);
    expect(outboxRows()[0]).toEqual({ kind: 'submit', status: 'done', attempts: 3 });
  });

  it('gives up after the bounded retries with a reason', async () => {
    const acct = await setup({ outbox: { maxTries: 3 } });
    h.exchange.scriptPlace('c1', 'unavailable', 'unavailable', 'unavailable', 'unavailable');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after.status).toBe('rejected');
    expect(after.status_reason).toMatch(/not sent after 3 tries/);
  });

  it('lost answer: unknown, then the query finds it open (never re-sent)', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'accept-lose-answer');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', exchange_order_id: 'E1' });
    expect(h.exchange.placeCount('c1')).toBe(1);
  });

  it('lost request: unknown until the in-flight checks give up, then rejected (never re-sent)', async () => {
    const acct = await setup({ manualTimers: true, inflight: { firstCheckMs: 5000, intervalMs: 2000, maxChecks: 10 } });
    h.exchange.scriptPlace('c1', 'lose-request');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('unknown');
    for (let i = 0; i < 9; i++) {
      h.manual.advance(i === 0 ? 5000 : 2000);
      await h.runtime.whenIdle();
      expect(h.runtime.get(v.order_id)?.status).toBe('unknown');
    }
    h.manual.advance(2000);
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after.status).toBe('rejected');
    expect(after.status_reason).toMatch(/no record/);
    expect(h.exchange.placeCount('c1')).toBe(1);
  });

  it('an in-flight check that finds the order late moves it to the truth', async () => {
    const acct = await setup({ manualTimers: true });
    h.exchange.scriptPlace('c1', 'lose-request');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    // The exchange places it after all (e.g. a slow matching engine).
    await h.exchange.placeOrder({ clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '100', timeInForce: 'gtc', postOnly: false });
    h.manual.advance(5000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('open');
  });

  it('cancel: open -> cancelling -> cancelled; cancel of a filled order is absorbed', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    const c = await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    expect(c.status).toBe('cancelling');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('cancelled');
    expect(h.exchange.findByClient('c1')?.state).toBe('cancelled');
    const again = await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:06.000Z' }, 'test');
    expect(again.status).toBe('cancelled');
  });

  it('cancel closes the order on the exchange view: a fill whose event never arrived is kept', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    // The exchange fills part of the order, but the pushed events are lost; then the user cancels.
    h.exchange.fill('c1', '0.4', { push: false });
    h.exchange.scriptCancel('c1', 'accept-silent');
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after.status).toBe('cancelled');
    expect(after.filled_amount).toBe('0.4');
    const fills = h.db.prepare('SELECT amount FROM fills WHERE order_id = ?').all(v.order_id) as Array<{ amount: string }>;
    expect(fills).toEqual([{ amount: '0.4' }]);
  });

  it('cancel requested while the submit is in flight waits for the submit (FIFO per order)', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'hold');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    while (h.exchange.heldCount() === 0) await new Promise((r) => setImmediate(r));
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    expect(h.exchange.log.filter((r) => r.op === 'cancel')).toHaveLength(0);
    h.exchange.release('c1');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('cancelled');
    const ops = h.exchange.log.filter((r) => r.op === 'place' || r.op === 'cancel').map((r) => r.op);
    expect(ops).toEqual(['place', 'cancel']);
  });
});

describe('order runtime: pushed exchange events', () => {
  it('applies pushed fills (duplicated, update before fill) exactly once', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1', { amount: '1' }), 'test');
    await h.runtime.whenIdle();
    h.exchange.fill('c1', '0.25', { duplicate: true });
    h.exchange.fill('c1', '0.75', { updateFirst: true, duplicate: true });
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after.status).toBe('filled');
    expect(after.filled_amount).toBe('1');
    const fills = h.db.prepare('SELECT fill_id FROM fills ORDER BY fill_id').all() as Array<{ fill_id: string }>;
    expect(fills.map((f) => f.fill_id)).toEqual(['F1', 'F2']);
  });

  it('keeps a fill for an order it cannot match yet and applies it once the ack names the order', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'hold');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    while (h.exchange.heldCount() === 0) await new Promise((r) => setImmediate(r));
    h.exchange.emit({
      type: 'fill',
      fill: { fillId: 'early', exchangeOrderId: 'E1', market: 'btcusd', side: 'buy', amount: '0.1', price: '100', fee: '0', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:01.000Z' },
    });
    await new Promise((r) => setImmediate(r));
    expect(h.runtime.get(v.order_id)?.filled_amount).toBe('0');
    h.exchange.release('c1');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'partially_filled', filled_amount: '0.1' });
  });

  it('reconciles on connected: fills lost while disconnected are recovered', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.fill('c1', '0.3', { push: false });
    h.exchange.fill('c1', '0.7', { push: false });
    expect(h.runtime.get(v.order_id)?.filled_amount).toBe('0');
    h.exchange.emit({ type: 'connected' });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'filled', filled_amount: '1' });
  });

  it('connected with a market (a channel subscribed later) reconciles only that market', async () => {
    const acct = await setup();
    const btc = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    const eth = await h.runtime.createOrder(acct, h.input(acct, 'c2', { market: 'ethusd' }), 'test');
    await h.runtime.whenIdle();
    h.exchange.fill('c1', '1', { push: false });
    h.exchange.fill('c2', '1', { push: false });
    h.exchange.emit({ type: 'connected', market: 'ethusd' });
    await h.runtime.whenIdle();
    expect(h.runtime.get(eth.order_id)).toMatchObject({ status: 'filled', filled_amount: '1' });
    expect(h.runtime.get(btc.order_id)).toMatchObject({ status: 'open', filled_amount: '0' });
    h.exchange.emit({ type: 'connected' });
    await h.runtime.whenIdle();
    expect(h.runtime.get(btc.order_id)).toMatchObject({ status: 'filled', filled_amount: '1' });
  });
});

describe('order runtime: restart and crash recovery', () => {
  it('hydrates live orders lazily and keeps working after a graceful restart', async () => {
    const acct = await setup();
    const views = await Promise.all(Array.from({ length: 20 }, (_, i) => h.runtime.createOrder(acct, h.input(acct, `c${i}`), 'test')));
    await h.runtime.whenIdle();
    await h.runtime.send(views[0]!.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    await h.restart();
    expect(h.runtime.ready()).toBe(true);
    expect(h.runtime.liveCount()).toBe(19);
    h.exchange.fill('c5', '1');
    await h.runtime.whenIdle();
    expect(h.runtime.get(views[5]!.order_id)?.status).toBe('filled');
    expect(h.runtime.openOrderCount(acct.key)).toBe(18);
    expect(h.audit.verify().ok).toBe(true);
  });

  it('crash after commit, before the exchange call: the submit is sent once after restart', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.restart({ crash: true });
    expect(h.exchange.placeCount('c1')).toBe(0);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('open');
    expect(h.exchange.placeCount('c1')).toBe(1);
  });

  it('crash while the exchange holds the request: after restart it asks first and does not re-send', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'hold');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    while (h.exchange.heldCount() === 0) await new Promise((r) => setImmediate(r));
    expect(outboxRows()[0]?.attempts).toBe(1);
    await h.runtime.stop({ abandon: true });
    h.exchange.release('c1'); // lands while we are down; its answer goes nowhere
    await new Promise((r) => setImmediate(r));
    await h.restart({ crash: true });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', exchange_order_id: 'E1' });
    expect(h.exchange.placeCount('c1')).toBe(1);
    const ops = h.exchange.log.filter((r) => r.clientOrderId === 'c1').map((r) => `${r.op}:${r.result}`);
    expect(ops).toEqual(['place:hold-released', 'query:found']);
  });

  it('crash after a lost request: re-sent only after the exchange proved it never landed', async () => {
    const acct = await setup();
    h.exchange.scriptPlace('c1', 'lose-request');
    h.exchange.latencyTurns = 5;
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    while (h.exchange.placeCount('c1') === 0) await new Promise((r) => setImmediate(r));
    await h.restart({ crash: true });
    h.exchange.latencyTurns = 1;
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('open');
    expect(h.exchange.placeCount('c1')).toBe(2);
    expect(h.exchange.unprovenResends()).toEqual([]);
    expect(h.exchange.orders.size).toBe(1);
  });

  it('reconciles at start: a fill and a cancel that happened while down are applied', async () => {
    const acct = await setup();
    const a = await h.runtime.createOrder(acct, h.input(acct, 'a'), 'test');
    const b = await h.runtime.createOrder(acct, h.input(acct, 'b'), 'test');
    await h.runtime.whenIdle();
    await h.runtime.stop({ abandon: true });
    h.exchange.fill('a', '0.5', { push: false });
    await h.exchange.cancelOrder({ clientOrderId: 'b' });
    await h.restart({ crash: true });
    await h.runtime.whenIdle();
    expect(h.runtime.get(a.order_id)).toMatchObject({ status: 'partially_filled', filled_amount: '0.5' });
    expect(h.runtime.get(b.order_id)?.status).toBe('cancelled');
  });
});
