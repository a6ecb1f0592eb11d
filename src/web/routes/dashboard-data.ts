import { ACCOUNT_MODES, EXCHANGES, accountRef } from '../../domain/account.ts';
import type { Account } from '../../domain/account.ts';
import type { BalanceView, Services } from '../../services/ports.ts';
import { accountPath } from './account-path.ts';

/** One row of the accounts table. No internal key: the account is addressed by `path`/`ref` only. */
export interface AccountRow {
  name: string;
  exchange: string;
  exchange_account_id: string;
  ref: string;
  path: string;
  parent?: string;
  mode: string;
  enabled: boolean;
  kill_switch: boolean;
  has_credentials: boolean;
  credentials_set_at?: string;
  last_balance_at?: string;
  last_balance?: string;
}

const MAX_CURRENCIES_SHOWN = 3;

/** "USD 10000, BTC 0.5 (+2 more)": the non-zero totals in the order the service lists them. */
export function balanceSummary(balances: BalanceView[]): string {
  const nonZero = balances.filter((b) => !/^0(\.0*)?$/.test(b.total));
  if (nonZero.length === 0) return 'all zero';
  const shown = nonZero.slice(0, MAX_CURRENCIES_SHOWN).map((b) => `${b.currency} ${b.total}`);
  const more = nonZero.length - shown.length;
  return more > 0 ? `${shown.join(', ')} (+${more} more)` : shown.join(', ');
}

async function rowOf(services: Services, a: Account): Promise<AccountRow> {
  const ref = accountRef(a);
  const d = services.accounts.get(ref);
  const row: AccountRow = {
    name: a.name,
    exchange: a.exchange,
    exchange_account_id: a.exchange_account_id,
    ref,
    path: accountPath(a),
    mode: a.mode,
    enabled: a.enabled,
    kill_switch: a.limits.kill_switch === true,
    has_credentials: d.has_credentials,
  };
  if (a.parent !== undefined) row.parent = a.parent;
  if (d.credentials_set_at !== undefined) row.credentials_set_at = d.credentials_set_at;
  if (d.last_balance_at !== undefined) {
    row.last_balance_at = d.last_balance_at;
    // Only when something was recorded: get(ref, false) then answers from the store, no exchange call.
    try {
      row.last_balance = balanceSummary((await services.balances.get(ref, false)).balances);
    } catch {
      row.last_balance = 'unavailable';
    }
  }
  return row;
}

export interface DashboardData {
  accounts: AccountRow[];
  /** Choices for the parent select: public references only. */
  parents: { value: string; label: string }[];
  global_kill_switch: boolean;
  exchanges: readonly string[];
  modes: readonly string[];
}

export async function dashboardData(services: Services): Promise<DashboardData> {
  const accounts = services.accounts.list();
  const rows = await Promise.all(accounts.map((a) => rowOf(services, a)));
  return {
    accounts: rows,
    parents: accountChoices(accounts),
    global_kill_switch: services.accounts.globalKillSwitch(),
    exchanges: EXCHANGES,
    modes: ACCOUNT_MODES,
  };
}

/** Select options naming accounts by public reference (value) and name (label). */
export function accountChoices(accounts: Account[]): { value: string; label: string }[] {
  return accounts.map((a) => ({ value: accountRef(a), label: `${a.name} (${accountRef(a)})` }));
}
