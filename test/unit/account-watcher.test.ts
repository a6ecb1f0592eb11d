import { describe, expect, it } from 'vitest';
import type { AccountKey, AccountRecord } from '../../src/domain/account.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { AccountWatcher, type WatchedAccount } from '../../src/runtime/account-watcher.ts';
import { ManualScheduler } from '../../src/runtime/scheduler.ts';

function rec(key: number, id: string): AccountRecord {
  return {
    key: key as AccountKey,
    ref: `bitstamp:${id}`,
    account: { name: `a${key}`, exchange: 'bitstamp', exchange_account_id: id, mode: 'live', enabled: true, created_at: 'c', updated_at: 'u', limits: {} },
  };
}

function setup() {
  let stamp = 1;
  let accounts: WatchedAccount[] = [];
  let listed = 0;
  const calls: string[] = [];
  const scheduler = new ManualScheduler();
  const watcher = new AccountWatcher({
    stamp: () => String(stamp),
    accounts: () => {
      listed++;
      return accounts;
    },
    sync: async (r, first) => void calls.push(`${first ? 'new' : 'changed'} ${r.ref}`),
    removed: async (_key, ref) => void calls.push(`removed ${ref}`),
    scheduler,
    logger: silentLogger(),
  });
  return {
    watcher,
    scheduler,
    calls,
    listed: () => listed,
    set(next: WatchedAccount[]) {
      accounts = next;
      stamp++;
    },
    touch: () => void stamp++,
  };
}

const tick = async (s: ManualScheduler, ms = 2_000): Promise<void> => {
  s.advance(ms);
  await new Promise((r) => setImmediate(r)); // the check's promise chain settles
};

describe('AccountWatcher', () => {
  it('syncs every account at start, then only what changed, within one 2 s period', async () => {
    const t = setup();
    t.set([{ record: rec(1, '1'), fingerprint: 'on' }]);
    await t.watcher.start();
    expect(t.calls).toEqual(['new bitstamp:1']);

    // Another process adds an account and disables the first: seen at the next poll, not before.
    t.set([{ record: rec(1, '1'), fingerprint: 'off' }, { record: rec(2, '2'), fingerprint: 'on' }]);
    await tick(t.scheduler, 1_999);
    expect(t.calls).toEqual(['new bitstamp:1']);
    await tick(t.scheduler, 1);
    expect(t.calls).toEqual(['new bitstamp:1', 'changed bitstamp:1', 'new bitstamp:2']);

    // Removed elsewhere.
    t.set([{ record: rec(2, '2'), fingerprint: 'on' }]);
    await tick(t.scheduler);
    expect(t.calls.at(-1)).toBe('removed bitstamp:1');
    t.watcher.stop();
    expect(t.scheduler.pending()).toBe(0);
  });

  it('an unchanged change stamp costs no account listing; an unrelated write changes nothing', async () => {
    const t = setup();
    t.set([{ record: rec(1, '1'), fingerprint: 'on' }]);
    await t.watcher.start();
    const listed = t.listed();
    await tick(t.scheduler);
    await tick(t.scheduler);
    expect(t.listed()).toBe(listed);
    t.touch(); // e.g. an order written: the stamp moves, the accounts do not
    await tick(t.scheduler);
    expect(t.listed()).toBe(listed + 1);
    expect(t.calls).toEqual(['new bitstamp:1']);
    t.watcher.stop();
  });

  it('checkNow (a change made in this process) applies at once; nothing runs before start or after stop', async () => {
    const t = setup();
    t.set([{ record: rec(1, '1'), fingerprint: 'on' }]);
    await t.watcher.checkNow(true);
    expect(t.calls).toEqual([]); // not started: a CLI process never touches connections
    await t.watcher.start();
    t.set([{ record: rec(1, '1'), fingerprint: 'new key' }]);
    await t.watcher.checkNow(true);
    expect(t.calls).toEqual(['new bitstamp:1', 'changed bitstamp:1']);
    t.watcher.stop();
    t.set([]);
    await tick(t.scheduler);
    await t.watcher.checkNow(true);
    expect(t.calls).toHaveLength(2);
  });
});
