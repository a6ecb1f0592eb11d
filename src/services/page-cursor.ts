/**
 * Opaque paging cursors (list_orders, list_fills, backtest_report fills): base64url JSON naming the
 * last row a client has seen by its PUBLIC id (never a table key) and the list it came from. The
 * next page starts right after that row, so rows inserted meanwhile never shift a page.
 */
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';

export type CursorKind = 'orders' | 'fills';

const cursorSchema = z.object({ k: z.enum(['orders', 'fills']), id: z.string().min(1).max(128) }).strict();
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(kind: CursorKind, id: string): string {
  return Buffer.from(JSON.stringify({ k: kind, id }), 'utf8').toString('base64url');
}

function refused(field: string, what: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', `${field}: ${what}; pass the next_cursor of the previous page unchanged, or no cursor for the first page`, {
    fields: [field],
  });
}

/** The row a cursor names; INVALID_ARGUMENT naming `field` if it is not a cursor of this list. */
export function decodeCursor(kind: CursorKind, cursor: string, field = 'cursor'): string {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused(field, 'not a cursor returned by this server');
  }
  const c = cursorSchema.safeParse(parsed);
  if (!c.success) throw refused(field, 'not a cursor returned by this server');
  if (c.data.k !== kind) throw refused(field, `a cursor of ${c.data.k}, not of ${kind}`);
  return c.data.id;
}

/** Thrown when the row a valid cursor names is no longer there (or belongs to another account). */
export function cursorRowGone(field = 'cursor'): DomainError {
  return refused(field, 'its row is not on this account (deleted, or a cursor of another account)');
}

/**
 * A page out of `limit + 1` fetched rows: the extra row only says that there is more, and the cursor
 * names the last row returned.
 */
export function pageOf<T>(rows: T[], limit: number, kind: CursorKind, idOf: (row: T) => string): { items: T[]; next_cursor?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(kind, idOf(items[items.length - 1] as T)) };
}
