/**
 * `exec-mcp migrate [--data-dir D]`: applies pending migrations and exits. A database newer than
 * this code is refused (error, exit 1) and left as it was.
 */
import { FLAG_TO_VAR, loadConfig } from '../config.ts';
import { closeDb } from '../db/connection.ts';
import { openCheckedStore } from '../db/store-integrity.ts';
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
  // Migrating a damaged file, or a used data dir's missing one, would hide the problem from the next start.
  const db = openCheckedStore({ dataDir: config.dataDir, dbFile: config.dbFile, initEmpty: config.initEmpty });
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
