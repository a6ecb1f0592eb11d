/**
 * The truth comparison: after final reconciliation, the service's orders, fills and balances
 * against the exchange's. Counts
 * - lost: an order the service acknowledged (place_order answered with it) that it no longer has,
 *   or an order the exchange holds under one of our client_order_ids that the service does not know;
 * - duplicated: two exchange orders for one client_order_id, two service orders for one, two fills
 *   with one fill id;
 * - divergent: a service state the exchange does not back (filled/cancelled/open/amounts), an order
 *   still in flight after reconciliation, fills missing or invented, balances that differ, or a
 *   balance that does not follow from the initial balance and the exchange's fills.
 */
import { D, decStr, type Dec } from '../../src/domain/money.ts';
import type { DriverLedger, Violation, ViolationKind } from './driver.ts';
import type { Balances, ExchangeTruth, TruthOrder } from './exchange-truth.ts';
import type { ServiceOrder, ServiceView } from './service-view.ts';

export interface CompareInput {
  account: string;
  ledger: DriverLedger;
  service: ServiceView;
  /** list_orders status all through MCP (newest ≤1000), to prove the API shows what the tables hold. */
  mcpOrders?: ServiceOrder[];
  serviceBalances?: Balances;
  truth: ExchangeTruth;
  /** Balances the exchange account started with: total must equal these plus the effect of every fill. */
  initialBalances?: Record<string, string>;
  /** Quote and base currency of each market, for the balance equation. */
  marketCurrencies?: Record<string, { base: string; quote: string }>;
}

export interface CompareResult {
  lost: number;
  duplicated: number;
  divergent: number;
  violations: Violation[];
  stats: { serviceOrders: number; exchangeOrders: number; fills: number; byStatus: Record<string, number> };
}

function expectedStatus(t: TruthOrder): string {
  switch (t.state) {
    case 'open':
      return new D(t.filled).isZero() ? 'open' : 'partially_filled';
    default:
      return t.state;
  }
}

const IN_FLIGHT = new Set(['pending', 'submitting', 'cancelling', 'unknown']);
const same = (a: string, b: string): boolean => new D(a).eq(b);

export function compareWithTruth(input: CompareInput): CompareResult {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string, cid?: string): void => {
    violations.push({ kind, account: input.account, detail, ...(cid !== undefined ? { cid } : {}) });
  };
  const { service, truth } = input;

  // --- duplicates on either side
  const svcByCid = new Map<string, ServiceOrder[]>();
  for (const o of service.orders) svcByCid.set(o.client_order_id, [...(svcByCid.get(o.client_order_id) ?? []), o]);
  for (const [cid, list] of svcByCid) if (list.length > 1) add('duplicated', `service holds ${list.length} orders for client_order_id ${cid}`, cid);
  const exByCid = new Map<string, TruthOrder[]>();
  for (const t of truth.orders) {
    if (t.clientOrderId === undefined) {
      add('lost', `exchange order ${t.exchangeOrderId} has no client_order_id (not placed through the service?)`);
      continue;
    }
    exByCid.set(t.clientOrderId, [...(exByCid.get(t.clientOrderId) ?? []), t]);
  }
  for (const [cid, list] of exByCid)
    if (list.length > 1) add('duplicated', `exchange holds ${list.length} orders for client_order_id ${cid}: ${list.map((t) => `${t.exchangeOrderId}(${t.state})`).join(', ')}`, cid);

  // --- acknowledged orders must still exist, with the order_id the client was given
  for (const rec of input.ledger.cids.values()) {
    if (!rec.accepted) continue;
    const svc = svcByCid.get(rec.cid);
    if (!svc || svc.length === 0) add('lost', `acknowledged order ${rec.cid} (${[...rec.orderIds].join(',')}) is missing from the service`, rec.cid);
    else if (!svc.some((o) => rec.orderIds.has(o.order_id))) add('lost', `acknowledged order ${rec.cid} now has order_id ${svc[0]!.order_id}, was ${[...rec.orderIds].join(',')}`, rec.cid);
  }

  // --- every exchange order must be known to the service
  for (const [cid, list] of exByCid) if (!svcByCid.has(cid)) add('lost', `exchange has order ${list[0]!.exchangeOrderId} (${list[0]!.state}) for client_order_id ${cid}, the service has none`, cid);

  // --- states
  const exById = new Map(truth.orders.map((t) => [t.exchangeOrderId, t]));
  const byStatus: Record<string, number> = {};
  for (const o of service.orders) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    const cid = o.client_order_id;
    if (IN_FLIGHT.has(o.status)) {
      add('divergent', `order ${cid} still ${o.status} after final reconciliation`, cid);
      continue;
    }
    const t = (o.exchange_order_id !== undefined ? exById.get(o.exchange_order_id) : undefined) ?? exByCid.get(cid)?.[0];
    if (!t) {
      if (o.status !== 'rejected') add('divergent', `service says ${cid} is ${o.status} (exchange id ${o.exchange_order_id ?? '-'}), the exchange has no such order`, cid);
      else if (!new D(o.filled_amount).isZero()) add('divergent', `rejected order ${cid} has filled_amount ${o.filled_amount}`, cid);
      continue;
    }
    if (o.exchange_order_id !== undefined && o.exchange_order_id !== t.exchangeOrderId)
      add('divergent', `service maps ${cid} to exchange order ${o.exchange_order_id}, the exchange's is ${t.exchangeOrderId}`, cid);
    const want = expectedStatus(t);
    if (o.status !== want) add('divergent', `service says ${cid} is ${o.status}, exchange says ${t.state} (filled ${t.filled} of ${t.amount}) → expected ${want}`, cid);
    if (!same(o.filled_amount, t.filled)) add('divergent', `service filled_amount of ${cid} is ${o.filled_amount}, exchange filled ${t.filled}`, cid);
    if (!same(o.amount, t.amount)) add('divergent', `service amount of ${cid} is ${o.amount}, exchange ${t.amount}`, cid);
  }

  // --- list_orders agrees with the tables
  if (input.mcpOrders) {
    const byId = new Map(service.orders.map((o) => [o.order_id, o]));
    for (const m of input.mcpOrders) {
      const d = byId.get(m.order_id);
      if (!d) add('divergent', `list_orders shows ${m.order_id} (${m.client_order_id}) that the orders table lacks`, m.client_order_id);
      else if (d.status !== m.status || !same(d.filled_amount, m.filled_amount)) add('divergent', `list_orders shows ${m.client_order_id} as ${m.status}/${m.filled_amount}, the table as ${d.status}/${d.filled_amount}`, m.client_order_id);
    }
    const expected = Math.min(1000, service.orders.length);
    if (input.mcpOrders.length !== expected) add('divergent', `list_orders status all returned ${input.mcpOrders.length} orders, expected ${expected}`);
  }

  // --- fills
  const svcFills = new Map<string, ServiceView['fills'][number]>();
  for (const f of service.fills) {
    if (svcFills.has(f.fill_id)) add('duplicated', `service holds fill ${f.fill_id} twice`);
    svcFills.set(f.fill_id, f);
  }
  const exFills = new Map(truth.fills.map((f) => [f.fillId, f]));
  for (const f of truth.fills) {
    const s = svcFills.get(f.fillId);
    if (!s) add('divergent', `exchange fill ${f.fillId} (${f.amount} @ ${f.price} of ${f.exchangeOrderId}) is missing in the service`);
    else if (!same(s.amount, f.amount) || !same(s.price, f.price) || !same(s.fee, f.fee))
      add('divergent', `fill ${f.fillId}: service ${s.amount}@${s.price} fee ${s.fee}, exchange ${f.amount}@${f.price} fee ${f.fee}`);
  }
  for (const s of service.fills) if (!exFills.has(s.fill_id)) add('divergent', `service fill ${s.fill_id} (${s.amount} @ ${s.price}) is unknown to the exchange`);
  const fillSum = new Map<string, Dec>();
  for (const f of service.fills) fillSum.set(f.order_id, (fillSum.get(f.order_id) ?? new D(0)).plus(f.amount));
  for (const o of service.orders) {
    const sum = fillSum.get(o.order_id) ?? new D(0);
    if (!sum.eq(o.filled_amount)) add('divergent', `order ${o.client_order_id}: filled_amount ${o.filled_amount} ≠ sum of its fills ${decStr(sum)}`, o.client_order_id);
  }

  // --- balances
  if (input.serviceBalances) {
    for (const cur of new Set([...Object.keys(truth.balances), ...Object.keys(input.serviceBalances)])) {
      const e = truth.balances[cur] ?? { total: '0', reserved: '0' };
      const s = input.serviceBalances[cur] ?? { total: '0', reserved: '0' };
      if (!same(e.total, s.total) || !same(e.reserved, s.reserved))
        add('divergent', `balance ${cur}: service ${s.total} (reserved ${s.reserved}), exchange ${e.total} (reserved ${e.reserved})`);
    }
  }
  if (input.initialBalances && input.marketCurrencies) {
    const expect = new Map<string, Dec>();
    for (const [c, v] of Object.entries(input.initialBalances)) expect.set(c.toUpperCase(), new D(v));
    const bump = (c: string, v: Dec): void => void expect.set(c, (expect.get(c) ?? new D(0)).plus(v));
    for (const f of truth.fills) {
      const mc = input.marketCurrencies[f.market];
      if (!mc) continue;
      const quote = new D(f.amount).times(f.price);
      const sign = f.side === 'buy' ? 1 : -1;
      bump(mc.base, new D(f.amount).times(sign));
      bump(mc.quote, quote.times(-sign).minus(f.fee));
    }
    for (const [cur, v] of expect) {
      const actual = truth.balances[cur]?.total ?? '0';
      // Fees may be rounded per fill by the exchange; allow one unit of the 8th decimal per fill.
      if (v.minus(actual).abs().gt(new D('0.00000001').times(truth.fills.length + 1)))
        add('divergent', `exchange ${cur} total ${actual} ≠ initial + fills ${decStr(v)}`);
    }
  }

  const countOf = (k: ViolationKind): number => violations.filter((v) => v.kind === k).length;
  return {
    lost: countOf('lost'),
    duplicated: countOf('duplicated'),
    divergent: countOf('divergent'),
    violations,
    stats: { serviceOrders: service.orders.length, exchangeOrders: truth.orders.length, fills: truth.fills.length, byStatus },
  };
}

/**
 * The check that may run at any moment (terminal exchange states never change): every order the
 * service calls filled or cancelled must be filled or cancelled on the exchange too.
 */
export function terminalMismatches(service: ServiceView, truth: ExchangeTruth): string[] {
  const exById = new Map(truth.orders.map((t) => [t.exchangeOrderId, t]));
  const exByCid = new Map(truth.orders.filter((t) => t.clientOrderId !== undefined).map((t) => [t.clientOrderId!, t]));
  const out: string[] = [];
  for (const o of service.orders) {
    if (o.status !== 'filled' && o.status !== 'cancelled') continue;
    const t = (o.exchange_order_id !== undefined ? exById.get(o.exchange_order_id) : undefined) ?? exByCid.get(o.client_order_id);
    const want = o.status;
    if (!t) out.push(`service marked ${o.client_order_id} ${want}; the exchange has no such order`);
    else if (t.state !== want) out.push(`service marked ${o.client_order_id} ${want}; the exchange says ${t.state} (filled ${t.filled} of ${t.amount})`);
  }
  return out;
}
