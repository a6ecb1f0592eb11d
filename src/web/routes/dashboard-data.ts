import { ACCOUNT_MODES, accountRef, knownExchanges } from '../../domain/account.ts';
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
  /** The parent account's name (what the table shows; `parent` is its reference). */
  parent_name?: string;
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
  accounts: readonly Readonly<AccountRow>[];
  /** Choices for the parent select: public references only. */
  parents: readonly Readonly<{ value: string; label: string }>[];
  global_kill_switch: boolean;
  exchanges: readonly string[];
  /** The add-account form's exchange choice: the built-ins and every EXEC_MCP_EXCHANGES id. */
  exchange_options?: readonly Readonly<{ value: string; label: string }>[];
  modes: readonly string[];
}

const EXCHANGE_LABELS: Record<string, string> = { bitstamp: 'Bitstamp (live)', paper: 'Paper (simulated)' };

/** The last page data read per Services, with the store version it was read at. */
const lastRead = new WeakMap<Services, { version: string; data: DashboardData }>();

/**
 * Everything the accounts page shows, in a constant number of queries (batch reads, not one
 * service call per account). Read again whenever the store changed since the last read (by this
 * process, a fill, or the CLI: status.storeVersion()), so a page never shows older data than a
 * fresh read would; reused (frozen, shared by concurrent renders) while nothing changed.
 */
export function dashboardData(services: Services): DashboardData {
  // The version is taken before the read: a change landing during the read moves it again.
  const version = services.status.storeVersion();
  const last = lastRead.get(services);
  if (last?.version === version) return last.data;
  const data = readDashboardData(services);
  lastRead.set(services, { version, data });
  return data;
}

function readDashboardData(services: Services): DashboardData {
  const details = services.accounts.listDetails();
  const latest = services.balances.latestForAll();
  const accounts: AccountRow[] = [];
  const parents: { value: string; label: string }[] = [];
  const nameOf = new Map(details.map((d) => [accountRef(d), d.name]));
  for (const d of details) {
    const ref = accountRef(d);
    const row = rowOf(d, ref, latest.get(ref));
    const parentName = row.parent !== undefined ? nameOf.get(row.parent) : undefined;
    if (parentName !== undefined) row.parent_name = parentName;
    accounts.push(row);
    parents.push({ value: ref, label: `${d.name} (${ref})` });
  }
  for (const a of accounts) Object.freeze(a);
  for (const p of parents) Object.freeze(p);
  return Object.freeze({ accounts: Object.freeze(accounts), parents: Object.freeze(parents), global_kill_switch: services.accounts.globalKillSwitch(), exchanges: knownExchanges(), exchange_options: knownExchanges().map((value) => Object.freeze({ value, label: EXCHANGE_LABELS[value] ?? `${value} (live, via ccxt)` })), modes: ACCOUNT_MODES });
}

/** Select options naming accounts by public reference (value) and name (label). */
export function accountChoices(accounts: Account[]): { value: string; label: string }[] {
  return accounts.map((a) => ({ value: accountRef(a), label: `${a.name} (${accountRef(a)})` }));
}

/**
 * Backtest accounts (one per backtest run, often many) are left out of the accounts table unless
 * asked for (`?backtests=show`); the page says how many are hidden and links to them.
 */
export function withBacktestFilter(data: DashboardData, show: boolean): DashboardData & { backtests_hidden: number; backtests_shown: boolean } {
  const backtests = data.accounts.filter((a) => a.mode === 'backtest').length;
  if (show || backtests === 0) return { ...data, backtests_hidden: 0, backtests_shown: show && backtests > 0 };
  return { ...data, accounts: data.accounts.filter((a) => a.mode !== 'backtest'), backtests_hidden: backtests, backtests_shown: false };
}
