import Router from '@koa/router';
import type { Context } from 'koa';
import { parseAccountRef } from '../../domain/account.ts';
import { isDomainError } from '../../domain/errors.ts';
import { isTerminal, type OrderView } from '../../domain/order.ts';
import { cancelOpenOrders, describeCancels } from '../../services/brake.ts';
import { flash } from '../auth.ts';
import { DASHBOARD_ACTOR, accountPath, queryText, refFromParams, seeOther, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';
import { pageSize, pagerLinks, wantsCsv } from './history-query.ts';
import { STATUS_CHOICES, orderListQuery, sendOrdersCsv } from './order-list.ts';

const PAGE_LIMIT = 200;
const ACCOUNT = '/dashboard/accounts/:exchange/:exchange_account_id';

/** Where a brake form returns (`?back=` of its action): the dashboard page it was posted from, never another site. */
function backTo(ctx: Context, fallback: string): string {
  const back = queryText(ctx, 'back');
  return back !== undefined && /^\/dashboard(?:[/?]|$)/.test(back) && !back.includes('//') && !back.includes('\\') ? back : fallback;
}

/** The account's dashboard path of an order, for its Cancel form (public reference only). */
function pathOfRef(ref: string): string | undefined {
  const p = parseAccountRef(ref);
  return 'name' in p ? undefined : accountPath({ exchange: p.exchange, exchange_account_id: p.exchangeAccountId });
}

/**
 * GET /dashboard/orders?account=&status=&market=&since=&until=&cursor= : orders across accounts,
 * newest first, 200 a page with an "Older" cursor link; `&format=csv` downloads every match. With
 * the operator's brake: Cancel on each open order, and "cancel all open orders" per account.
 */
export function orderRoutes({ services, clock }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/orders', async (ctx) => {
    const q = orderListQuery(ctx);
    if (wantsCsv(ctx) && q.error === undefined) return sendOrdersCsv(ctx, services, clock.now(), q.filter);
    const cursor = queryText(ctx, 'cursor');
    const page = q.error !== undefined ? { items: [] } : services.history.orders({ ...q.filter, ...(cursor !== undefined ? { cursor } : {}), limit: pageSize(ctx, PAGE_LIMIT) });
    const orders = page.items;
    const live = orders.filter((o) => !isTerminal(o.status));
    const rows = orders.map((o: OrderView) => ({ ...o, cancel_path: isTerminal(o.status) ? undefined : pathOfRef(o.account) }));
    const brakes = [...new Set(live.map((o) => o.account))].map((ref) => ({ ref, path: pathOfRef(ref), open: live.filter((o) => o.account === ref).length }));
    await ctx.render('orders.njk', {
      title: 'Orders',
      nav: 'orders',
      orders: rows,
      brakes: brakes.filter((b) => b.path !== undefined),
      back: ctx.url,
      pager: pagerLinks(ctx, 'cursor', page.next),
      accounts: accountChoices(services.accounts.list()),
      statuses: STATUS_CHOICES,
      filter: q.values,
      error: q.error !== undefined ? { message: q.error } : undefined,
    });
  });

  router.post(`${ACCOUNT}/orders/:order_id/cancel`, async (ctx) => {
    const ref = refFromParams(ctx);
    const back = backTo(ctx, `/dashboard/orders?account=${encodeURIComponent(ref)}`);
    try {
      const o = await services.orders.cancel(ref, { order_id: ctx.params['order_id'] ?? '' }, DASHBOARD_ACTOR);
      flash(ctx, 'ok', `Order ${o.order_id} on ${ref}: ${o.status === 'cancelled' ? 'cancelled' : `cancel sent, now ${o.status.replace('_', ' ')}`}.`);
    } catch (e) {
      // Back to the list with the reason (already filled, not found ...), not an error page.
      if (!isDomainError(e)) throw e;
      flash(ctx, 'error', `Order ${ctx.params['order_id'] ?? ''} on ${ref} not cancelled: ${e.message}`);
    }
    seeOther(ctx, back);
  });

  router.post(`${ACCOUNT}/cancel-open-orders`, async (ctx) => {
    const ref = refFromParams(ctx);
    const back = backTo(ctx, `/dashboard/orders?account=${encodeURIComponent(ref)}&status=open`);
    const results = await cancelOpenOrders(services, ref, DASHBOARD_ACTOR);
    flash(ctx, results.some((r) => r.error || r.still_open > 0) ? 'error' : 'ok', `Cancel all open orders: ${describeCancels(results)}.`);
    seeOther(ctx, back);
  });
  return router;
}
