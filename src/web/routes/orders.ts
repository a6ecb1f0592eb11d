import Router from '@koa/router';
import { ORDER_STATUSES, type OrderStatus } from '../../domain/order.ts';
import type { ListOrdersFilter } from '../../services/ports.ts';
import { queryText, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';

const PAGE_LIMIT = 200;
const STATUS_CHOICES = ['all', 'open', 'closed', ...ORDER_STATUSES] as const;

/** GET /dashboard/orders?account=&status=&market= : orders across accounts, newest first. */
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
    await ctx.render('orders.njk', {
      title: 'Orders',
      nav: 'orders',
      orders,
      limit: PAGE_LIMIT,
      accounts: accountChoices(services.accounts.list()),
      statuses: STATUS_CHOICES,
      filter: { account: account ?? '', status, market: market ?? '' },
      error: invalidStatus ? { message: `status must be one of ${STATUS_CHOICES.join(', ')}` } : undefined,
    });
  });
  return router;
}
