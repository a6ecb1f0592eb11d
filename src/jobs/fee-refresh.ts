/**
 * Daily fee refresh: re-fetches the fee schedule of every enabled live/paper account (live ones only
 * with credentials), so get_fees rarely has to fetch on the request path.
 */
import { accountRef } from '../domain/account.ts';
import type { Logger } from '../observability/logger.ts';
import { realScheduler, type Scheduler, type TimerHandle } from '../runtime/scheduler.ts';
import type { AccountsService } from '../services/ports.ts';

export const FEE_REFRESH_INTERVAL_MS = 24 * 60 * 60_000;

export interface FeeRefreshDeps {
  accounts: AccountsService;
  /** FeesServiceImpl.refresh: fetch now regardless of the cache age. */
  fees: { refresh(account: string): Promise<unknown> };
  logger: Logger;
  intervalMs?: number;
  scheduler?: Scheduler;
}

export interface FeeRefreshJob {
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startFeeRefresh(deps: FeeRefreshDeps): FeeRefreshJob {
  const scheduler = deps.scheduler ?? realScheduler;
  const intervalMs = deps.intervalMs ?? FEE_REFRESH_INTERVAL_MS;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;

  const runOnce = async (): Promise<void> => {
    for (const a of deps.accounts.list({ enabled: true })) {
      if (stopped) return;
      if (a.mode === 'backtest') continue;
      const ref = accountRef(a);
      try {
        if (a.exchange !== 'paper' && !deps.accounts.get(ref).has_credentials) continue;
        await deps.fees.refresh(ref);
      } catch (err) {
        deps.logger.warn({ account: ref, err: String(err) }, 'fee refresh failed');
      }
    }
  };

  const arm = (): void => {
    timer = scheduler.after(intervalMs, () => {
      if (stopped) return;
      running = runOnce().finally(() => {
        running = undefined;
        if (!stopped) arm();
      });
    });
  };
  arm();

  return {
    runOnce,
    async stop() {
      stopped = true;
      timer?.cancel();
      await running?.catch(() => undefined);
    },
  };
}
