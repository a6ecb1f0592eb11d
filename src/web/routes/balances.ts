import Router from '@koa/router';
import { queryText, refFromParams, accountPath, type RouteDeps } from './common.ts';

const HISTORY_LIMIT = 500;

/** Chart input: one series per currency, x = epoch seconds, y = total (floats are fine for a picture). */
export interface ChartData {
  currencies: { currency: string; points: [number, number][] }[];
}

export function chartData(snapshots: { at: string; balances: { currency: string; total: string }[] }[]): ChartData {
  const byCurrency = new Map<string, [number, number][]>();
  const ordered = [...snapshots].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const s of ordered) {
    const t = Date.parse(s.at) / 1000;
    if (!Number.isFinite(t)) continue;
    for (const b of s.balances) {
      const y = Number(b.total);
      if (!Number.isFinite(y)) continue;
      const list = byCurrency.get(b.currency) ?? [];
      list.push([t, y]);
      byCurrency.set(b.currency, list);
    }
  }
  return { currencies: [...byCurrency.entries()].map(([currency, points]) => ({ currency, points })) };
}

/** JSON for a <script type="application/json"> block: "<" escaped so the data cannot close the tag. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** GET /dashboard/accounts/<ex>/<id>/balances : balance history table + uPlot chart (served locally). */
export function balanceRoutes({ services }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/accounts/:exchange/:exchange_account_id/balances', async (ctx) => {
    const ref = refFromParams(ctx);
    const account = services.accounts.get(ref);
    const currency = queryText(ctx, 'currency')?.toUpperCase();
    const filter: { currency?: string; limit: number } = { limit: HISTORY_LIMIT };
    if (currency !== undefined) filter.currency = currency;
    const { snapshots } = services.balances.history(ref, filter);
    const newestFirst = [...snapshots].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    await ctx.render('balances.njk', {
      title: `Balances of ${account.name}`,
      nav: 'accounts',
      account: { name: account.name, exchange: account.exchange, exchange_account_id: account.exchange_account_id, ref, path: accountPath(account) },
      currency: currency ?? '',
      snapshots: newestFirst,
      chart_json: scriptJson(chartData(snapshots)),
      limit: HISTORY_LIMIT,
    });
  });
  return router;
}
