/**
 * DESIGN.md claims about orders, the outbox, in-flight checks and pushed events that the other
 * runtime tests do not pin down: a cancel racing a fill, a cancel whose answer is lost, a crash
 * while a cancel is in flight, query errors during in-flight checks (an unreachable exchange is
 * not "never heard of it"), and a pushed final update that arrives before its fills.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccountRecord } from '../../src/domain/account.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { OrderStatusReport } from '../../src/exchanges/adapter.ts';
import type { OrderView } from '../../src/domain/order.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';

let h: RuntimeHarness;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
});

async function setup(opts: Parameters<typeof RuntimeHarness.create>[0] = {}): Promise<AccountRecord> {
  h = await RuntimeHarness.create(opts);
  return h.addAccount('main');
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function ops(cid: string): string[] {
  return h.exchange.log.filter((r) => r.clientOrderId === cid && (r.op === 'place' || r.op === 'cancel')).map((r) => `${r.op}:${r.result}`);
}

function fillRows(orderId: string): Array<{ fill_id: string; amount: string }> {
  return h.db.prepare('SELECT fill_id, amount FROM fills WHERE order_id = ? ORDER BY fill_id').all(orderId) as Array<{ fill_id: string; amount: string }>;
}

/** Order c1 created and its submit settled (whatever the exchange was scripted to do with it). */
async function placed(acct: AccountRecord): Promise<OrderView> {
  const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
  await h.runtime.whenIdle();
  return v;
}

/** Drops every pushed exchange event (a WebSocket that lost them). */
function mutePushes(): void {
  vi.spyOn(h.exchange, 'emit').mockImplementation(() => undefined);
}

describe('cancel races (DESIGN.md: a FILL can arrive after CANCEL was sent)', () => {
  it('a fill pushed while the cancel is in flight is kept; the order ends cancelled with it', async () => {
    const acct = await setup();
    const v = await placed(acct);
    h.exchange.latencyTurns = 5;
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    while (!h.exchange.log.some((r) => r.op === 'cancel')) await turn();
    // The exchange matches part of the order before it processes the cancel.
    h.exchange.fill('c1', '0.3');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', filled_amount: '0.3' });
    expect(fillRows(v.order_id)).toEqual([{ fill_id: 'F1', amount: '0.3' }]);
    const audit = h.db.prepare("SELECT payload FROM audit_log WHERE action = 'order.fill'").all() as Array<{ payload: string }>;
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.payload)).toMatchObject({ from: 'cancelling', to: 'cancelling' });
  });

  it('cancel refused because the order filled meanwhile (its push lost): ends filled with the fill, cancel sent once', async () => {
    const acct = await setup();
    const v = await placed(acct);
    h.exchange.fill('c1', '1', { push: false });
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'filled', filled_amount: '1' });
    expect(fillRows(v.order_id)).toEqual([{ fill_id: 'F1', amount: '1' }]);
    expect(ops('c1')).toEqual(['place:accept', 'cancel:accept']);
  });

  it('cancel answer lost (no push either): unknown, then the query learns it was cancelled; never re-sent', async () => {
    const acct = await setup();
    const v = await placed(acct);
    mutePushes();
    h.exchange.scriptCancel('c1', 'accept-lose-answer');
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('cancelled');
    const path = (h.db.prepare("SELECT payload FROM audit_log WHERE subject = ? ORDER BY seq").all(v.order_id) as Array<{ payload: string }>)
      .map((r) => JSON.parse(r.payload) as { to?: string; status?: string })
      .map((p) => p.to ?? p.status);
    expect(path).toEqual(['submitting', 'open', 'cancelling', 'unknown', 'cancelled']);
    expect(ops('c1')).toEqual(['place:accept', 'cancel:accept-lose-answer']);
  });

  it('crash while the cancel is in flight: after restart the order ends cancelled, placed once', async () => {
    const acct = await setup();
    const v = await placed(acct);
    mutePushes();
    h.exchange.latencyTurns = 5;
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    while (!h.exchange.log.some((r) => r.op === 'cancel')) await turn();
    await h.restart({ crash: true }); // the cancel lands on the exchange; its answer goes nowhere
    h.exchange.latencyTurns = 1;
    await h.runtime.whenIdle();
    expect(h.exchange.findByClient('c1')?.state).toBe('cancelled');
    expect(h.runtime.get(v.order_id)?.status).toBe('cancelled');
    expect(h.exchange.placeCount('c1')).toBe(1);
    const pending = h.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number };
    expect(pending.n).toBe(0);
  });
});

describe('a cancel closes the order only on a view that includes its fills', () => {
  it('cancel accepted but the follow-up query fails: the order is not closed without its fills; the in-flight check closes it', async () => {
    const acct = await setup({ manualTimers: true });
    const v = await placed(acct);
    mutePushes();
    h.exchange.fill('c1', '0.4', { push: false });
    const query = vi.spyOn(h.exchange, 'queryOrder').mockRejectedValueOnce(new DomainError('EXCHANGE_UNAVAILABLE', 'scripted: down'));
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.exchange.findByClient('c1')?.state).toBe('cancelled');
    expect(query).toHaveBeenCalledTimes(1);
    // Not terminal yet: a terminal order would absorb the fill for good.
    expect(h.runtime.get(v.order_id)?.status).toBe('cancelling');
    h.manual.advance(5000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', filled_amount: '0.4' });
    expect(fillRows(v.order_id)).toEqual([{ fill_id: 'F1', amount: '0.4' }]);
    expect(ops('c1')).toEqual(['place:accept', 'cancel:accept']);
  });

  it('cancel accepted but the exchange still lists the order open: its fills are applied before the cancel closes it', async () => {
    const acct = await setup();
    const v = await placed(acct);
    mutePushes();
    h.exchange.fill('c1', '0.4', { push: false });
    const real = h.exchange.queryOrder.bind(h.exchange);
    vi.spyOn(h.exchange, 'queryOrder').mockImplementationOnce(async (l) => {
      const r = await real(l);
      return r ? { ...r, state: 'open' } : r; // a lagging status cache
    });
    await h.runtime.send(v.order_id, { type: 'CANCEL', at: '2026-01-01T00:00:05.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', filled_amount: '0.4' });
    expect(fillRows(v.order_id)).toEqual([{ fill_id: 'F1', amount: '0.4' }]);
  });
});

describe('in-flight checks: bounded, and only "not found" answers count', () => {
  it('query errors while the exchange is unreachable never reject the order; it settles once the exchange answers', async () => {
    const acct = await setup({ manualTimers: true, outbox: { maxTries: 1 }, inflight: { firstCheckMs: 5000, intervalMs: 2000, maxChecks: 3 } });
    h.exchange.scriptPlace('c1', 'lose-request');
    const down = vi.spyOn(h.exchange, 'queryOrder').mockRejectedValue(new DomainError('EXCHANGE_UNAVAILABLE', 'scripted: down'));
    const v = await placed(acct);
    expect(h.runtime.get(v.order_id)?.status).toBe('unknown');
    // Far more failed checks than maxChecks "not found" answers would need to conclude.
    for (let i = 0; i < 8; i++) {
      h.manual.advance(i === 0 ? 5000 : 2000);
      await h.runtime.whenIdle();
      expect(h.runtime.get(v.order_id)?.status).toBe('unknown');
    }
    expect(down.mock.calls.length).toBeGreaterThanOrEqual(8);
    // The request had landed after all; the exchange answers again.
    await h.exchange.placeOrder({ clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '100', timeInForce: 'gtc', postOnly: false });
    down.mockRestore();
    h.manual.advance(2000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', exchange_order_id: 'E1' });
  });

  it('giving up after repeated errors is counted in a metric, not only logged', async () => {
    const acct = await setup({ manualTimers: true, outbox: { maxTries: 1 }, inflight: { firstCheckMs: 1000, intervalMs: 1000, maxChecks: 1 } });
    h.exchange.scriptPlace('c1', 'lose-request');
    vi.spyOn(h.exchange, 'queryOrder').mockRejectedValue(new DomainError('EXCHANGE_UNAVAILABLE', 'scripted: down'));
    const v = await placed(acct);
    const gaveUp = async (): Promise<number> => (await h.metrics.inflightGaveUp.get()).values.find((x) => x.labels.reason === 'errors')?.value ?? 0;
    for (let i = 0; i < 2; i++) {
      h.manual.advance(1000);
      await h.runtime.whenIdle();
    }
    expect(await gaveUp()).toBe(0);
    h.manual.advance(1000); // the third failed check: maxChecks × 3 errors
    await h.runtime.whenIdle();
    expect(await gaveUp()).toBe(1);
    expect(h.runtime.get(v.order_id)?.status).toBe('unknown'); // left for reconciliation, not guessed
    expect(h.manual.pending()).toBe(0);
  });

  it('after the bounded "not found" checks an order that never landed is rejected with a reason, and checks stop', async () => {
    const acct = await setup({ manualTimers: true, inflight: { firstCheckMs: 5000, intervalMs: 2000, maxChecks: 3 } });
    h.exchange.scriptPlace('c1', 'lose-request');
    const v = await placed(acct);
    const queries = (): number => h.exchange.log.filter((r) => r.op === 'query' && r.clientOrderId === 'c1').length;
    const afterOutboxQuery = queries();
    h.manual.advance(5000);
    await h.runtime.whenIdle();
    h.manual.advance(2000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)?.status).toBe('unknown');
    h.manual.advance(2000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'rejected', status_reason: 'exchange has no record of this order' });
    expect(queries() - afterOutboxQuery).toBe(3);
    h.manual.advance(60_000);
    await h.runtime.whenIdle();
    expect(queries() - afterOutboxQuery).toBe(3);
    expect(h.manual.pending()).toBe(0);
    expect(h.exchange.placeCount('c1')).toBe(1);
  });
});

describe('pushed events out of order (Bitstamp order_deleted before its trades)', () => {
  function deletedWithoutFills(cid: string): OrderStatusReport {
    const o = h.exchange.findByClient(cid)!;
    return {
      exchangeOrderId: o.exchangeOrderId,
      clientOrderId: cid,
      market: o.market,
      side: o.side,
      state: 'cancelled',
      amount: o.amount,
      filledAmount: '0.4',
      fills: [],
      at: '2026-01-01T00:01:00.000Z',
    };
  }

  it('a final update whose fills have not arrived is completed from the exchange first: the fill is not lost', async () => {
    const acct = await setup();
    const v = await placed(acct);
    h.exchange.fill('c1', '0.4', { push: false });
    h.exchange.findByClient('c1')!.state = 'cancelled';
    h.exchange.emit({ type: 'order_update', report: deletedWithoutFills('c1') });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', filled_amount: '0.4' });
    expect(fillRows(v.order_id)).toEqual([{ fill_id: 'F1', amount: '0.4' }]);
    // The late trade push changes nothing (same fill id).
    h.exchange.emit({ type: 'fill', fill: h.exchange.findByClient('c1')!.fills[0]! });
    await h.runtime.whenIdle();
    expect(fillRows(v.order_id)).toHaveLength(1);
  });

  it('while the fills cannot be fetched the order is not closed; retries run on the injected scheduler, then a reconciliation settles it', async () => {
    const acct = await setup({ manualTimers: true });
    const v = await placed(acct);
    h.exchange.fill('c1', '0.4', { push: false });
    h.exchange.findByClient('c1')!.state = 'cancelled';
    const real = h.exchange.queryOrder.bind(h.exchange);
    const ATTEMPTS = 8; // ExchangeEvents' bounded retries of the full order status
    let failures = 0;
    vi.spyOn(h.exchange, 'queryOrder').mockImplementation(async (l) => {
      if (failures < ATTEMPTS) {
        failures++;
        throw new DomainError('EXCHANGE_UNAVAILABLE', 'scripted: down');
      }
      return real(l);
    });
    h.exchange.emit({ type: 'order_update', report: deletedWithoutFills('c1') });
    // Manual time only: with real timers these retries would take about 36 s.
    for (let i = 0; i < 2000 && h.runtime.get(v.order_id)?.status === 'open'; i++) {
      await turn();
      if (failures < ATTEMPTS) expect(h.runtime.get(v.order_id)?.status).toBe('open');
      h.manual.advance(100);
    }
    await h.runtime.whenIdle();
    expect(failures).toBe(ATTEMPTS);
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', filled_amount: '0.4' });
    const runs = (await h.metrics.reconciliations.get()).values.filter((x) => x.labels.trigger === 'fills-missing');
    expect(runs.map((x) => [x.labels.result, x.value])).toEqual([['ok', 1]]);
  });
});
