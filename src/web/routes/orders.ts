import Router from '@koa/router';
import { queryText, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';
import { pageSize, pagerLinks, wantsCsv } from './history-query.ts';
import { STATUS_CHOICES, orderListQuery, sendOrdersCsv } from './order-list.ts';

const PAGE_LIMIT = 200;

/**
 * GET /dashboard/orders?account=&status=&market=&since=&until=&cursor= : orders across accounts,
 * newest first, 200 a page with an "Older" cursor link; `&format=csv` downloads every match.
 */
export function orderRoutes({ services, clock }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/orders', async (ctx) => {
    const q = orderListQuery(ctx);
    if (wantsCsv(ctx) && q.error === undefined) return sendOrdersCsv(ctx, services, clock.now(), q.filter);
    const cursor = queryText(ctx, 'cursor');
    const page = q.error !== undefined ? { items: [] } : services.history.orders({ ...q.filter, ...(cursor !== undefined ? { cursor } : {}), limit: pageSize(ctx, PAGE_LIMIT) });
    const orders = page.items;
    await ctx.render('orders.njk', {
      title: 'Orders',
      nav: 'orders',
      orders,
      pager: pagerLinks(ctx, 'cursor', page.next),
      accounts: accountChoices(services.accounts.list()),
      statuses: STATUS_CHOICES,
      filter: q.values,
      error: q.error !== undefined ? { message: q.error } : undefined,
    });
  });
  return router;
}
