/**
 * Balance snapshots: every enabled live/paper account at start and then every `intervalMs`
 * (EXEC_MCP_BALANCE_SNAPSHOT_S, default 5 min), and shortly after fills (an order's filled_amount
 * grew) or an account change (created, credentials set, enabled), debounced per account so a burst
 * costs one snapshot: a new account shows its balances at once, not 5 minutes later (also one
 * created or given credentials by the CLI while serve runs: `watchMs`). Backtest accounts are skipped (their time is simulated), as are live accounts without
 * credentials (the fetch could only fail).
 */
import { accountRef, type Account } from '../domain/account.ts';
import { dec } from '../domain/money.ts';
import { isTerminal, type OrderView } from '../domain/order.ts';
import type { Logger } from '../observability/logger.ts';
import { realScheduler, type Scheduler, type TimerHandle } from '../runtime/scheduler.ts';
import type { Services } from '../services/ports.ts';

export const SNAPSHOT_INTERVAL_MS = 5 * 60_000;
export const FILL_DEBOUNCE_MS = 1_000;

export interface BalanceSnapshotDeps {
  services: Pick<Services, 'accounts' | 'balances' | 'orders'>;
  logger: Logger;
  intervalMs?: number;
  debounceMs?: number;
  scheduler?: Scheduler;
  /** Take one snapshot of every eligible account when the job starts (default true). */
  snapshotAtStart?: boolean;
  /**
   * Every `watchMs`, look for accounts created or whose credentials/enabled state changed in
   * another process (the CLI, on a host where serve runs) and snapshot them as accountChanged()
   * does; unset or 0: off (this process's own changes call accountChanged directly).
   */
  watchMs?: number;
  /** Differs whenever stored data may have changed (status.storeVersion): the watch skips when equal. */
  storeVersion?: () => string;
}

export interface BalanceSnapshotJob {
  /** Snapshots every eligible account now (also what each scheduled tick does). */
  runOnce(): Promise<void>;
  /** An account was created or its credentials/enabled state changed: snapshot it shortly, if eligible. */
  accountChanged(ref: string): void;
  stop(): Promise<void>;
}

export function startBalanceSnapshots(deps: BalanceSnapshotDeps): BalanceSnapshotJob {
  const { services, logger } = deps;
  const scheduler = deps.scheduler ?? realScheduler;
  const intervalMs = deps.intervalMs ?? SNAPSHOT_INTERVAL_MS;
  const debounceMs = deps.debounceMs ?? FILL_DEBOUNCE_MS;
  let stopped = false;
  let tickTimer: TimerHandle | undefined;
  const pendingByAccount = new Map<string, TimerHandle>();
  const lastFilled = new Map<string, string>(); // order_id -> filled_amount last seen
  const inFlight = new Set<Promise<void>>();

  const track = (p: Promise<void>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const eligible = (a: Account): boolean => {
    if (!a.enabled || a.mode === 'backtest') return false;
    if (a.exchange === 'paper') return true;
    try {
      return services.accounts.get(accountRef(a)).has_credentials;
    } catch {
      return false;
    }
  };

  const snapshot = async (ref: string, why: string): Promise<void> => {
    try {
      await services.balances.snapshot(ref);
    } catch (err) {
      logger.warn({ account: ref, why, err: String(err) }, 'balance snapshot failed');
    }
  };

  const runOnce = async (): Promise<void> => {
    for (const a of services.accounts.list({ enabled: true })) {
      if (stopped) return;
      if (eligible(a)) await snapshot(accountRef(a), 'schedule');
    }
  };

  const arm = (): void => {
    tickTimer = scheduler.after(intervalMs, () => {
      if (stopped) return;
      const run = runOnce().finally(() => {
        if (!stopped) arm();
      });
      track(run);
    });
  };

  /** One trailing snapshot per account for a burst of triggers (fills, account changes). */
  const soon = (ref: string, why: string): void => {
    if (stopped || pendingByAccount.has(ref)) return;
    pendingByAccount.set(
      ref,
      scheduler.after(debounceMs, () => {
        pendingByAccount.delete(ref);
        if (!stopped) track(snapshot(ref, why));
      }),
    );
  };

  const accountChanged = (ref: string): void => {
    try {
      const d = services.accounts.get(ref);
      if (eligible(d)) soon(accountRef(d), 'account change');
    } catch {
      // removed meanwhile: nothing to snapshot
    }
  };

  const onOrderChange = (account: Account, order: OrderView): void => {
    if (stopped || account.mode === 'backtest') return;
    const before = lastFilled.get(order.order_id) ?? '0';
    if (isTerminal(order.status)) lastFilled.delete(order.order_id);
    else lastFilled.set(order.order_id, order.filled_amount);
    if (!dec(order.filled_amount).gt(before)) return;
    soon(accountRef(account), 'fill');
  };

  // What the watch compares: an account that appears or changes these is snapshotted.
  const fingerprints = (): Map<string, string> =>
    new Map(services.accounts.listDetails().map((d) => [accountRef(d), JSON.stringify([d.enabled, d.created_at, d.credentials_set_at ?? null])]));
  let watchTimer: TimerHandle | undefined;
  const watch = (seen: Map<string, string>, stamp: string | undefined): void => {
    watchTimer = scheduler.after(deps.watchMs ?? 0, () => {
      if (stopped) return;
      let next = seen;
      const nowStamp = deps.storeVersion?.();
      try {
        if (nowStamp === undefined || nowStamp !== stamp) {
          next = fingerprints();
          for (const [ref, fp] of next) if (seen.get(ref) !== fp) accountChanged(ref);
        }
      } catch (err) {
        logger.warn({ err: String(err) }, 'balance snapshot account watch failed');
      }
      watch(next, nowStamp);
    });
  };

  const unsubscribe = services.orders.onOrderChange(onOrderChange);
  if (deps.snapshotAtStart ?? true) track(runOnce());
  arm();
  if ((deps.watchMs ?? 0) > 0) watch(fingerprints(), deps.storeVersion?.());

  return {
    runOnce,
    accountChanged,
    async stop() {
      stopped = true;
      unsubscribe();
      tickTimer?.cancel();
      watchTimer?.cancel();
      for (const t of pendingByAccount.values()) t.cancel();
      pendingByAccount.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
