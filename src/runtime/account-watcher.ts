/**
 * Keeps exchange connections in step with the account store while `serve` runs, whoever changed
 * it: this process (dashboard) or another one (the CLI writes the same SQLite file). Every
 * `intervalMs` it reads the store's change stamp (src/db/change-stamp.ts, one cheap query); only
 * when the stamp moved does it list the accounts and compare each one's connection fingerprint
 * (enabled, exchange id, credentials) with the last one seen. New accounts and changed ones are
 * handed to `sync` (which starts, restarts or stops their stream), vanished ones to `removed`.
 */
import type { AccountKey, AccountRecord } from '../domain/account.ts';
import type { Logger } from '../observability/logger.ts';
import type { Scheduler, TimerHandle } from './scheduler.ts';

/** Polling period: a CLI change reaches the running service within this plus one sync. */
export const DEFAULT_ACCOUNT_WATCH_MS = 2_000;

export interface WatchedAccount {
  record: AccountRecord;
  /** Equal fingerprints mean the account's connection needs nothing (no secret in it, never logged). */
  fingerprint: string;
}

export interface AccountWatcherDeps {
  /** Differs whenever committed data may have changed (dbChangeStamp). */
  stamp: () => string;
  accounts: () => WatchedAccount[];
  /** `first`: the account was not seen before (at start, or added since); otherwise its settings changed. */
  sync: (record: AccountRecord, first: boolean) => Promise<void>;
  removed: (key: AccountKey, ref: string) => Promise<void>;
  scheduler: Scheduler;
  logger: Logger;
  intervalMs?: number;
}

export class AccountWatcher {
  private readonly seen = new Map<AccountKey, { ref: string; fingerprint: string }>();
  private lastStamp: string | undefined;
  private timer: TimerHandle | undefined;
  private stopped = true;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: AccountWatcherDeps) {}

  /** Syncs every account once, then polls. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.checkNow(true);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Compares now (e.g. right after this process changed an account). Checks never overlap: one
   * asked for during a check runs after it. `force` ignores an unchanged stamp.
   */
  async checkNow(force = false): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run(force).finally(() => (this.running = undefined));
    await this.running;
    if (this.again) {
      this.again = false;
      await this.checkNow(true);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.scheduler.after(this.deps.intervalMs ?? DEFAULT_ACCOUNT_WATCH_MS, () => {
      void this.checkNow().finally(() => this.schedule());
    });
  }

  private async run(force: boolean): Promise<void> {
    try {
      const stamp = this.deps.stamp();
      if (!force && stamp === this.lastStamp) return;
      this.lastStamp = stamp;
      const now = this.deps.accounts();
      const present = new Set<AccountKey>();
      for (const { record, fingerprint } of now) {
        if (this.stopped) return; // closing: start nothing more
        present.add(record.key);
        const before = this.seen.get(record.key);
        if (before?.fingerprint === fingerprint) continue;
        this.seen.set(record.key, { ref: record.ref, fingerprint });
        if (before && before.ref !== record.ref) this.deps.logger.info({ from: before.ref, to: record.ref }, 'account reference changed');
        await this.guarded(record.ref, () => this.deps.sync(record, before === undefined));
      }
      for (const [key, { ref }] of [...this.seen]) {
        if (this.stopped) return;
        if (present.has(key)) continue;
        this.seen.delete(key);
        await this.guarded(ref, () => this.deps.removed(key, ref));
      }
    } catch (err) {
      // The store is unreadable right now (busy, closing): try again at the next tick.
      this.lastStamp = undefined;
      this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'account watch failed');
    }
  }

  private async guarded(ref: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.logger.warn({ account: ref, err: err instanceof Error ? err.message : String(err) }, 'account connection sync failed');
    }
  }
}
