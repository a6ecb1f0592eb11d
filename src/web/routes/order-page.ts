import Router from '@koa/router';
import { isDomainError } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/order.ts';
import type { AuditEntryView } from '../../services/ports.ts';
import { accountPath, type RouteDeps } from './common.ts';

/** One audit row of an order as the trail shows it: the transition first, the rest of the payload beside it. */
export interface TrailRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  from?: string;
  to?: string;
  reason?: string;
  details: Record<string, unknown>;
}

export function trailRow(e: AuditEntryView): TrailRow {
  const { from, to, reason, ...details } = e.payload;
  const row: TrailRow = { seq: e.seq, at: e.at, actor: e.actor, action: e.action, details };
  if (typeof from === 'string') row.from = from;
  if (typeof to === 'string') row.to = to;
  if (typeof reason === 'string') row.reason = reason;
  return row;
}

/** GET /dashboard/orders/<order_id> : every field of one order, its fills and its audit trail. Unknown id: 404. */
export function orderPageRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/orders/:order_id', async (ctx) => {
    const { order, fills, audit } = services.history.order(ctx.params['order_id'] ?? '');
    let account: { name: string; ref: string; path?: string } = { name: order.account, ref: order.account };
    try {
      const a = services.accounts.get(order.account);
      account = { name: a.name, ref: order.account, path: accountPath(a) };
    } catch (e) {
      if (!isDomainError(e)) throw e; // the account was deleted: the order still shows, under its reference
    }
    // A live order gets the orders list's Cancel (brake route), coming back to this page.
    const cancel = !isTerminal(order.status) && account.path !== undefined ? `${account.path}/orders/${encodeURIComponent(order.order_id)}/cancel?back=${encodeURIComponent(ctx.path)}` : undefined;
    await ctx.render('order.njk', { title: `Order ${order.order_id}`, nav: 'orders', order, account, fills, trail: audit.map(trailRow), cancel });
  });
  return router;
}
