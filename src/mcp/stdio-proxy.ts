/**
 * `exec-mcp mcp` when a `serve` process already owns the data dir: one order runtime per data dir
 * (two would execute the same outbox), so this stdio session relays every JSON-RPC message to the
 * running server's /mcp endpoint instead of opening the database itself.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Logger } from '../observability/logger.ts';
import { limitStdin } from './stdio-line-limit.ts';
import type { StdioSession } from './stdio.ts';

export async function proxyStdioToHttp(opts: {
  url: string; // http://host:port/mcp
  token: string;
  logger: Logger;
  stdin?: Readable;
  stdout?: Writable;
}): Promise<StdioSession> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  // A message over 10 MiB is answered with an error here instead of ending the session.
  const limited = limitStdin(stdin, stdout, { onOversized: (m) => opts.logger.warn({ bytes: m.bytes, id: m.id }, 'mcp proxy: message over the size limit: answered with an error') });
  const local = new StdioServerTransport(limited.stream, stdout, { maxBufferSize: limited.sdkMaxBufferSize });
  const remote = new StreamableHTTPClientTransport(new URL(opts.url), {
    requestInit: { headers: { Authorization: `Bearer ${opts.token}` } },
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  // The flag is set before closing the transports: each close() calls its onclose synchronously,
  // which lands here again (an unguarded re-entry recursed until the stack overflowed).
  let closing = false;
  const close = (): Promise<void> => {
    if (!closing) {
      closing = true;
      limited.detach();
      void Promise.allSettled([remote.close(), local.close()]).then(() => resolveClosed());
    }
    return closed;
  };
  local.onmessage = (message) => {
    remote.send(message).catch((err: unknown) => {
      opts.logger.warn({ err: String(err) }, 'mcp proxy: upstream send failed');
      // Answer requests with a JSON-RPC error so the client does not hang.
      if ('id' in message && 'method' in message) {
        void local.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'exec-mcp server unreachable' } });
      }
    });
  };
  remote.onmessage = (message) => void local.send(message);
  local.onclose = () => void close();
  remote.onclose = () => void close();
  local.onerror = (err) => opts.logger.warn({ err: String(err) }, 'mcp proxy: stdio error');
  remote.onerror = (err) => opts.logger.warn({ err: String(err) }, 'mcp proxy: upstream error');
  stdin.once('end', () => void close());
  await remote.start();
  await local.start();
  opts.logger.info({ url: opts.url }, 'mcp stdio relaying to the running exec-mcp server');
  return { closed, close };
}
