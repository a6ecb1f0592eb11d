import type { Db } from '../db/connection.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import type { AccountRecord } from '../domain/account.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface ConnectionStatusEntry {
  account: string;
  state: string;
  since: string;
  last_error?: string;
  /** Private channels subscribed now (reported by this process's stream). */
  channels?: number;
}

/**
 * Latest state of every account's exchange connection (the connection actors report it), kept in
 * the `connections` table so the dashboard shows it and a restart knows where each one was.
 */
export class ConnectionStatusStore {
  private readonly upsert;
  /** States reported in this process (the table also holds rows of earlier runs, which say nothing about now). */
  private readonly current = new Map<string, { state: string; exchange: string }>();
  /** Subscribed channel counts reported in this process, by account ref. */
  private readonly channels = new Map<string, number>();
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly metrics?: Metrics,
  ) {
    this.upsert = db.prepare(
      `INSERT INTO connections (account_id, state, snapshot, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(account_id) DO UPDATE SET state = excluded.state, snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
    );
  }

  record(account: AccountRecord, state: string, lastError?: string): void {
    const at = isoAt(this.clock.now());
    const snapshot = JSON.stringify(lastError === undefined ? { state } : { state, last_error: lastError });
    if (this.db.open) this.upsert.run(account.key, state, snapshot, at);
    if (this.metrics?.accountLabels) this.metrics.connectionState.set({ account: account.ref }, state === 'live' ? 1 : 0);
    this.current.set(account.ref, { state, exchange: account.account.exchange });
    this.updateGauges();
  }

  /** Aggregates only: /metrics carries account references only when asked to (metrics.accountLabels). */
  private updateGauges(): void {
    if (!this.metrics) return;
    this.metrics.accountsStreamDown.set(this.streamsDown().length);
    this.metrics.streamChannelsTotal.set([...this.channels.values()].reduce((a, b) => a + b, 0));
    const live = new Map<string, number>();
    for (const { state, exchange } of this.current.values()) live.set(exchange, (live.get(exchange) ?? 0) + (state === 'live' ? 1 : 0));
    this.metrics.connectionsLive.reset();
    for (const [exchange, n] of live) this.metrics.connectionsLive.set({ exchange }, n);
  }

  /** The stream's subscribed private channel count changed. */
  recordChannels(account: AccountRecord, count: number): void {
    this.channels.set(account.ref, count);
    if (this.metrics?.accountLabels) this.metrics.streamChannels.set({ account: account.ref }, count);
    this.updateGauges();
  }

  /** The account is gone: its last state no longer counts. */
  forget(accountRef: string): void {
    this.current.delete(accountRef);
    if (this.metrics?.accountLabels) this.metrics.connectionState.remove({ account: accountRef });
    if (this.channels.delete(accountRef) && this.metrics?.accountLabels) this.metrics.streamChannels.remove({ account: accountRef });
    this.updateGauges();
  }

  /**
   * Accounts whose stream should be up and is not: started, not live, not deliberately stopped
   * (disabled, offline). The service still serves them (orders go over REST), so this is
   * "degraded", not "not ready".
   */
  streamsDown(): string[] {
    return [...this.current].filter(([, { state }]) => state !== 'live' && state !== 'stopped').map(([ref]) => ref).sort();
  }

  list(): ConnectionStatusEntry[] {
    const rows = this.db
      .prepare(
        `SELECT a.exchange || ':' || a.exchange_account_id AS account, c.state, c.snapshot, c.updated_at
         FROM connections c JOIN accounts a ON a.id = c.account_id ORDER BY account`,
      )
      .all() as { account: string; state: string; snapshot: string; updated_at: string }[];
    return rows.map((r) => {
      const parsed = JSON.parse(r.snapshot) as { last_error?: string };
      const entry: ConnectionStatusEntry = { account: r.account, state: r.state, since: r.updated_at };
      if (parsed.last_error) entry.last_error = parsed.last_error;
      const channels = this.channels.get(r.account);
      if (channels !== undefined) entry.channels = channels;
      return entry;
    });
  }
}
