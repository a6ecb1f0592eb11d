/**
 * `exec-mcp mcp [--read-only]`: MCP over stdio for clients that spawn the server. Logs go to stderr
 * only; stdout carries nothing but protocol messages. Ends cleanly on stdin end, SIGTERM or SIGINT.
 */
import { format } from 'node:util';
import { BOOLEAN_CONFIG_FLAGS, loadConfig, type Config } from '../config.ts';
import { readMcpTokenFile } from '../first-run-secrets.ts';
import { parseArgs } from './args.ts';

/** A stray console.log anywhere would corrupt the protocol stream: send console output to stderr. */
function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]): void => void process.stderr.write(format(...args) + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

/**
 * A `serve` process owns this data dir: relay to its /mcp instead of starting a second runtime.
 * Read-only sessions need EXEC_MCP_READONLY_TOKEN (the server decides what a token may do).
 */
async function relayToRunningServer(config: Config): Promise<number | undefined> {
  const { readLock } = await import('../db/data-dir-lock.ts');
  const holder = readLock(config.dataDir);
  if (!holder) return undefined;
  const { createLogger } = await import('../observability/logger.ts');
  const logger = createLogger({ level: config.logLevel, destination: 2 });
  if (!holder.url) {
    process.stderr.write(`data dir ${config.dataDir} is in use by exec-mcp ${holder.command} (pid ${holder.pid}); use another --data-dir\n`);
    return 1;
  }
  let token: string | undefined;
  if (config.readOnly) token = config.readonlyToken;
  else token = config.token ?? readMcpTokenFile(config.dataDir);
  if (!token) {
    process.stderr.write(
      config.readOnly
        ? 'a server already owns this data dir; a read-only relay needs EXEC_MCP_READONLY_TOKEN (the same one the server uses)\n'
        : `a server already owns this data dir, but its MCP token is not readable (set EXEC_MCP_TOKEN)\n`,
    );
    return 1;
  }
  const { proxyStdioToHttp } = await import('../mcp/stdio-proxy.ts');
  const session = await proxyStdioToHttp({ url: `${holder.url}/mcp`, token, logger });
  process.once('SIGTERM', () => void session.close());
  process.once('SIGINT', () => void session.close());
  await session.closed;
  return 0;
}

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  routeConsoleToStderr();
  const { flags, positional } = parseArgs(args, new Set([...BOOLEAN_CONFIG_FLAGS, 'bench-noop']));
  // `--offline maybe` leaves "maybe" here: refuse it rather than ignore it.
  if (positional.length > 0) {
    process.stderr.write(`unexpected argument ${positional[0]}; usage: exec-mcp mcp [--read-only] [--data-dir D]\n`);
    return 2;
  }
  const benchNoop = flags['bench-noop'] === true;
  delete flags['bench-noop'];
  const config = loadConfig(env, flags);
  const relayed = await relayToRunningServer(config);
  if (relayed !== undefined) return relayed;
  const { createApp } = await import('../main.ts');
  const { serveStdio } = await import('../mcp/stdio.ts');
  const app = await createApp(config, { logDestination: 2, command: 'mcp' });
  try {
    await app.start();
    const session = await serveStdio({
      services: app.services,
      readOnly: config.readOnly,
      logger: app.logger,
      metrics: app.metrics,
      benchNoop,
    });
    const onSignal = (signal: string): void => {
      app.logger.info({ signal }, 'mcp stdio shutting down');
      void session.close();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    await session.closed;
  } finally {
    await app.close();
  }
  return 0;
}
