import { FLAG_TO_VAR, loadConfig } from '../config.ts';
import { configOnlyArgs } from './args.ts';

const USAGE = 'usage: exec-mcp serve [--port N] [--host H] [--data-dir D] (every EXEC_MCP_* variable is also a flag)';

/** `exec-mcp serve`: dashboard + MCP over Streamable HTTP on one port. Stops cleanly on SIGINT/SIGTERM. */
export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { config: flags, unexpected } = configOnlyArgs(args, Object.keys(FLAG_TO_VAR));
  if (unexpected !== undefined) {
    process.stderr.write(`unexpected argument ${unexpected}; ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(env, flags);
  const { createApp, createHttpServer } = await import('../main.ts');
  const { ensureAdminPassword, ensureMcpToken } = await import('../first-run-secrets.ts');
  const app = await createApp(config);
  const token = ensureMcpToken(config);
  const admin = ensureAdminPassword(config);
  await app.start();
  const http = await createHttpServer(app, admin.hash, token.token);
  app.advertiseUrl(http.url);

  // Human-facing start-up notes go to stdout once; the logs (JSON) go to stderr.
  const lines = [`exec-mcp listening on ${http.url}`, `  dashboard: ${http.url}/dashboard`, `  MCP (Streamable HTTP): ${http.url}/mcp`];
  if (token.file) lines.push(`  MCP bearer token: stored in ${token.file}${token.created ? ' (created now)' : ''}`);
  else lines.push('  MCP bearer token: from EXEC_MCP_TOKEN');
  if (admin.generatedPassword) lines.push(`  dashboard admin password (shown once, only its hash is stored): ${admin.generatedPassword}`);
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      app.logger.info({ signal }, 'shutting down');
      void (async () => {
        await http.close().catch(() => undefined);
        await app.close();
        resolve();
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
