import { describe, expect, it } from 'vitest';
import type { AccountKey, AccountRecord } from '../../src/domain/account.ts';
import { startPeriodicReconciliation } from '../../src/jobs/periodic-reconciliation.ts';
import { silentLogger } from '../../src/observability/logger.ts';

function record(key: number, enabled: boolean): AccountRecord {
  return {
    key: key as AccountKey,
    ref: `bitstamp:${key}`,
    account: { name: `a${key}`, exchange: 'bitstamp', exchange_account_id: String(key), mode: 'live', enabled, created_at: '', updated_at: '', limits: {} },
  };
}

describe('periodic reconciliation', () => {
  it('reconciles enabled accounts with live orders only, and keeps going after a failure', async () => {
    const seen: string[] = [];
    const open: Record<number, number> = { 1: 2, 2: 0, 3: 1, 4: 5 };
    const job = startPeriodicReconciliation({
      accounts: () => [record(1, true), record(2, true), record(3, false), record(4, true)],
      openOrderCount: (key) => open[key] ?? 0,
      reconcile: async (r, trigger) => {
        seen.push(`${r.ref}/${trigger}`);
        if (r.ref === 'bitstamp:1') throw new Error('exchange down');
      },
      logger: silentLogger(),
      intervalMs: 3_600_000,
    });
    try {
      await job.runOnce();
      expect(seen).toEqual(['bitstamp:1/periodic', 'bitstamp:4/periodic']);
    } finally {
      job.stop();
    }
  });

  it('does not stack rounds while one is still running', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = startPeriodicReconciliation({
      accounts: () => [record(1, true)],
      openOrderCount: () => 1,
      reconcile: async () => {
        calls++;
        await gate;
      },
      logger: silentLogger(),
      intervalMs: 3_600_000,
    });
    const first = job.runOnce();
    await job.runOnce();
    release();
    await first;
    job.stop();
    expect(calls).toBe(1);
  });
});
