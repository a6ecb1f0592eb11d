import Router from '@koa/router';
import { flash } from '../auth.ts';
import { onFormError } from '../errors.ts';
import { FormProblems, formFields, optionalText } from '../forms.ts';
import { DASHBOARD_ACTOR, seeOther, type RouteDeps } from './common.ts';

/** GET /dashboard/status (connections, metadata cache) and POST /dashboard/status/refresh ("refresh now"). */
export function statusRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  const locals = () => ({
    title: 'Status',
    nav: 'status',
    connections: services.status.connections(),
    quarantined_fills: services.status.quarantinedFills(),
    metadata: services.status.metadata(),
    exchanges: services.markets.listExchanges().filter((e) => e.live),
    global_kill_switch: services.accounts.globalKillSwitch(),
  });

  router.get('/dashboard/status', async (ctx) => {
    await ctx.render('status.njk', locals());
  });

  router.post('/dashboard/status/refresh', async (ctx) => {
    const f = formFields(ctx);
    onFormError(ctx, { view: 'status.njk', values: {}, locals });
    const exchange = optionalText(f['exchange']);
    const known = services.markets.listExchanges().map((e) => e.id);
    const p = new FormProblems();
    if (exchange === undefined || !known.includes(exchange)) p.add('exchange', `must be one of ${known.join(', ')}`);
    p.throwIfAny();
    const st = await services.markets.refresh(exchange ?? '', DASHBOARD_ACTOR);
    if (st.last_error !== undefined && st.last_attempt_at !== undefined && st.last_attempt_at !== st.refreshed_at)
      flash(ctx, 'error', `Refreshing ${exchange} metadata failed: ${st.last_error}. The cached data (${st.source ?? 'unknown source'}) stays in use.`);
    else flash(ctx, 'ok', `${exchange} metadata refreshed: ${st.markets} markets, ${st.currencies} currencies.`);
    seeOther(ctx, '/dashboard/status');
  });
  return router;
}
