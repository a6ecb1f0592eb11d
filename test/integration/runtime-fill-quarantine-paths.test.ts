/**
 * Every way a fill reaches an order goes through the one quarantine check: a pushed fill, a pushed
 * order update, reconciliation, an outbox command's answer (the view read after a cancel) and an
 * in-flight check's report. Each path gets the three impossible fills (wrong side, wrong market,
 * a buy above its limit): none is applied, each is audited once and counted under its source.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../src/domain/account.ts';
import type { FillReport } from '../../src/exchanges/adapter.ts';
import { EXCHANGE_ACTOR, INFLIGHT_ACTOR, RECONCILE_ACTOR } from '../../src/runtime/runtime-host.ts';
import { RuntimeHarness, type HarnessOptions } from '../fixtures/runtime-harness.ts';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.close();
});

const KINDS: Array<[string, Partial<FillReport>, RegExp]> = [
  ['wrong side', { side: 'sell' }, /side sell differs/],
  ['wrong market', { market: 'ethusd' }, /market ethusd differs/],
  ['a price worse than the limit', { price: '100.01' }, /above the limit 100/],
];

/** An open buy limit order c1 at 100 for 1 (exchange id E1). */
async function openOrder(opts: HarnessOptions = {}): Promise<{ acct: AccountRecord; orderId: string }> {
  h = await RuntimeHarness.create(opts);
  const acct = h.addAccount('main');
  const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
  await h.runtime.whenIdle();
  expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', exchange_order_id: 'E1' });
  return { acct, orderId: v.order_id };
}

function impossible(over: Partial<FillReport>): FillReport {
  return { fillId: 'X1', exchangeOrderId: 'E1', clientOrderId: 'c1', market: 'btcusd', side: 'buy', amount: '0.5', price: '100', fee: '0.05', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:09.000Z', ...over };
}

/** The fill is on the exchange's book for c1, not pushed. */
function bookFill(over: Partial<FillReport>): void {
  h.exchange.findByClient('c1')!.fills.push(impossible(over));
}

async function countedBy(source: string): Promise<number> {
  const m = await h.metrics.fillsQuarantined.get();
  return m.values.filter((v) => v.labels['source'] === source).reduce((a, v) => a + v.value, 0);
}

async function expectKeptAside(orderId: string, source: string, reason: RegExp): Promise<void> {
  const view = h.runtime.get(orderId)!;
  expect(view).toMatchObject({ filled_amount: '0', fee_total: '0' });
  expect(view.average_price).toBeUndefined();
  expect((h.db.prepare('SELECT COUNT(*) AS n FROM fills').get() as { n: number }).n).toBe(0);
  const rows = h.db.prepare("SELECT actor, subject, payload FROM audit_log WHERE action = 'fill.quarantined'").all() as Array<{ actor: string; subject: string; payload: string }>;
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ actor: source, subject: orderId });
  const payload = JSON.parse(rows[0]!.payload) as { reason: string; fill: { fillId: string } };
  expect(payload.reason).toMatch(reason);
  expect(payload.fill.fillId).toBe('X1');
  expect(await countedBy(source)).toBe(1);
  expect(h.runtime.quarantinedFills().map((q) => [q.orderId, q.fill.fillId, q.source])).toEqual([[orderId, 'X1', source]]);
  expect(h.audit.verify().ok).toBe(true);
}

describe.each(KINDS)('an impossible fill (%s) is kept aside on every path', (_kind, over, reason) => {
  it('pushed as a fill event (the exchange stream)', async () => {
    const { orderId } = await openOrder();
    h.exchange.emit({ type: 'fill', fill: impossible(over) });
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('open');
    await expectKeptAside(orderId, EXCHANGE_ACTOR, reason);
  });

  it('pushed as an order update (the exchange stream)', async () => {
    const { orderId } = await openOrder();
    bookFill(over);
    const o = h.exchange.findByClient('c1')!;
    h.exchange.emit({ type: 'order_update', report: { exchangeOrderId: 'E1', clientOrderId: 'c1', market: 'btcusd', side: 'buy', state: 'open', amount: '1', filledAmount: '0.5', price: '100', fills: o.fills.map((f) => ({ ...f })), at: '2026-01-01T00:00:10.000Z' } });
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('open');
    await expectKeptAside(orderId, EXCHANGE_ACTOR, reason);
  });

  it('found by reconciliation (open orders report, then the trades list): audited once', async () => {
    const { acct, orderId } = await openOrder();
    bookFill(over);
    await h.runtime.reconcileAccount(acct, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('open');
    await expectKeptAside(orderId, RECONCILE_ACTOR, reason);
  });

  it("in an outbox command's answer (the order read back after its cancel)", async () => {
    const { orderId } = await openOrder();
    bookFill(over);
    // The cancel's own push is lost: only the outbox's read-back carries the fill.
    h.exchange.scriptCancel('c1', 'accept-silent');
    await h.runtime.send(orderId, { type: 'CANCEL', at: '2026-01-01T00:00:10.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('cancelled');
    await expectKeptAside(orderId, EXCHANGE_ACTOR, reason);
  });

  it("in an outbox query's answer (a submit whose answer was lost)", async () => {
    h = await RuntimeHarness.create({ manualTimers: true });
    const acct = h.addAccount('main');
    h.exchange.scriptPlace('c1', 'accept-lose-answer');
    h.exchange.scriptQuery('c1', 'unavailable');
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    // The query command's first try fails; it waits for its backoff on the manual scheduler (beside the in-flight check's timer).
    const queried = (): boolean => h.exchange.log.some((r) => r.op === 'query' && r.result === 'unavailable');
    for (let i = 0; i < 2500 && !(queried() && h.manual.pending() >= 2); i++) await new Promise((r) => setTimeout(r, 2));
    expect(queried()).toBe(true);
    expect(h.runtime.get(v.order_id)!.status).toBe('unknown');
    bookFill(over);
    h.manual.advance(10);
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', exchange_order_id: 'E1' });
    await expectKeptAside(v.order_id, EXCHANGE_ACTOR, reason);
  });

  it("in an in-flight check's report (cancel accepted, its read-back failed)", async () => {
    const { orderId } = await openOrder({ manualTimers: true, inflight: { firstCheckMs: 5000, intervalMs: 2000, maxChecks: 10 } });
    bookFill(over);
    h.exchange.scriptCancel('c1', 'accept-silent');
    h.exchange.scriptQuery('c1', 'unavailable');
    await h.runtime.send(orderId, { type: 'CANCEL', at: '2026-01-01T00:00:10.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('cancelling');
    expect(h.runtime.quarantinedFills()).toHaveLength(0);
    h.manual.advance(5000);
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)!.status).toBe('cancelled');
    await expectKeptAside(orderId, INFLIGHT_ACTOR, reason);
  });
});

describe('a possible fill on the same paths is applied', () => {
  it('through the outbox read-back after a cancel', async () => {
    const { orderId } = await openOrder();
    bookFill({ price: '99.5' });
    h.exchange.scriptCancel('c1', 'accept-silent');
    await h.runtime.send(orderId, { type: 'CANCEL', at: '2026-01-01T00:00:10.000Z' }, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(orderId)).toMatchObject({ status: 'cancelled', filled_amount: '0.5', average_price: '99.5' });
    expect(h.runtime.quarantinedFills()).toHaveLength(0);
  });
});
