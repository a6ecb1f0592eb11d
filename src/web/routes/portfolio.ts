import Router from '@koa/router';
import { accountPath, queryText, refFromParams, type RouteDeps } from './common.ts';
import { scriptJson } from './balances.ts';

const QUOTE_RE = /^[A-Za-z0-9]{2,12}$/;

/**
 * GET /dashboard/accounts/<ex>/<id>/portfolio[?quote=EUR] : value over time in one quote currency
 * (uPlot chart in UTC, and a table with the same numbers) and PnL from get_positions.
 */
export function portfolioRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/accounts/:exchange/:exchange_account_id/portfolio', async (ctx) => {
    const portfolio = services.portfolio;
    if (portfolio === undefined) {
      ctx.throw(404, 'the portfolio view is not available in this setup');
      return;
    }
    const ref = refFromParams(ctx);
    const account = services.accounts.get(ref);
    const quote = queryText(ctx, 'quote');
    if (quote !== undefined && !QUOTE_RE.test(quote)) ctx.throw(400, 'quote must be a currency code such as USD');
    const p = await portfolio.get(ref, quote !== undefined ? { quote } : {});
    const chart = { quote: p.quote_currency, points: p.points.map((pt) => [Date.parse(pt.at) / 1000, Number(pt.value)]).filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)) };
    await ctx.render('portfolio.njk', {
      title: `Portfolio of ${account.name}`,
      nav: 'accounts',
      account: { name: account.name, ref, path: accountPath(account) },
      p,
      points_newest_first: [...p.points].reverse(),
      chart_json: scriptJson(chart),
    });
  });
  return router;
}
