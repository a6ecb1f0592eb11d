import type { AccountKey, AccountRecord } from '../domain/account.ts';
import type { Logger } from '../observability/logger.ts';

export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;

/**
 * Reconciles every enabled account that has live orders on a fixed schedule. Reconnects and
 * restarts already reconcile; this catches an exchange event lost WITHOUT a disconnect (a dropped
 * WS message), which would otherwise leave an order showing open while the exchange has closed it.
 */
export function startPeriodicReconciliation(deps: {
  accounts: () => AccountRecord[];
  openOrderCount: (key: AccountKey) => number;
  reconcile: (record: AccountRecord, trigger: string) => Promise<unknown>;
  logger: Logger;
  intervalMs?: number;
}): { runOnce: () => Promise<void>; stop: () => void } {
  let running = false;
  const runOnce = async (): Promise<void> => {
    if (running) return; // a slow exchange must not stack rounds
    running = true;
    try {
      for (const record of deps.accounts()) {
        if (!record.account.enabled || deps.openOrderCount(record.key) === 0) continue;
        await deps.reconcile(record, 'periodic').catch((err: unknown) =>
          deps.logger.warn({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'periodic reconciliation failed'),
        );
      }
    } finally {
      running = false;
    }
  };
  const handle = setInterval(() => void runOnce(), deps.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS);
  handle.unref();
  return { runOnce, stop: () => clearInterval(handle) };
}
