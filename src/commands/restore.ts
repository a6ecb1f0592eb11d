/**
 * `exec-mcp restore --from FILE [--force] [--data-dir D]`: puts a backup in place as the data dir's
 * database. Refused while a process holds the data dir's runtime lock (a running serve would keep
 * writing to the file it has open), and when the data dir already has a database with tables,
 * unless --force. The file is checked first (integrity, migrations), copied to a temporary file in
 * the data dir and renamed over the database, so a crash leaves the old database or the new one.
 * The master key is not in the backup: the data dir needs the key the backup was written under.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BOOLEAN_CONFIG_FLAGS, FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb, openDb } from '../db/connection.ts';
import { acquireDataDirLock, readLock } from '../db/data-dir-lock.ts';
import { parseArgs, splitConfigFlags } from './args.ts';
import { fsyncFile } from './backup.ts';
import { checkDatabaseFile } from './db-file-check.ts';

export const USAGE = 'usage: exec-mcp restore --from FILE [--force] [--data-dir D]';

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(args, new Set([...BOOLEAN_CONFIG_FLAGS, 'force']));
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const from = own.from;
  const force = own.force === true;
  delete own.from;
  delete own.force;
  const unexpected = [...parsed.positional, ...Object.keys(own).map((f) => `--${f}`)][0];
  if (typeof from !== 'string' || from === '' || unexpected !== undefined) {
    process.stderr.write(`${unexpected !== undefined ? `unexpected argument ${unexpected}` : 'restore needs --from FILE'}; ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, configFlags);
  const source = path.resolve(from);
  const problem = checkDatabaseFile(source);
  if (problem !== undefined) {
    process.stderr.write(`restore refused: ${problem}\n`);
    return 1;
  }
  const holder = readLock(config.dataDir);
  if (holder) {
    process.stderr.write(`restore refused: data dir ${config.dataDir} is in use by exec-mcp ${holder.command} (pid ${holder.pid}); stop it first\n`);
    return 1;
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Held while the file is swapped, so a serve starting meanwhile waits for nothing half-written.
  let lock: ReturnType<typeof acquireDataDirLock>;
  try {
    lock = acquireDataDirLock(config.dataDir, { command: 'restore', started_at: new Date().toISOString() });
  } catch (e) {
    process.stderr.write(`restore refused: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    if (hasTables(config.dbFile) && !force) {
      process.stderr.write(`restore refused: ${config.dbFile} already holds a database; pass --force to replace it (back it up first)\n`);
      return 1;
    }
    const temp = path.join(config.dataDir, `.restore-${process.pid}.sqlite`);
    fs.copyFileSync(source, temp);
    fs.chmodSync(temp, 0o600);
    fsyncFile(temp);
    // The old database's WAL and shared-memory files belong to the old file: left in place, SQLite
    // would replay the old WAL onto the restored pages.
    for (const f of [`${config.dbFile}-wal`, `${config.dbFile}-shm`]) fs.rmSync(f, { force: true });
    fs.renameSync(temp, config.dbFile);
  } finally {
    lock.release();
  }
  process.stdout.write(`restored ${source} into ${config.dbFile}; start serve with the master key the backup was written under\n`);
  return 0;
}

/** A database file that exists and has at least one table (an empty file from a failed start does not count). */
function hasTables(file: string): boolean {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return false;
  try {
    const db = openDb(file, { readonly: true });
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").get() !== undefined;
    } finally {
      closeDb(db);
    }
  } catch {
    return true; // unreadable: not ours to overwrite without --force
  }
}
