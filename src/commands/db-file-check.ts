/**
 * Checks shared by `backup` and `restore`: a database file is whole (`PRAGMA integrity_check`) and
 * is an exec-mcp database (it carries the migrations table, `schema_version`, with rows).
 */
import fs from 'node:fs';
import { closeDb, openDb } from '../db/connection.ts';

/** Why the file is not a usable exec-mcp database, or undefined when it is. */
export function checkDatabaseFile(file: string): string | undefined {
  if (!fs.existsSync(file)) return `no file at ${file}`;
  let db;
  try {
    db = openDb(file, { readonly: true });
  } catch (e) {
    return `cannot open ${file} as SQLite: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const result = rows.map((r) => r.integrity_check).join('; ');
    if (result !== 'ok') return `integrity check of ${file} failed: ${result}`;
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
    const version = hasTable ? (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v : null;
    if (version === null) return `${file} is not an exec-mcp database (no migrations recorded)`;
    return undefined;
  } catch (e) {
    return `${file} is not a readable SQLite database: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    closeDb(db);
  }
}
