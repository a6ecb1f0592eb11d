import type { Middleware } from 'koa';
import { modeChoices } from '../services/account-modes.ts';
import type { Services } from '../services/ports.ts';

export interface ModeGroup {
  exchange: string;
  label: string;
  modes: string[];
}

/**
 * `mode_groups` for every page (views/partials/mode-select.njk): per exchange, the modes it
 * accepts, so the account forms never offer a mode the exchange refuses.
 */
export function modeChoicesState(services: Pick<Services, 'markets'>): Middleware {
  // The exchanges are fixed when the service starts: the groups are built once, on first use.
  let groups: readonly ModeGroup[] | undefined;
  return async function modeGroups(ctx, next) {
    if (ctx.method === 'GET' || ctx.method === 'POST') {
      groups ??= Object.freeze(services.markets.listExchanges().map((e): ModeGroup => Object.freeze({ exchange: e.id, label: e.name, modes: modeChoices(e.id) })));
      ctx.state['mode_groups'] = groups;
    }
    await next();
  };
}
