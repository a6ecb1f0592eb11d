import type { Context } from 'koa';
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Services } from '../../services/ports.ts';

/** Audit actor of every dashboard change. */
export const DASHBOARD_ACTOR = 'dashboard:admin';

export interface RouteDeps {
  services: Services;
  clock: Clock;
  logger: Logger;
}

export { accountPath } from './account-path.ts';

/** Service reference "<exchange>:<exchange_account_id>" from the route parameters. */
export function refFromParams(ctx: Context & { params: Record<string, string> }): string {
  return `${ctx.params['exchange'] ?? ''}:${ctx.params['exchange_account_id'] ?? ''}`;
}

/** Post/redirect/get: 303 so the browser follows with GET. */
export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

export function queryText(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  const t = s?.trim();
  return t === undefined || t === '' ? undefined : t;
}
