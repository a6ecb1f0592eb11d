import type { Db } from './connection.ts';
import { statement } from './statements.ts';

/**
 * A value that differs whenever committed data in the database may have changed, from this
 * connection or any other (the CLI, a second process): SQLite's `total_changes()` counts the rows
 * this connection inserted, updated or deleted (trigger programs included), and `data_version`
 * moves when another connection commits. Equal stamps mean no row changed in between, so
 * anything computed from the store may be reused. A rolled-back change still moves the stamp,
 * which costs only a needless re-read.
 */
export function dbChangeStamp(db: Db): string {
  return statement(db, "SELECT total_changes() || ':' || data_version FROM pragma_data_version").pluck().get() as string;
}
