import Router from '@koa/router';
import { queryText, type RouteDeps } from './common.ts';

const PAGE_SIZE = 50;

/** GET /dashboard/audit?before=<seq> : the audit log, newest first, 50 rows a page. */
export function auditRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/audit', async (ctx) => {
    const beforeText = queryText(ctx, 'before');
    const before = beforeText !== undefined && /^\d{1,15}$/.test(beforeText) ? Number(beforeText) : undefined;
    const entries = services.audit.page(before === undefined ? { limit: PAGE_SIZE } : { before, limit: PAGE_SIZE });
    const oldest = entries[entries.length - 1];
    await ctx.render('audit.njk', {
      title: 'Audit log',
      nav: 'audit',
      entries,
      older: entries.length === PAGE_SIZE && oldest !== undefined && oldest.seq > 1 ? oldest.seq : undefined,
      paged: before !== undefined,
    });
  });
  return router;
}
