/**
 * What a failed SQLite call means for callers. Storage trouble is an operational condition with
 * its own answer (EXCHANGE_UNAVAILABLE: the service cannot do it now), never INTERNAL:
 * - damaged (SQLITE_CORRUPT, SQLITE_NOTADB): the file cannot be trusted; trading stops until it is restored;
 * - cannot_write (disk full, read-only, I/O error, cannot open): retry once storage is fixed;
 * - busy (locked by another process): retry shortly.
 * Pure: classifies by the error's `code`, so every layer (edges included) can use it.
 */
import { DomainError } from './errors.ts';

export type StorageFaultKind = 'damaged' | 'cannot_write' | 'busy';

export interface StorageFault {
  kind: StorageFaultKind;
  /** The SQLite code, e.g. SQLITE_CORRUPT or SQLITE_IOERR_WRITE (never a path or a secret). */
  code: string;
  /** What is wrong, in words ("the disk is full"). */
  what: string;
}

function sqliteCode(err: unknown): string | undefined {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function classifyStorageError(err: unknown): StorageFault | undefined {
  const code = sqliteCode(err);
  if (code === undefined) return undefined;
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return { kind: 'damaged', code, what: 'its database is damaged' };
  if (code.startsWith('SQLITE_FULL')) return { kind: 'cannot_write', code, what: 'the disk is full' };
  if (code.startsWith('SQLITE_READONLY')) return { kind: 'cannot_write', code, what: 'its database is read-only' };
  if (/^SQLITE_(IOERR|CANTOPEN)/.test(code)) return { kind: 'cannot_write', code, what: 'its database cannot be written (I/O error)' };
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return { kind: 'busy', code, what: 'its database is locked by another process' };
  return undefined;
}

/** What the refused call wanted to store: orders (MCP, order runtime) or other changes (dashboard forms, accounts). */
export type StoredWhat = 'orders' | 'changes';

/**
 * The refusal for a storage failure (undefined: not one). Nothing was sent anywhere: every command
 * is persisted first, and a failed transaction changed nothing.
 */
export function storageFailure(err: unknown, stored: StoredWhat = 'orders'): DomainError | undefined {
  const f = classifyStorageError(err);
  if (f === undefined) return undefined;
  const verb = stored === 'orders' ? 'record orders' : 'save changes';
  const nothing = stored === 'orders' ? 'nothing was sent to the exchange' : 'nothing was changed';
  if (f.kind === 'damaged')
    return new DomainError(
      'EXCHANGE_UNAVAILABLE',
      `the service cannot ${verb}: ${f.what} (${f.code}); trading is halted and ${nothing}. Stop the service and restore a backup (exec-mcp restore --from FILE)`,
    );
  return new DomainError(
    'EXCHANGE_UNAVAILABLE',
    `the service cannot ${verb} right now: ${f.what}; ${nothing}. Reads still work; retry once storage is fixed`,
  );
}
