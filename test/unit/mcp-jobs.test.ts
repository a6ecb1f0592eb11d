/** Balance-snapshot and fee-refresh jobs driven by a ManualScheduler (no wall-clock waits). */
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../src/runtime/scheduler.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startBalanceSnapshots } from '../../src/jobs/balance-snapshots.ts';
import { startFeeRefresh } from '../../src/jobs/fee-refresh.ts';
import { createFakeServices } from './mcp-fake-services.ts';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup() {
  const services = createFakeServices();
  const snapshots: string[] = [];
  const original = services.balances.snapshot.bind(services.balances);
  services.balances.snapshot = async (ref) => {
    snapshots.push(ref);
    await original(ref);
  };
  return { services, snapshots, scheduler: new ManualScheduler() };
}

describe('balance snapshots job', () => {
  it('snapshots every enabled paper/live-with-credentials account at start and on each interval', async () => {
    const { services, snapshots, scheduler } = setup();
    const job = startBalanceSnapshots({ services, logger: silentLogger(), scheduler, intervalMs: 300_000 });
    await flush();
    // "main" (bitstamp) is disabled and has no credentials: skipped.
    expect(snapshots).toEqual(['paper:default']);
    scheduler.advance(299_999);
    await flush();
    expect(snapshots).toEqual(['paper:default']);
    scheduler.advance(1);
    await flush();
    expect(snapshots).toEqual(['paper:default', 'paper:default']);
    scheduler.advance(300_000);
    await flush();
    expect(snapshots).toHaveLength(3);
    await job.stop();
    scheduler.advance(10 * 300_000);
    await flush();
    expect(snapshots).toHaveLength(3);
  });

  it('snapshots an account shortly after it changed (created, credentials set), once per burst, only when eligible', async () => {
    const { services, snapshots, scheduler } = setup();
    const job = startBalanceSnapshots({ services, logger: silentLogger(), scheduler, intervalMs: 3_600_000, debounceMs: 1000, snapshotAtStart: false });
    job.accountChanged('paper');
    job.accountChanged('paper:default');
    job.accountChanged('main'); // disabled, no credentials: nothing to fetch
    job.accountChanged('no-such-account');
    scheduler.advance(999);
    await flush();
    expect(snapshots).toEqual([]);
    scheduler.advance(1);
    await flush();
    expect(snapshots).toEqual(['paper:default']);
    await job.stop();
    job.accountChanged('paper');
    scheduler.advance(5000);
    await flush();
    expect(snapshots).toHaveLength(1);
  });

  it('snapshots once shortly after a burst of fills, not for non-fill changes', async () => {
    const { services, snapshots, scheduler } = setup();
    const job = startBalanceSnapshots({ services, logger: silentLogger(), scheduler, intervalMs: 3_600_000, debounceMs: 1000, snapshotAtStart: false });
    // A resting order (status change without a fill) triggers nothing.
    await services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' }, 'test');
    scheduler.advance(5000);
    await flush();
    expect(snapshots).toEqual([]);
    // Two fills in the same burst: one snapshot after the debounce.
    await services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01' }, 'test');
    await services.orders.place('paper', { market: 'btcusd', side: 'sell', type: 'market', amount: '0.01' }, 'test');
    scheduler.advance(999);
    await flush();
    expect(snapshots).toEqual([]);
    scheduler.advance(1);
    await flush();
    expect(snapshots).toEqual(['paper:default']);
    await job.stop();
    await services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.01' }, 'test');
    scheduler.advance(5000);
    await flush();
    expect(snapshots).toHaveLength(1);
  });

  it('a failing snapshot is logged and the schedule continues', async () => {
    const { services, scheduler } = setup();
    let calls = 0;
    services.balances.snapshot = async () => {
      calls++;
      throw new Error('exchange down');
    };
    const job = startBalanceSnapshots({ services, logger: silentLogger(), scheduler, intervalMs: 1000, snapshotAtStart: false });
    scheduler.advance(1000);
    await flush();
    scheduler.advance(1000);
    await flush();
    expect(calls).toBe(2);
    await job.stop();
  });
});

describe('fee refresh job', () => {
  it('refreshes eligible accounts daily', async () => {
    const { services, scheduler } = setup();
    const refreshed: string[] = [];
    const job = startFeeRefresh({ accounts: services.accounts, fees: { refresh: async (r) => void refreshed.push(r) }, logger: silentLogger(), scheduler });
    scheduler.advance(24 * 3600_000 - 1);
    await flush();
    expect(refreshed).toEqual([]);
    scheduler.advance(1);
    await flush();
    expect(refreshed).toEqual(['paper:default']);
    scheduler.advance(24 * 3600_000);
    await flush();
    expect(refreshed).toHaveLength(2);
    await job.stop();
  });
});
