import Router from '@koa/router';
import type { AccountFillView, FillHistoryFilter } from '../../services/ports.ts';
import { sendCsv, type CsvColumn } from '../csv.ts';
import { queryText, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';
import { pageSize, pagerLinks, rangeQuery, wantsCsv } from './history-query.ts';

const PAGE_SIZE = 100;

export const FILL_CSV_COLUMNS: readonly CsvColumn<AccountFillView>[] = [
  { header: 'at', value: (f) => f.at },
  { header: 'account', value: (f) => f.account },
  { header: 'order_id', value: (f) => f.order_id },
  { header: 'fill_id', value: (f) => f.fill_id },
  { header: 'market', value: (f) => f.market },
  { header: 'side', value: (f) => f.side },
  { header: 'amount', value: (f) => f.amount },
  { header: 'price', value: (f) => f.price },
  { header: 'fee', value: (f) => f.fee },
  { header: 'fee_currency', value: (f) => f.fee_currency },
  { header: 'liquidity', value: (f) => f.liquidity },
];

/**
 * GET /dashboard/fills?account=&market=&since=&until=&cursor= : fills across accounts, newest
 * first, 100 a page with an "Older" cursor link; `&format=csv` downloads every fill the filter matches.
 */
export function fillRoutes({ services, clock }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/fills', async (ctx) => {
    const account = queryText(ctx, 'account');
    const market = queryText(ctx, 'market')?.toLowerCase();
    const range = rangeQuery(ctx);
    const filter: FillHistoryFilter = { ...range.range };
    if (account !== undefined) filter.account = account;
    if (market !== undefined) filter.market = market;
    if (wantsCsv(ctx) && range.error === undefined)
      return sendCsv(ctx, 'fills', clock.now(), FILL_CSV_COLUMNS, (cursor, limit) => services.history.fills({ ...filter, ...(cursor !== undefined ? { cursor } : {}), limit }), (f) => [f]);
    const cursor = queryText(ctx, 'cursor');
    const page = range.error !== undefined ? { items: [] } : services.history.fills({ ...filter, ...(cursor !== undefined ? { cursor } : {}), limit: pageSize(ctx, PAGE_SIZE) });
    await ctx.render('fills.njk', {
      title: 'Fills',
      nav: 'fills',
      fills: page.items,
      pager: pagerLinks(ctx, 'cursor', page.next),
      accounts: accountChoices(services.accounts.list()),
      filter: { account: account ?? '', market: market ?? '', ...range.values },
      error: range.error !== undefined ? { message: range.error } : undefined,
    });
  });
  return router;
}
