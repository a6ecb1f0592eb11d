/**
 * Command-line entry: `exec-mcp <command> [args]`. Each command lives in its own module, loaded on
 * demand so `mcp` (stdio) never loads the HTTP stack. Config errors: one line, exit code 2.
 */
import { ConfigError } from './config.ts';
import { isDomainError } from './domain/errors.ts';

type CommandModule = { run(args: string[], env: NodeJS.ProcessEnv): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'HTTP dashboard + MCP Streamable HTTP (default)', load: () => import('./commands/serve.ts') },
  mcp: { summary: 'MCP over stdio [--read-only]', load: () => import('./commands/mcp-stdio.ts') },
  backtest: { summary: 'headless backtest: --data FILE --orders FILE [--balance CUR=AMT] [--seed N] [--fees m,t]', load: () => import('./commands/backtest.ts') },
  audit: { summary: 'audit verify: check the audit hash chain (exit 1 on tampering)', load: () => import('./commands/audit.ts') },
  accounts: { summary: 'accounts list|add|update|enable|disable|remove|set-credentials', load: () => import('./commands/accounts.ts') },
  migrate: { summary: 'apply database migrations and exit', load: () => import('./commands/migrate.ts') },
};

function usage(): string {
  return ['usage: exec-mcp <command> [options]', '', ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stderr.write(usage() + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest, process.env);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
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
