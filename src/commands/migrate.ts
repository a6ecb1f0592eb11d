/**
 * `exec-mcp migrate [--data-dir D]`: applies pending migrations and exits. A database newer than
 * this code is refused (error, exit 1) and left as it was.
 */
import { FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb, openDb } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
import { isDomainError } from '../domain/errors.ts';
import { configOnlyArgs } from './args.ts';

const USAGE = 'usage: exec-mcp migrate [--data-dir D]';

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { config: configFlags, unexpected } = configOnlyArgs(args, Object.keys(FLAG_TO_VAR));
  if (unexpected !== undefined) {
    process.stderr.write(`unexpected argument ${unexpected}; ${USAGE}\n`);
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
