/**
 * The collaborators and options an OrderRuntime is built with (the composition root fills them),
 * kept apart from the runtime so its file holds behaviour only.
 */
import type { Db } from '../db/connection.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AccountDirectory, AccountKey } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import type { IdFactory } from '../domain/ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AdapterRegistry } from './adapter-registry.ts';
import type { InflightOptions } from './inflight-checks.ts';
import type { OutboxOptions } from './outbox-worker.ts';
import type { Scheduler } from './scheduler.ts';

/** Extra writes joined to the transaction (and savepoint) that creates an order, e.g. risk counters. Throw to refuse. */
export type ExtraWrites = (db: Db) => void;

export interface OrderRuntimeDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  registry: AdapterRegistry;
  directory: AccountDirectory;
  logger: Logger;
  metrics?: Metrics;
  ids: IdFactory;
  scheduler?: Scheduler;
  outbox?: Partial<OutboxOptions>;
  inflight?: Partial<InflightOptions>;
  /** Reconcile every account with live orders at start (default true). */
  reconcileOnStart?: boolean;
  /** 'lazy' (default): keep each snapshot's JSON until the order's next event; 'eager': restore all at start. */
  hydration?: 'lazy' | 'eager';
  /**
   * Simulated time of an account (a backtest's clock), undefined for accounts on the wall clock:
   * its orders' event times, outbox answers and audit rows use it (sim/README.md "Backtests").
   */
  nowFor?: (accountKey: AccountKey) => number | undefined;
}
