import Router from '@koa/router';
import type { AuditHistoryFilter } from '../../services/ports.ts';
import { queryText, type RouteDeps } from './common.ts';
import { pagerLinks, rangeQuery } from './history-query.ts';

const PAGE_SIZE = 50;

/** GET /dashboard/audit?since=&until=&before=<seq> : the audit log, newest first, 50 rows a page. */
export function auditRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/audit', async (ctx) => {
    const beforeText = queryText(ctx, 'before');
    const before = beforeText !== undefined && /^\d{1,15}$/.test(beforeText) && Number(beforeText) > 0 ? Number(beforeText) : undefined;
    const range = rangeQuery(ctx);
    const filter: AuditHistoryFilter = { ...range.range, limit: PAGE_SIZE };
    if (before !== undefined) filter.before = before;
    const page = range.error !== undefined ? { items: [] } : services.history.audit(filter);
    const { csv: _csv, ...pager } = pagerLinks(ctx, 'before', page.next);
    await ctx.render('audit.njk', {
      title: 'Audit log',
      nav: 'audit',
      entries: page.items,
      pager,
      paged: before !== undefined,
      filter: range.values,
      error: range.error !== undefined ? { message: range.error } : undefined,
    });
  });
  return router;
}
