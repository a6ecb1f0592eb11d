/**
 * Command-line entry: `exec-mcp <command> [args]`. Commands and their help come from
 * src/commands/command-table.ts. Config errors: one line, exit code 2.
 */
import { type CommandName, commandHelp, isCommandName, topLevelHelp } from './commands/command-table.ts';
import { ConfigError } from './config.ts';
import { isDomainError } from './domain/errors.ts';
import { StoreRefusedError } from './db/store-integrity.ts';

type CommandModule = { run(args: string[], env: NodeJS.ProcessEnv): Promise<number> };

/** Loaded on demand, so `mcp` (stdio) never loads the HTTP stack. */
const LOADERS: Record<CommandName, () => Promise<CommandModule>> = {
  serve: () => import('./commands/serve.ts'),
  mcp: () => import('./commands/mcp-stdio.ts'),
  backtest: () => import('./commands/backtest.ts'),
  audit: () => import('./commands/audit.ts'),
  accounts: () => import('./commands/accounts.ts'),
  migrate: () => import('./commands/migrate.ts'),
  backup: () => import('./commands/backup.ts'),
  restore: () => import('./commands/restore.ts'),
  orders: () => import('./commands/orders.ts'),
  'kill-switch': () => import('./commands/kill-switch.ts'),
  'risk-limits': () => import('./commands/risk-limits.ts'),
};

const isHelp = (a: string): boolean => a === '--help' || a === '-h';

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  if (isHelp(name) || name === 'help') {
    process.stdout.write(topLevelHelp());
    return 0;
  }
  if (!isCommandName(name)) {
    process.stderr.write(`unknown command "${name}"\n${topLevelHelp()}`);
    return 2;
  }
  // Asked for, help goes to standard output with exit 0, before anything is opened or read.
  if (rest.some(isHelp)) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  const mod = await LOADERS[name]();
  return mod.run(rest, process.env);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof StoreRefusedError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    if (isDomainError(err)) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
