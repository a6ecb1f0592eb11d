import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../src/domain/account.ts';
import type { FillReport } from '../../src/exchanges/adapter.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.close();
});

async function setup(): Promise<AccountRecord> {
  h = await RuntimeHarness.create();
  return h.addAccount('main');
}

async function quarantinedCount(): Promise<number> {
  const m = await h.metrics.fillsQuarantined.get();
  return m.values.reduce((a, v) => a + v.value, 0);
}

function auditRows(action: string): Array<{ subject: string; payload: string }> {
  return h.db.prepare('SELECT subject, payload FROM audit_log WHERE action = ? ORDER BY seq').all(action) as Array<{ subject: string; payload: string }>;
}

function fillOf(over: Partial<FillReport>): FillReport {
  return { fillId: 'X1', exchangeOrderId: 'E1', clientOrderId: 'c1', market: 'btcusd', side: 'buy', amount: '0.5', price: '100', fee: '0.05', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:09.000Z', ...over };
}

describe('reconciliation sanity: impossible fills are kept aside', () => {
  it.each([
    ['wrong side', { side: 'sell' as const }, 'buy', '100'],
    ['wrong market', { market: 'ethusd' }, 'buy', '100'],
    ['buy above the limit', { price: '100.01' }, 'buy', '100'],
    ['sell below the limit', { side: 'sell' as const, price: '99.99' }, 'sell', '100'],
  ])('a pushed fill with %s is not applied: order unchanged, audited, counted, listed', async (_name, over, side, price) => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1', { side: side as 'buy' | 'sell', price }), 'test');
    await h.runtime.whenIdle();
    const before = h.runtime.get(v.order_id)!;
    expect(before.status).toBe('open');
    h.exchange.emit({ type: 'fill', fill: fillOf({ side: side as 'buy' | 'sell', ...over }) });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', filled_amount: '0' });
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM fills').get() as { n: number }).n).toBe(0);
    const rows = auditRows('fill.quarantined');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.subject).toBe(v.order_id);
    expect(JSON.parse(rows[0]!.payload)).toMatchObject({ account: acct.ref, fill: { fillId: 'X1' } });
    expect(await quarantinedCount()).toBe(1);
    expect(h.runtime.quarantinedFills()).toHaveLength(1);
    expect(h.runtime.quarantinedFills()[0]).toMatchObject({ orderId: v.order_id, fill: { fillId: 'X1' } });
    expect(h.audit.verify().ok).toBe(true);
  });

  it('a limit fill at a better price is applied', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.emit({ type: 'fill', fill: fillOf({ price: '99.5' }) });
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'partially_filled', filled_amount: '0.5', average_price: '99.5' });
    expect(auditRows('fill.quarantined')).toHaveLength(0);
    expect(await quarantinedCount()).toBe(0);
  });

  it('an impossible fill found by reconciliation (trades list and order report) is kept aside once', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.findByClient('c1')!.fills.push(fillOf({ side: 'sell', at: '2026-01-01T00:00:00.000Z' }));
    await h.runtime.reconcileAccount(acct, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'open', filled_amount: '0' });
    expect(auditRows('fill.quarantined')).toHaveLength(1);
    expect(await quarantinedCount()).toBe(1);
  });
});

describe('reconciliation sanity: an order the exchange forgot', () => {
  it('ends cancelled with "not found on the exchange", its earlier partial fills kept', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.fill('c1', '0.4');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'partially_filled', filled_amount: '0.4' });
    h.exchange.orders.delete('E1');
    await h.runtime.reconcileAccount(acct, 'test');
    await h.runtime.whenIdle();
    expect(h.runtime.get(v.order_id)).toMatchObject({ status: 'cancelled', status_reason: 'not found on the exchange', filled_amount: '0.4' });
    expect((h.db.prepare('SELECT COUNT(*) AS n FROM fills').get() as { n: number }).n).toBe(1);
    expect(h.runtime.liveCount()).toBe(0);
  });

  it('an order absent from open orders but found finished takes the exchange status, not the forgotten reason', async () => {
    const acct = await setup();
    const v = await h.runtime.createOrder(acct, h.input(acct, 'c1'), 'test');
    await h.runtime.whenIdle();
    h.exchange.fill('c1', '1', { push: false });
    await h.runtime.reconcileAccount(acct, 'test');
    await h.runtime.whenIdle();
    const after = h.runtime.get(v.order_id)!;
    expect(after).toMatchObject({ status: 'filled', filled_amount: '1' });
    expect(after.status_reason).not.toBe('not found on the exchange');
  });
});
