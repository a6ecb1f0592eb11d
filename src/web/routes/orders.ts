import Router from '@koa/router';
import type { Context } from 'koa';
import { parseAccountRef } from '../../domain/account.ts';
import { isDomainError } from '../../domain/errors.ts';
import { isTerminal, ORDER_STATUSES, type OrderStatus, type OrderView } from '../../domain/order.ts';
import { cancelOpenOrders, describeCancels } from '../../services/brake.ts';
import type { ListOrdersFilter } from '../../services/ports.ts';
import { flash } from '../auth.ts';
import { DASHBOARD_ACTOR, accountPath, queryText, refFromParams, seeOther, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';

const PAGE_LIMIT = 200;
const STATUS_CHOICES = ['all', 'open', 'closed', ...ORDER_STATUSES] as const;
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
 * GET /dashboard/orders?account=&status=&market= : orders across accounts, newest first, with the
 * operator's brake: Cancel on each open order, and "cancel all open orders" per account.
 */
export function orderRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/orders', async (ctx) => {
    const account = queryText(ctx, 'account');
    const status = queryText(ctx, 'status') ?? 'all';
    const market = queryText(ctx, 'market')?.toLowerCase();
    const filter: ListOrdersFilter & { account?: string } = { limit: PAGE_LIMIT };
    if (account !== undefined) filter.account = account;
    if (market !== undefined) filter.market = market;
    if (status === 'open' || status === 'closed' || status === 'all') filter.status = status;
    else if ((ORDER_STATUSES as readonly string[]).includes(status)) filter.statuses = [status as OrderStatus];
    const invalidStatus = !(STATUS_CHOICES as readonly string[]).includes(status);
    const orders = invalidStatus ? [] : services.orders.listAll(filter);
    const live = orders.filter((o) => !isTerminal(o.status));
    const rows = orders.map((o: OrderView) => ({ ...o, cancel_path: isTerminal(o.status) ? undefined : pathOfRef(o.account) }));
    const brakes = [...new Set(live.map((o) => o.account))].map((ref) => ({ ref, path: pathOfRef(ref), open: live.filter((o) => o.account === ref).length }));
    await ctx.render('orders.njk', {
      title: 'Orders',
      nav: 'orders',
      orders: rows,
      brakes: brakes.filter((b) => b.path !== undefined),
      back: ctx.url,
      limit: PAGE_LIMIT,
      accounts: accountChoices(services.accounts.list()),
      statuses: STATUS_CHOICES,
      filter: { account: account ?? '', status, market: market ?? '' },
      error: invalidStatus ? { message: `status must be one of ${STATUS_CHOICES.join(', ')}` } : undefined,
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
