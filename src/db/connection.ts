import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export interface OpenDbOptions {
  /** synchronous=NORMAL is durable across process crashes in WAL mode; FULL also across power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  readonly?: boolean;
}

/** Opens the SQLite file with WAL, busy_timeout and foreign keys. */
export function openDb(file: string, opts: OpenDbOptions = {}): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  }
  db.pragma('foreign_keys = ON');
  return db;
}

/** Clean shutdown: fold the WAL back into the main file, then close. */
export function closeDb(db: Db): void {
  if (!db.open) return;
  try {
    if (!db.readonly) db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
