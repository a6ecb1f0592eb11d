/**
 * Maps SQLite write failures to the refusal callers see: storage trouble is an operational,
 * retryable condition (EXCHANGE_UNAVAILABLE), not an internal bug.
 */
import { DomainError } from '../domain/errors.ts';

/**
 * SQLite could not write (disk full, read-only files, I/O error, locked): a clear, retryable
 * refusal instead of INTERNAL. Nothing was sent anywhere: every command is persisted first.
 */
export function storageFailure(err: unknown): DomainError | undefined {
  const code = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED)/.test(code)) return undefined;
  const what = code.startsWith('SQLITE_FULL')
    ? 'the disk is full'
    : code.startsWith('SQLITE_READONLY')
      ? 'its database is read-only'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'its database is locked by another process'
        : 'its database cannot be written (I/O error)';
  return new DomainError(
    'EXCHANGE_UNAVAILABLE',
    `the service cannot record orders right now: ${what}; nothing was sent to the exchange. Reads still work; retry once storage is fixed`,
  );
}
