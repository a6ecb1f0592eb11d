/**
 * Store integrity at start: a damaged database must never trade (orders acked that cannot be
 * stored), and a data dir that was used before must not silently get a fresh empty store when its
 * database is gone (the open orders, limits and audit chain would vanish and `audit verify` would
 * say ok). Both refuse with one line saying how to restore, or how to start empty on purpose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDb, type Db } from './connection.ts';

/**
 * Files a start leaves in the data dir, proof it was used: the master key (credentials/master-key.ts)
 * and the first-run secrets (first-run-secrets.ts). Names repeated here because db/ may not import
 * credentials/; test/integration/store-integrity.test.ts pins them through a real first run.
 */
export const EARLIER_USE_FILES = ['master.key', 'mcp-token', 'admin-password.scrypt', 'session-keys'] as const;

/** Start refused because of the store; the CLI prints the message as one line and exits 2. */
export class StoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRefusedError';
  }
}

export interface StoreOpenOptions {
  dataDir: string;
  dbFile: string;
  /** EXEC_MCP_INIT_EMPTY / --init-empty: a used data dir without a database starts with an empty one. */
  initEmpty: boolean;
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function restoreHint(o: StoreOpenOptions): string {
  return `restore a backup with "exec-mcp restore --from FILE --force --data-dir ${o.dataDir}"`;
}

/**
 * Opens the database for the service after checking it: refused (StoreRefusedError) when the data
 * dir shows earlier use but the database is missing or empty (unless initEmpty), when SQLite cannot
 * open it, or when `PRAGMA quick_check` (structure of every page, linear in the file size) fails.
 */
export function openCheckedStore(o: StoreOpenOptions): Db {
  const size = fs.existsSync(o.dbFile) ? fs.statSync(o.dbFile).size : -1;
  if (size <= 0 && !o.initEmpty) {
    const seen = EARLIER_USE_FILES.filter((f) => fs.existsSync(path.join(o.dataDir, f)));
    if (seen.length > 0)
      throw new StoreRefusedError(
        `refusing to start: data dir ${o.dataDir} was used before (${seen.join(', ')}) but its database ${o.dbFile} is ${size < 0 ? 'missing' : 'empty (0 bytes)'}; ` +
          `${restoreHint(o)}, or start with an empty store on purpose with --init-empty (EXEC_MCP_INIT_EMPTY=1)`,
      );
  }
  let db: Db | undefined;
  try {
    db = openDb(o.dbFile);
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    const result = rows.map((r) => r.quick_check);
    if (result.length !== 1 || result[0] !== 'ok') throw new Error(result.slice(0, 3).join('; ') || 'quick_check returned nothing');
    return db;
  } catch (e) {
    if (db) {
      try {
        db.close(); // no checkpoint: nothing is written into a damaged file
      } catch {
        // already unusable
      }
    }
    const detail = oneLine(e instanceof Error ? e.message : String(e)).slice(0, 200);
    throw new StoreRefusedError(`refusing to start: database ${o.dbFile} is damaged (${detail}); ${restoreHint(o)}`);
  }
}
