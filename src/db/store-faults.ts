/**
 * What the service has learnt about its store while running, kept in memory beside the connection
 * (a damaged store is no place to record that it is damaged):
 * - damaged: a call failed with SQLITE_CORRUPT/SQLITE_NOTADB. Trading stays halted (it counts as the
 *   global kill switch) and /readyz says not ready until the process restarts, where the integrity
 *   check at start (store-integrity.ts) refuses the file and says how to restore;
 * - cannot_write: a write failed (disk full, read-only, I/O error). /readyz says degraded; the next
 *   write that succeeds clears it, so trading resumes by itself once storage is back.
 * Keyed by the connection, so every layer that holds the Db sees the same state and tests with
 * their own database never share one.
 */
import { classifyStorageError, storageFailure, type StoredWhat } from '../domain/storage-failure.ts';
import type { DomainError } from '../domain/errors.ts';
import type { Db } from './connection.ts';

export interface StoreFaultReport {
  state: 'ok' | 'degraded' | 'damaged';
  /** One line for operators: what failed (SQLite code) and what it means. */
  reason?: string;
}

export class StoreFaults {
  private damage: string | undefined;
  private writeFailure: string | undefined;

  /** Records what a failed store call says about the store; the refusal to answer with (undefined: not a storage failure). */
  note(err: unknown, stored: StoredWhat = 'orders'): DomainError | undefined {
    const f = classifyStorageError(err);
    if (f?.kind === 'damaged') this.damage ??= `store damaged (${f.code}): trading halted; stop the service and restore a backup (exec-mcp restore --from FILE)`;
    else if (f?.kind === 'cannot_write') this.writeFailure = `store cannot write (${f.code}): ${f.what}; new orders are refused until a write succeeds`;
    return storageFailure(err, stored);
  }

  /** A write committed: storage is writable again (damage stays: it is only cleared by a restart). */
  wrote(): void {
    this.writeFailure = undefined;
  }

  /** Why trading is halted because of the store, if it is. */
  haltReason(): string | undefined {
    return this.damage;
  }

  report(): StoreFaultReport {
    if (this.damage !== undefined) return { state: 'damaged', reason: this.damage };
    if (this.writeFailure !== undefined) return { state: 'degraded', reason: this.writeFailure };
    return { state: 'ok' };
  }
}

const byConnection = new WeakMap<Db, StoreFaults>();

export function storeFaultsOf(db: Db): StoreFaults {
  let f = byConnection.get(db);
  if (f === undefined) byConnection.set(db, (f = new StoreFaults()));
  return f;
}
