/** HistoryService of the in-memory dashboard fake: pages over its arrays (no fills in the fake). */
import { DomainError } from '../../src/domain/errors.ts';
import type { OrderView } from '../../src/domain/order.ts';
import type { Account } from '../../src/domain/account.ts';
import { accountRef } from '../../src/domain/account.ts';
import type { AuditEntryView, BalanceView, HistoryPage, HistoryService } from '../../src/services/ports.ts';

function inRange(at: string, f: { since?: string; until?: string }): boolean {
  return (f.since === undefined || at >= new Date(f.since).toISOString()) && (f.until === undefined || at < new Date(f.until).toISOString());
}

function page<T>(newestFirst: T[], start: number, limit: number, cursorOf: (t: T, i: number) => string): HistoryPage<T> {
  const items = newestFirst.slice(start, start + limit);
  const last = items[items.length - 1];
  return start + limit < newestFirst.length && last !== undefined ? { items, next: cursorOf(last, start + limit) } : { items };
}

export function fakeHistory(s: {
  orders: OrderView[];
  audit: AuditEntryView[];
  snapshots: Map<string, { at: string; balances: BalanceView[] }[]>;
  resolve: (ref: string) => Account;
}): HistoryService {
  return {
    order(orderId) {
      const order = s.orders.find((o) => o.order_id === orderId);
      if (!order) throw new DomainError('ORDER_NOT_FOUND', `no order with order_id ${orderId}`);
      return { order, fills: [], audit: s.audit.filter((e) => e.subject === orderId || e.payload['order_id'] === orderId) };
    },
    orders(f) {
      const ref = f.account === undefined ? undefined : accountRef(s.resolve(f.account));
      const all = s.orders
        .filter((o) => (ref === undefined || o.account === ref) && (f.market === undefined || o.market === f.market) && (f.statuses === undefined || f.statuses.includes(o.status)) && inRange(o.created_at, f))
        .slice()
        .reverse();
      const start = f.cursor === undefined ? 0 : all.findIndex((o) => o.order_id === f.cursor) + 1;
      return page(all, start, f.limit ?? 100, (o) => o.order_id);
    },
    fills: () => ({ items: [] }),
    audit(f) {
      const all = s.audit.filter((e) => (f.before === undefined || e.seq < f.before) && inRange(e.at, f)).slice().reverse();
      return page(all, 0, f.limit ?? 50, (e) => String(e.seq));
    },
    balances(account, f) {
      const all = (s.snapshots.get(accountRef(s.resolve(account))) ?? []).filter((x) => inRange(x.at, f)).slice().reverse();
      const start = f.cursor === undefined ? 0 : Number(f.cursor);
      return page(all, start, f.limit ?? 100, (_x, next) => String(next));
    },
  };
}
