import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export interface OpenDbOptions {
  /** synchronous=NORMAL is durable across process crashes in WAL mode; FULL also across power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  readonly?: boolean;
}

/**
 * Orders, fills and audit rows are nobody else's business: the database file and its WAL and
 * shared-memory files are readable by this user only. SQLite gives the -wal/-shm files the mode
 * of the main file, so the main file is made private before they are created; files of another
 * owner are left as they are.
 */
function keepPrivate(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch {
      // missing, or not ours to change
    }
  }
}

/** Opens the SQLite file with WAL, busy_timeout and foreign keys. */
export function openDb(file: string, opts: OpenDbOptions = {}): Db {
  const onDisk = file !== ':memory:' && !opts.readonly;
  if (onDisk) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, '', { flag: 'wx', mode: 0o600 }); // a new database starts private
    } catch {
      // it exists already
    }
    keepPrivate(file);
  }
  const db = new Database(file, { readonly: opts.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  }
  if (onDisk) keepPrivate(file);
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
