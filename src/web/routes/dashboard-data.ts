import { ACCOUNT_MODES, EXCHANGES, accountRef } from '../../domain/account.ts';
import type { Account } from '../../domain/account.ts';
import type { AccountDetail, BalanceView, BalancesResult, Services } from '../../services/ports.ts';
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

function rowOf(d: AccountDetail, ref: string, latest: BalancesResult | undefined): AccountRow {
  const row: AccountRow = {
    name: d.name,
    exchange: d.exchange,
    exchange_account_id: d.exchange_account_id,
    ref,
    path: accountPath(d),
    mode: d.mode,
    enabled: d.enabled,
    kill_switch: d.limits.kill_switch === true,
    has_credentials: d.has_credentials,
  };
  if (d.parent !== undefined) row.parent = d.parent;
  if (d.credentials_set_at !== undefined) row.credentials_set_at = d.credentials_set_at;
  if (d.last_balance_at !== undefined) row.last_balance_at = d.last_balance_at;
  // Only what the store holds: the page never waits for an exchange.
  if (latest !== undefined) row.last_balance = balanceSummary(latest.balances);
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

/**
 * Everything the accounts page shows, read fresh on every request with a constant number of
 * queries (batch reads, not one service call per account): no page-data cache, so changes made
 * by the CLI or by fills are visible on the next page view.
 */
export function dashboardData(services: Services): DashboardData {
  const details = services.accounts.listDetails();
  const latest = services.balances.latestForAll();
  const accounts: AccountRow[] = [];
  const parents: { value: string; label: string }[] = [];
  for (const d of details) {
    const ref = accountRef(d);
    accounts.push(rowOf(d, ref, latest.get(ref)));
    parents.push({ value: ref, label: `${d.name} (${ref})` });
  }
  return { accounts, parents, global_kill_switch: services.accounts.globalKillSwitch(), exchanges: EXCHANGES, modes: ACCOUNT_MODES };
}

/** Select options naming accounts by public reference (value) and name (label). */
export function accountChoices(accounts: Account[]): { value: string; label: string }[] {
  return accounts.map((a) => ({ value: accountRef(a), label: `${a.name} (${accountRef(a)})` }));
}
