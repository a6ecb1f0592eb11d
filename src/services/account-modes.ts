import { MODES_BY_EXCHANGE } from '../accounts/rules.ts';
import type { AccountMode, ExchangeId } from '../domain/account.ts';

/**
 * The modes an operator may choose for an account on `exchange` (dashboard forms): those the
 * exchange allows (accounts/rules.ts), without `backtest`, whose accounts backtest_create makes
 * with their own simulator (one made by hand would have no venue). Unknown exchange: none.
 */
export function modeChoices(exchange: string): AccountMode[] {
  const allowed = (MODES_BY_EXCHANGE as Partial<Record<string, readonly AccountMode[]>>)[exchange as ExchangeId] ?? [];
  return allowed.filter((m) => m !== 'backtest');
}
