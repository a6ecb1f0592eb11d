/**
 * `exec-mcp audit verify [--expect-head SEQ:HASH] [--data-dir D]`: walks the audit hash chain.
 * Exit 0 "audit chain ok: N rows"; exit 1 naming the first bad row, or when the row of a recorded
 * anchor no longer carries its hash (a rewritten and fully re-hashed history still fails there).
 * Exit 2 when the chain cannot be read at all (no database, not an exec-mcp one, SQLite cannot open or
 * read it): that is not evidence of tampering, and scripts must tell the two apart.
 * `exec-mcp audit head`: prints the anchor to record elsewhere, "SEQ:HASH".
 * Opens the database read-only: verifying changes nothing.
 */
import fs from 'node:fs';
import { AuditLog } from '../audit/audit-log.ts';
import { BOOLEAN_CONFIG_FLAGS, FLAG_TO_VAR, loadConfig } from '../config.ts';
import { openDb, type Db } from '../db/connection.ts';
import { isDomainError } from '../domain/errors.ts';
import { systemClock } from '../domain/clock.ts';
import { parseArgs, splitConfigFlags } from './args.ts';

const USAGE = 'usage: exec-mcp audit verify [--expect-head SEQ:HASH] [--data-dir D] | exec-mcp audit head [--data-dir D]';
const ANCHOR = /^(\d{1,15}):([0-9a-f]{64})$/;
const APPEND_ONLY_TRIGGERS = ['audit_log_no_update', 'audit_log_no_delete'];

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(args, BOOLEAN_CONFIG_FLAGS);
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const [sub, ...rest] = parsed.positional;
  const expectHead = own['expect-head'];
  delete own['expect-head'];
  const unexpected = [...rest, ...Object.keys(own).map((f) => `--${f}`), ...(sub === 'head' && expectHead !== undefined ? ['--expect-head'] : [])];
  const known = sub === 'verify' || sub === 'head';
  if (!known || unexpected.length > 0) {
    const what = sub === undefined ? 'missing audit command' : !known ? `unknown audit command "${sub}"` : `unexpected argument ${unexpected[0]}`;
    process.stderr.write(`${what}; ${USAGE}\n`);
    return 2;
  }
  const anchorMatch = typeof expectHead === 'string' ? ANCHOR.exec(expectHead) : undefined;
  if (expectHead !== undefined && !anchorMatch) {
    process.stderr.write(`--expect-head must be SEQ:HASH as printed by "exec-mcp audit head" (a row number, a colon, 64 hex digits); ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, configFlags);
  if (!fs.existsSync(config.dbFile)) {
    process.stderr.write(`no database at ${config.dbFile}; pass the data dir of the service with --data-dir\n`);
    return CANNOT_READ;
  }
  let db: Db;
  try {
    db = openDb(config.dbFile, { readonly: true });
  } catch (e) {
    return cannotRead(config.dbFile, e);
  }
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() !== undefined;
    if (!hasTable) {
      process.stderr.write(`database ${config.dbFile} has no audit_log table; run exec-mcp migrate first\n`);
      return CANNOT_READ;
    }
    const log = new AuditLog(db, systemClock);
    if (sub === 'head') {
      const head = log.headAnchor();
      process.stdout.write(`${head.seq}:${head.hash}\n`);
      return 0;
    }
    const result = log.verify();
    if (!result.ok) {
      process.stderr.write(`audit chain broken at row seq ${result.firstBad}: ${result.reason}\n`);
      return 1;
    }
    if (anchorMatch) {
      const anchored = log.verifyAnchor({ seq: Number(anchorMatch[1]), hash: anchorMatch[2]! });
      if (!anchored.ok) {
        process.stderr.write(`audit chain does not match the recorded anchor: ${anchored.reason}\n`);
        return 1;
      }
    }
    const triggers = db
      .prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name IN (${APPEND_ONLY_TRIGGERS.map(() => '?').join(', ')})`)
      .get(...APPEND_ONLY_TRIGGERS) as { n: number };
    // A consistent chain with its guards removed means someone had write access to the file: say so.
    if (triggers.n !== APPEND_ONLY_TRIGGERS.length)
      process.stderr.write('warning: the append-only triggers of audit_log are missing; the file was modified outside exec-mcp\n');
    process.stdout.write(`audit chain ok: ${result.rows} rows\n`);
    return 0;
  } catch (e) {
    if (isDomainError(e)) throw e;
    return cannotRead(config.dbFile, e); // SQLite could not read the file (damaged, unreadable)
  } finally {
    try {
      db.close(); // read-only: nothing to checkpoint
    } catch {
      // already unusable
    }
  }
}

/** Exit code when the chain cannot be read, distinct from 1 (the chain was read and is broken). */
const CANNOT_READ = 2;

function cannotRead(file: string, e: unknown): number {
  const detail = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  process.stderr.write(`cannot read the audit log in ${file}: ${detail}\n`);
  return CANNOT_READ;
}
