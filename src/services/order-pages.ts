/**
 * Paged reads of an account's orders and fills (list_orders, list_fills): newest first, `limit` rows
 * plus a next_cursor naming the last one. Keyset paging on the stored order, so orders and fills
 * added while a client pages are never returned twice and never push an older row out of reach.
 */
import type { AccountKey } from '../domain/account.ts';
import type { FillView, OrderView } from '../domain/order.ts';
import type { FillQuery, OrderQuery, OrderReadModel } from '../runtime/order-read-model.ts';
import { cursorRowGone, decodeCursor, pageOf } from './page-cursor.ts';

/** ISO bounds as stored (toISOString), so string comparison in SQL is time order. */
export function isoBounds(f: { since?: string | undefined; until?: string | undefined }): { since?: string; until?: string } {
  return {
    ...(f.since !== undefined ? { since: new Date(f.since).toISOString() } : {}),
    ...(f.until !== undefined ? { until: new Date(f.until).toISOString() } : {}),
  };
}

export function ordersPage(
  reads: OrderReadModel,
  accountKey: AccountKey,
  q: Omit<OrderQuery, 'accountKey' | 'beforePosition'>,
  cursor: string | undefined,
): { orders: OrderView[]; next_cursor?: string } {
  let beforePosition: number | undefined;
  if (cursor !== undefined) {
    beforePosition = reads.orderPosition(accountKey, decodeCursor('orders', cursor));
    if (beforePosition === undefined) throw cursorRowGone();
  }
  const rows = reads.list({ ...q, accountKey, ...(beforePosition !== undefined ? { beforePosition } : {}), limit: q.limit + 1 });
  const { items, next_cursor } = pageOf(rows, q.limit, 'orders', (o) => o.order_id);
  return { orders: items, ...(next_cursor !== undefined ? { next_cursor } : {}) };
}

export function fillsPage(
  reads: OrderReadModel,
  accountKey: AccountKey,
  q: Omit<FillQuery, 'before'>,
  cursor: string | undefined,
): { fills: FillView[]; next_cursor?: string } {
  let before: FillQuery['before'];
  if (cursor !== undefined) {
    before = reads.fillPosition(accountKey, decodeCursor('fills', cursor));
    if (before === undefined) throw cursorRowGone();
  }
  const rows = reads.listFills(accountKey, { ...q, ...(before !== undefined ? { before } : {}), limit: q.limit + 1 });
  const { items, next_cursor } = pageOf(rows, q.limit, 'fills', (f) => f.fill_id);
  return { fills: items, ...(next_cursor !== undefined ? { next_cursor } : {}) };
}
