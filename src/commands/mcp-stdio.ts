/**
 * `exec-mcp mcp [--read-only]`: MCP over stdio for clients that spawn the server. Logs go to stderr
 * only; stdout carries nothing but protocol messages. Ends cleanly on stdin end, SIGTERM or SIGINT.
 */
import { format } from 'node:util';
import { loadConfig } from '../config.ts';
import { CONFIG_BOOLEAN_FLAGS, parseArgs } from './args.ts';

/** A stray console.log anywhere would corrupt the protocol stream: send console output to stderr. */
function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]): void => void process.stderr.write(format(...args) + '\n');
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  routeConsoleToStderr();
  const { flags } = parseArgs(args, new Set([...CONFIG_BOOLEAN_FLAGS, 'bench-noop']));
  const benchNoop = flags['bench-noop'] === true;
  delete flags['bench-noop'];
  const config = loadConfig(env, flags);
  const { createApp } = await import('../main.ts');
  const { serveStdio } = await import('../mcp/stdio.ts');
  const app = await createApp(config, { logDestination: 2 });
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
