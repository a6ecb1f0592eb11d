/**
 * MCP over stdio: stdout carries ONLY protocol messages (the caller must log to stderr); the session
 * ends when stdin ends or close() is called. A message over `maxMessageBytes` (10 MiB) is answered
 * with a JSON-RPC error and dropped; the session goes on (stdio-line-limit.ts).
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Services } from '../services/ports.ts';
import { createMcpServer } from './server.ts';
import { limitStdin } from './stdio-line-limit.ts';

export interface StdioSession {
  /** Resolves once the session is over (stdin ended, transport closed or close() called). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function serveStdio(opts: {
  services: Services;
  readOnly: boolean;
  logger: Logger;
  metrics?: Metrics;
  benchNoop?: boolean;
  stdin?: Readable;
  stdout?: Writable;
  /** Largest message accepted (default 10 MiB); a longer one gets a JSON-RPC error. */
  maxMessageBytes?: number;
}): Promise<StdioSession> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const server = createMcpServer(opts.services, {
    readOnly: opts.readOnly,
    logger: opts.logger,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    actor: 'mcp:stdio',
    ...(opts.benchNoop ? { benchNoop: true } : {}),
  });
  const limited = limitStdin(stdin, stdout, {
    ...(opts.maxMessageBytes !== undefined ? { maxBytes: opts.maxMessageBytes } : {}),
    onOversized: (m) => opts.logger.warn({ bytes: m.bytes, id: m.id }, 'mcp stdio message over the size limit: answered with an error'),
  });
  const transport = new StdioServerTransport(limited.stream, stdout, { maxBufferSize: limited.sdkMaxBufferSize });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stdin.off('end', onEnd);
      limited.detach();
      await server.close().catch((err: unknown) => opts.logger.warn({ err: String(err) }, 'mcp stdio close failed'));
      resolveClosed();
    })());
  const onEnd = (): void => void close();
  stdin.once('end', onEnd);
  transport.onerror = (err) => opts.logger.warn({ err: String(err) }, 'mcp stdio transport error');
  await server.connect(transport);
  // The transport (or the client) may close on its own; then the session is over too.
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    void close();
  };
  opts.logger.info({ readOnly: opts.readOnly }, 'mcp stdio session started');
  return { closed, close };
}
