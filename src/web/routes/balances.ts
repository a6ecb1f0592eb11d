import Router from '@koa/router';
import type { BalanceView } from '../../services/ports.ts';
import { sendCsv, type CsvColumn } from '../csv.ts';
import { queryText, refFromParams, accountPath, type RouteDeps } from './common.ts';
import { rangeQuery, wantsCsv } from './history-query.ts';

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

type BalanceRow = BalanceView & { at: string; account: string };
const BALANCE_CSV_COLUMNS: readonly CsvColumn<BalanceRow>[] = [
  { header: 'at', value: (b) => b.at },
  { header: 'account', value: (b) => b.account },
  { header: 'currency', value: (b) => b.currency },
  { header: 'total', value: (b) => b.total },
  { header: 'available', value: (b) => b.available },
  { header: 'reserved', value: (b) => b.reserved },
];

/**
 * GET /dashboard/accounts/<ex>/<id>/balances?currency=&since=&until= : balance history table +
 * uPlot chart (served locally) of the newest 500 snapshots in range; `&format=csv` downloads all of them.
 */
export function balanceRoutes({ services, clock }: RouteDeps): Router {
  const router = new Router();
  router.get('/dashboard/accounts/:exchange/:exchange_account_id/balances', async (ctx) => {
    const ref = refFromParams(ctx);
    const account = services.accounts.get(ref);
    const currency = queryText(ctx, 'currency')?.toUpperCase();
    const range = rangeQuery(ctx);
    const filter: { currency?: string; since?: string; until?: string; limit: number } = { ...range.range, limit: HISTORY_LIMIT };
    if (currency !== undefined) filter.currency = currency;
    if (wantsCsv(ctx) && range.error === undefined) {
      const { limit: _all, ...csvFilter } = filter;
      return sendCsv(ctx, `balances-${account.name}`, clock.now(), BALANCE_CSV_COLUMNS, (cursor, limit) => services.history.balances(ref, { ...csvFilter, ...(cursor !== undefined ? { cursor } : {}), limit }), (s) =>
        s.balances.map((b) => ({ ...b, at: s.at, account: ref })),
      );
    }
    const { snapshots } = range.error !== undefined ? { snapshots: [] } : services.balances.history(ref, filter);
    const newestFirst = [...snapshots].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    await ctx.render('balances.njk', {
      title: `Balances of ${account.name}`,
      nav: 'accounts',
      account: { name: account.name, exchange: account.exchange, exchange_account_id: account.exchange_account_id, ref, path: accountPath(account) },
      currency: currency ?? '',
      filter: range.values,
      csv: csvLink(ctx.path, currency, range.values),
      error: range.error !== undefined ? { message: range.error } : undefined,
      snapshots: newestFirst,
      chart_json: scriptJson(chartData(snapshots)),
      limit: HISTORY_LIMIT,
    });
  });
  return router;
}

function csvLink(path: string, currency: string | undefined, range: { since: string; until: string }): string {
  const p = new URLSearchParams();
  if (currency !== undefined) p.set('currency', currency);
  if (range.since !== '') p.set('since', range.since);
  if (range.until !== '') p.set('until', range.until);
  p.set('format', 'csv');
  return `${path}?${p.toString()}`;
}
