/**
 * `exec-mcp audit verify [--data-dir D]`: walks the audit hash chain. Exit 0 "audit chain ok: N
 * rows"; exit 1 naming the first bad row. Opens the database read-only: verifying changes nothing.
 */
import fs from 'node:fs';
import { AuditLog } from '../audit/audit-log.ts';
import { FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb, openDb } from '../db/connection.ts';
import { systemClock } from '../domain/clock.ts';
import { CONFIG_BOOLEAN_FLAGS, parseArgs, splitConfigFlags } from './args.ts';

const USAGE = 'usage: exec-mcp audit verify [--data-dir D]';
const APPEND_ONLY_TRIGGERS = ['audit_log_no_update', 'audit_log_no_delete'];

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(args, CONFIG_BOOLEAN_FLAGS);
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const [sub, ...rest] = parsed.positional;
  const unexpected = [...rest, ...Object.keys(own).map((f) => `--${f}`)];
  if (sub !== 'verify' || unexpected.length > 0) {
    const what = sub === undefined ? 'missing audit command' : sub !== 'verify' ? `unknown audit command "${sub}"` : `unexpected argument ${unexpected[0]}`;
    process.stderr.write(`${what}; ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, configFlags);
  if (!fs.existsSync(config.dbFile)) {
    process.stderr.write(`no database at ${config.dbFile}; pass the data dir of the service with --data-dir\n`);
    return 1;
  }
  const db = openDb(config.dbFile, { readonly: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() !== undefined;
    if (!hasTable) {
      process.stderr.write(`database ${config.dbFile} has no audit_log table; run exec-mcp migrate first\n`);
      return 1;
    }
    const result = new AuditLog(db, systemClock).verify();
    if (!result.ok) {
      process.stderr.write(`audit chain broken at row seq ${result.firstBad}: ${result.reason}\n`);
      return 1;
    }
    const triggers = db
      .prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name IN (${APPEND_ONLY_TRIGGERS.map(() => '?').join(', ')})`)
      .get(...APPEND_ONLY_TRIGGERS) as { n: number };
    // A consistent chain with its guards removed means someone had write access to the file: say so.
    if (triggers.n !== APPEND_ONLY_TRIGGERS.length)
      process.stderr.write('warning: the append-only triggers of audit_log are missing; the file was modified outside exec-mcp\n');
    process.stdout.write(`audit chain ok: ${result.rows} rows\n`);
    return 0;
  } finally {
    closeDb(db);
  }
}
