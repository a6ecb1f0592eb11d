/** The snapshot job's account watch (changes made by another process, e.g. the CLI), on a ManualScheduler. */
import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/account.ts';
import { startBalanceSnapshots } from '../../src/jobs/balance-snapshots.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { ManualScheduler } from '../../src/runtime/scheduler.ts';
import type { AccountDetail, Services } from '../../src/services/ports.ts';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup() {
  const details: AccountDetail[] = [];
  const add = (a: Partial<AccountDetail> & { exchange_account_id: string; exchange: Account['exchange'] }): AccountDetail => {
    const d = { name: a.exchange_account_id, mode: a.exchange === 'paper' ? 'paper' : 'live', enabled: true, created_at: '2026-01-01T00:00:00.000Z', has_credentials: false, ...a } as AccountDetail;
    details.push(d);
    return d;
  };
  const ref = (d: AccountDetail) => `${d.exchange}:${d.exchange_account_id}`;
  const find = (r: string) => {
    const d = details.find((x) => ref(x) === r || x.name === r);
    if (!d) throw new Error(`no ${r}`);
    return d;
  };
  let listCalls = 0;
  let stamp = 1;
  const snapshots: string[] = [];
  const services = {
    accounts: {
      list: (f?: { enabled?: boolean }) => details.filter((d) => f?.enabled === undefined || d.enabled === f.enabled),
      get: find,
      listDetails: () => {
        listCalls++;
        return [...details];
      },
    },
    balances: { snapshot: async (r: string) => void snapshots.push(r) },
    orders: { onOrderChange: () => () => undefined },
  } as unknown as Pick<Services, 'accounts' | 'balances' | 'orders'>;
  const scheduler = new ManualScheduler();
  return { details, add, snapshots, scheduler, services, calls: () => listCalls, bump: () => void stamp++, stamp: () => String(stamp) };
}

describe('balance snapshots: account watch', () => {
  it('snapshots an account another process created, enabled or gave credentials, once, and only eligible ones', async () => {
    const s = setup();
    s.add({ exchange: 'paper', exchange_account_id: 'p0' });
    const job = startBalanceSnapshots({ services: s.services, logger: silentLogger(), scheduler: s.scheduler, intervalMs: 3_600_000, debounceMs: 1000, snapshotAtStart: false, watchMs: 5000, storeVersion: s.stamp });
    s.scheduler.advance(10_000);
    await flush();
    expect(s.snapshots).toEqual([]); // nothing changed since the start

    s.add({ exchange: 'paper', exchange_account_id: 'p1' });
    s.add({ exchange: 'bitstamp', exchange_account_id: '111' }); // no credentials: cannot be fetched
    s.bump();
    s.scheduler.advance(5000 + 1000);
    await flush();
    expect(s.snapshots).toEqual(['paper:p1']);

    const live = s.details.find((d) => d.exchange_account_id === '111')!;
    live.has_credentials = true;
    live.credentials_set_at = '2026-01-02T00:00:00.000Z';
    s.bump();
    s.scheduler.advance(6000);
    await flush();
    expect(s.snapshots).toEqual(['paper:p1', 'bitstamp:111']);

    s.scheduler.advance(60_000);
    await flush();
    expect(s.snapshots).toHaveLength(2); // no change, no snapshot
    await job.stop();
  });

  it('reads the account list only when the store changed', async () => {
    const s = setup();
    const job = startBalanceSnapshots({ services: s.services, logger: silentLogger(), scheduler: s.scheduler, intervalMs: 3_600_000, snapshotAtStart: false, watchMs: 5000, storeVersion: s.stamp });
    const atStart = s.calls();
    s.scheduler.advance(50_000);
    expect(s.calls()).toBe(atStart);
    s.bump();
    s.scheduler.advance(5000);
    expect(s.calls()).toBe(atStart + 1);
    await job.stop();
    s.bump();
    s.scheduler.advance(50_000);
    expect(s.calls()).toBe(atStart + 1);
  });

  it('is off unless watchMs is given', async () => {
    const s = setup();
    const job = startBalanceSnapshots({ services: s.services, logger: silentLogger(), scheduler: s.scheduler, intervalMs: 3_600_000, snapshotAtStart: false });
    s.add({ exchange: 'paper', exchange_account_id: 'p1' });
    s.scheduler.advance(60_000);
    await flush();
    expect(s.snapshots).toEqual([]);
    expect(s.calls()).toBe(0);
    await job.stop();
  });
});
