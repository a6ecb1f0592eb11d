/**
 * The operator's brake: cancel every open order of one account or of all accounts, and the kill
 * switches with "stop and cancel all open orders". Built from AccountsService and OrdersService
 * only, so the dashboard, the CLI running its own runtime and the control endpoint that a CLI
 * relays to under a running `serve` take the same steps, with the same audit rows (each order's
 * CANCEL is audited under the operator's actor by its actor; the switch by AccountsService).
 */
import { DomainError, isDomainError, type ErrorCode } from '../domain/errors.ts';
import type { AccountsService, Actor, OrdersService } from './ports.ts';

export interface BrakeServices {
  accounts: AccountsService;
  orders: OrdersService;
}

/** What cancelling one account's open orders did. */
export interface AccountCancelResult {
  account: string;
  /** Orders a cancel was sent for (or that ended cancelled at once). */
  cancelled: string[];
  /** Orders of the account still not terminal afterwards (a cancel the exchange has not confirmed yet). */
  still_open: number;
  /** Why the account could not be worked on; the other accounts are still tried. */
  error?: { code: ErrorCode; message: string };
}

const OPEN_LIMIT = 1000;

/**
 * Cancels the open orders of `account`, or of every live and paper account (`undefined`). Backtest
 * accounts are left alone on "every account": their orders move only with their simulated clock
 * and hold no money. A failing account does not stop the others.
 */
export async function cancelOpenOrders(s: BrakeServices, account: string | undefined, actor: Actor): Promise<AccountCancelResult[]> {
  const refs =
    account !== undefined
      ? [refOf(s, account)]
      : s.accounts
          .list()
          .filter((a) => a.mode !== 'backtest')
          .map((a) => `${a.exchange}:${a.exchange_account_id}`);
  const results: AccountCancelResult[] = [];
  for (const ref of refs) {
    try {
      const cancelled = await s.orders.cancelAll(ref, undefined, actor);
      results.push({ account: ref, cancelled, still_open: s.orders.list(ref, { status: 'open', limit: OPEN_LIMIT }).length });
    } catch (e) {
      const error = isDomainError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL' as const, message: 'cancelling failed; see the server log' };
      results.push({ account: ref, cancelled: [], still_open: openCount(s, ref), error });
    }
  }
  return results;
}

export interface KillSwitchRequest {
  on: boolean;
  /** One account's kill_switch limit; absent = the global kill switch. */
  account?: string;
  /** With `on`: also cancel the open orders it covers (that account, or every account). */
  cancel_open?: boolean;
}

/**
 * Sets the switch only (committed before any cancel, so no new order slips in between). Returns
 * the account reference it applied to, or undefined for the global switch.
 */
export function setKillSwitch(accounts: AccountsService, req: KillSwitchRequest, actor: Actor): string | undefined {
  if (req.cancel_open === true && !req.on) throw new DomainError('INVALID_ARGUMENT', 'cancel_open goes with turning a kill switch on, not off');
  if (req.account === undefined) {
    accounts.setGlobalKillSwitch(req.on, actor);
    return undefined;
  }
  const a = accounts.get(req.account);
  const ref = `${a.exchange}:${a.exchange_account_id}`;
  if ((a.limits.kill_switch === true) !== req.on) accounts.setLimits(ref, { ...a.limits, kill_switch: req.on }, actor);
  return ref;
}

/** The switch, then (cancel_open) the cancels, in this process. */
export async function applyKillSwitch(s: BrakeServices, req: KillSwitchRequest, actor: Actor): Promise<AccountCancelResult[]> {
  const ref = setKillSwitch(s.accounts, req, actor);
  return req.on && req.cancel_open === true ? cancelOpenOrders(s, ref, actor) : [];
}

/** One line per account for flash messages and the CLI. */
export function describeCancels(results: readonly AccountCancelResult[]): string {
  const worked = results.filter((r) => r.error !== undefined || r.cancelled.length > 0 || r.still_open > 0);
  if (worked.length === 0) return 'no open orders to cancel';
  return worked
    .map((r) => {
      if (r.error) return `${r.account}: ${r.error.code} ${r.error.message}`;
      const waiting = r.still_open > 0 ? `, ${r.still_open} still open (cancel not yet confirmed by the exchange)` : '';
      return `${r.account}: ${r.cancelled.length} cancel${r.cancelled.length === 1 ? '' : 's'} sent${waiting}`;
    })
    .join('; ');
}

function refOf(s: BrakeServices, account: string): string {
  const a = s.accounts.get(account);
  return `${a.exchange}:${a.exchange_account_id}`;
}

function openCount(s: BrakeServices, ref: string): number {
  try {
    return s.orders.list(ref, { status: 'open', limit: OPEN_LIMIT }).length;
  } catch {
    return 0;
  }
}
