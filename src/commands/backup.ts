/**
 * `exec-mcp backup --to FILE [--force] [--data-dir D]`: a consistent copy of the database through
 * SQLite's online backup API. It works while `serve` runs: the database is opened read-only (WAL
 * readers never block the writer) and the data dir's runtime lock is not taken. The copy is written
 * next to FILE, checked (`PRAGMA integrity_check`, migrations present), made 0600 and only then
 * renamed to FILE, so FILE is either absent or a whole, checked backup. The master key is not in
 * the database and is not copied.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { BOOLEAN_CONFIG_FLAGS, FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb, openDb } from '../db/connection.ts';
import { parseArgs, splitConfigFlags } from './args.ts';
import { checkDatabaseFile } from './db-file-check.ts';

export const USAGE = 'usage: exec-mcp backup --to FILE [--force] [--data-dir D]';
/** Pages per backup step: all of them, so the copy is one read transaction and never restarts under writes. */
const ALL_PAGES = 0x7fffffff;

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(args, new Set([...BOOLEAN_CONFIG_FLAGS, 'force']));
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const to = own.to;
  const force = own.force === true;
  delete own.to;
  delete own.force;
  const unexpected = [...parsed.positional, ...Object.keys(own).map((f) => `--${f}`)][0];
  if (typeof to !== 'string' || to === '' || unexpected !== undefined) {
    process.stderr.write(`${unexpected !== undefined ? `unexpected argument ${unexpected}` : 'backup needs --to FILE'}; ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, configFlags);
  const target = path.resolve(to);
  if (!fs.existsSync(config.dbFile)) {
    process.stderr.write(`no database at ${config.dbFile}; pass the data dir of the service with --data-dir\n`);
    return 1;
  }
  if (target === path.resolve(config.dbFile)) {
    process.stderr.write('the backup file must not be the database itself\n');
    return 2;
  }
  if (fs.existsSync(target) && !force) {
    process.stderr.write(`${target} exists; pass --force to replace it\n`);
    return 1;
  }
  if (!fs.existsSync(path.dirname(target))) {
    process.stderr.write(`directory ${path.dirname(target)} does not exist\n`);
    return 1;
  }
  const temp = `${target}.partial-${process.pid}`;
  fs.rmSync(temp, { force: true });
  // Created private before SQLite writes a single page into it.
  fs.writeFileSync(temp, '', { mode: 0o600 });
  const db = openDb(config.dbFile, { readonly: true });
  try {
    await db.backup(temp, { progress: () => ALL_PAGES });
  } catch (e) {
    fs.rmSync(temp, { force: true });
    process.stderr.write(`backup failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    closeDb(db);
  }
  selfContained(temp);
  const problem = checkDatabaseFile(temp);
  if (problem !== undefined) {
    fs.rmSync(temp, { force: true });
    process.stderr.write(`backup rejected: ${problem}\n`);
    return 1;
  }
  fs.chmodSync(temp, 0o600);
  fsyncFile(temp);
  fs.renameSync(temp, target);
  const size = fs.statSync(target).size;
  process.stdout.write(`backup of ${config.dbFile} written to ${target} (${size} bytes, integrity ok)\n`);
  return 0;
}

/**
 * The copy keeps the source's WAL mode, and with it -wal/-shm side files; a backup must be one
 * file, so it is switched to a rollback journal (serve switches it back to WAL when it opens it).
 */
function selfContained(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  for (const f of [`${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
