/**
 * `exec-mcp migrate [--data-dir D]`: applies pending migrations and exits. A database newer than
 * this code is refused (error, exit 1) and left as it was.
 */
import { FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb, openDb } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
import { isDomainError } from '../domain/errors.ts';
import { CONFIG_BOOLEAN_FLAGS, parseArgs, splitConfigFlags } from './args.ts';

const USAGE = 'usage: exec-mcp migrate [--data-dir D]';

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(args, CONFIG_BOOLEAN_FLAGS);
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const unexpected = [...parsed.positional, ...Object.keys(own).map((f) => `--${f}`)];
  if (unexpected.length > 0) {
    process.stderr.write(`unexpected argument ${unexpected[0]}; ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, configFlags);
  const db = openDb(config.dbFile);
  try {
    const { from, to } = migrate(db);
    process.stdout.write(
      from === to
        ? `database ${config.dbFile} is up to date (schema version ${to})\n`
        : `database ${config.dbFile} migrated from schema version ${from} to ${to}\n`,
    );
    return 0;
  } catch (e) {
    if (!isDomainError(e)) throw e;
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
    return 1;
  } finally {
    closeDb(db);
  }
}
