import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Any field whose name looks like a credential is censored, at any depth we can name. */
export const REDACT_PATHS = [
  'secret', 'api_secret', 'apiSecret', 'password', 'token', 'authorization', 'masterKey', 'master_key', 'signature', 'key',
  '*.secret', '*.api_secret', '*.apiSecret', '*.password', '*.token', '*.authorization', '*.Authorization', '*.masterKey',
  '*.master_key', '*.signature', '*.api_key', '*.apiKey',
  '*.*.secret', '*.*.api_secret', '*.*.password', '*.*.token', '*.*.authorization', '*.*.Authorization', '*.*.api_key',
  'req.headers.authorization', 'req.headers.cookie', 'headers["x-auth-signature"]', 'headers["x-auth"]',
];

/**
 * pino JSON logger. In stdio MCP mode the destination must be stderr (fd 2): stdout carries the protocol.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream | number } = {}): Logger {
  const dest = typeof opts.destination === 'number' || opts.destination === undefined
    ? pino.destination({ dest: opts.destination ?? 2, sync: false })
    : opts.destination;
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'exec-mcp' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
