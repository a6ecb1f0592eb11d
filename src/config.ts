import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one schema for every environment variable and flag of CONTRACT.md. The only reader of
 * process.env is main.ts/cli.ts, which passes it here. Flags win over the environment.
 */
// Digits only: z.coerce.number would turn " " into port 0 (a random port) and accept "0x10" or "1e3".
const portSchema = z
  .string()
  .regex(/^\d+$/, 'must be a port number')
  .transform(Number)
  .pipe(z.number().int('must be a whole number').min(0, 'must be 0-65535').max(65535, 'must be 0-65535'));
const urlSchema = (protocols: string[]) =>
  z
    .string()
    .url('must be a URL')
    // zod runs the refinement even when .url() failed: `new URL` must not throw out of loadConfig.
    .refine((u) => URL.canParse(u) && protocols.includes(new URL(u).protocol), `must use ${protocols.join(' or ')}`);
// A value that is only blanks is a typo, never a real host, path or tool name.
const notBlank = (what: string) => z.string().refine((s) => s.trim() !== '', `must not be empty${what}`);
const flagBool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''], { message: 'must be 1 or 0' })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** "100001=btcusd,ethusd;*=xrpusd": markets whose private channels an account always keeps ("*" = every account). */
const streamMarketsSchema = z
  .string()
  .regex(/^\s*(\*|\d+)\s*=\s*[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*\s*(;\s*(\*|\d+)\s*=\s*[a-z0-9-]+(\s*,\s*[a-z0-9-]+)*\s*)*;?\s*$/, 'must look like "100001=btcusd,ethusd;*=xrpusd" (Bitstamp user id or *, then lowercase markets)')
  .transform((v) => {
    const out: Record<string, string[]> = {};
    for (const part of v.split(';').map((p) => p.trim()).filter((p) => p !== '')) {
      const [id = '', list = ''] = part.split('=').map((x) => x.trim());
      out[id] = [...new Set([...(out[id] ?? []), ...list.split(',').map((m) => m.trim())])];
    }
    return out;
  });
/** ccxt's exchange ids, loaded only when a list names more than bitstamp (ccxt is large). */
function ccxtExchangeIds(): readonly string[] {
  return (createRequire(import.meta.url)('ccxt') as { exchanges: string[] }).exchanges;
}
/** EXEC_MCP_EXCHANGES: a comma list of ccxt exchange ids; bitstamp keeps its native adapter. */
const exchangesSchema = z
  .string()
  .transform((s) => [...new Set(s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== ''))])
  .refine((ids) => ids.length > 0, 'must name at least one exchange (e.g. bitstamp)')
  .refine((ids) => ids.every((id) => /^[a-z0-9]{2,32}$/.test(id)), 'must be a comma list of ccxt exchange ids (e.g. bitstamp,kraken)')
  .superRefine((ids, ctx) => {
    const others = ids.filter((id) => id !== 'bitstamp' && id !== 'paper');
    if (others.length === 0) return;
    const known = new Set(ccxtExchangeIds());
    const bad = others.filter((id) => !known.has(id));
    if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `names ${bad.join(', ')}, not ccxt exchange ids (see ccxt.exchanges)` });
  })
  .transform((ids) => ids.filter((id) => id !== 'paper')); // paper is always there

export const configSchema = z.object({
  EXEC_MCP_PORT: portSchema.default(8787),
  EXEC_MCP_HOST: z.string().regex(/^\S+$/, 'must be a host name or IP address (no spaces)').default('127.0.0.1'),
  EXEC_MCP_DATA_DIR: notBlank('').default('./data'),
  EXEC_MCP_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  EXEC_MCP_READONLY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  EXEC_MCP_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  EXEC_MCP_MASTER_KEY: z
    .string()
    .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 32, 'must be base64 of exactly 32 bytes')
    .optional(),
  BITSTAMP_API_URL: urlSchema(['http:', 'https:']).default('https://www.bitstamp.net'),
  BITSTAMP_WS_URL: urlSchema(['ws:', 'wss:']).default('wss://ws.bitstamp.net'),
  BITSTAMP_STREAM_MARKETS: streamMarketsSchema.optional(),
  EXEC_MCP_PRICE_MCP: notBlank(': give a command line or an http(s) URL').optional(),
  EXEC_MCP_PRICE_TOOL: z.string().regex(/^\S+$/, 'must be a tool name (no spaces)').default('get_price'),
  EXEC_MCP_OFFLINE: flagBool.default(false),
  EXEC_MCP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EXEC_MCP_READ_ONLY: flagBool.default(false),
  EXEC_MCP_BACKTEST_DATA_DIR: notBlank(': give the folder backtest_create may read market-data files from').optional(),
  EXEC_MCP_BACKTEST_MAX_FILE_MB: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of MiB')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be 1-1024 MiB').max(1024, 'must be 1-1024 MiB'))
    .default(256),
  EXEC_MCP_BACKTEST_MAX_EVENTS: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of events')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be 1-50000000 events').max(50_000_000, 'must be 1-50000000 events'))
    .default(5_000_000),
  EXEC_MCP_BEHIND_TLS_PROXY: flagBool.default(false),
  EXEC_MCP_BALANCE_SNAPSHOT_S: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(10, 'must be 10-86400 seconds').max(86_400, 'must be 10-86400 seconds'))
    .default(300),
  EXEC_MCP_INIT_EMPTY: flagBool.default(false),
  EXEC_MCP_METRICS_ACCOUNT_LABELS: flagBool.default(false),
  EXEC_MCP_EXCHANGES: exchangesSchema.default(['bitstamp']),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  dbFile: string;
  token?: string;
  readonlyToken?: string;
  adminPassword?: string;
  masterKey?: Buffer;
  bitstampApiUrl: string;
  bitstampWsUrl: string;
  /** Markets whose private channels a Bitstamp account keeps even without live orders, by exchange_account_id ("*" = all). */
  bitstampStreamMarkets?: Record<string, string[]>;
  priceMcp?: string;
  priceTool: string;
  offline: boolean;
  logLevel: z.infer<typeof configSchema>['EXEC_MCP_LOG_LEVEL'];
  readOnly: boolean;
  /** When set, backtest_create reads market-data files only inside this folder. */
  backtestDataDir?: string;
  /** Largest backtest_create data file, bytes (EXEC_MCP_BACKTEST_MAX_FILE_MB, in MiB): refused from its size, unread. */
  backtestMaxFileBytes: number;
  /**
   * Market-data events all live backtests hold together (EXEC_MCP_BACKTEST_MAX_EVENTS); beyond it the
   * least recently used end, and a backtest that alone holds more is refused while its data is read.
   */
  backtestMaxEvents: number;
  /**
   * The dashboard is reached only through one TLS-terminating reverse proxy: Secure session cookie,
   * HSTS, and X-Forwarded-Proto / the last X-Forwarded-For hop are trusted.
   */
  behindTlsProxy: boolean;
  /** Balance snapshot interval (EXEC_MCP_BALANCE_SNAPSHOT_S); one is also taken at start and on account changes. */
  balanceSnapshotMs: number;
  /** A data dir used before whose database is missing or empty starts with an empty store (EXEC_MCP_INIT_EMPTY). */
  initEmpty: boolean;
  /** /metrics (unauthenticated) labels series by account reference (EXEC_MCP_METRICS_ACCOUNT_LABELS); off: per exchange only. */
  metricsAccountLabels: boolean;
  /** Live exchanges offered (EXEC_MCP_EXCHANGES, ccxt ids; default bitstamp): bitstamp native, the rest through ccxt. */
  exchanges: string[];
}

/** Flag name -> variable it overrides. */
export const FLAG_TO_VAR: Record<string, keyof z.input<typeof configSchema>> = {
  port: 'EXEC_MCP_PORT',
  host: 'EXEC_MCP_HOST',
  'data-dir': 'EXEC_MCP_DATA_DIR',
  token: 'EXEC_MCP_TOKEN',
  'readonly-token': 'EXEC_MCP_READONLY_TOKEN',
  'admin-password': 'EXEC_MCP_ADMIN_PASSWORD',
  'master-key': 'EXEC_MCP_MASTER_KEY',
  'bitstamp-api-url': 'BITSTAMP_API_URL',
  'bitstamp-ws-url': 'BITSTAMP_WS_URL',
  'bitstamp-stream-markets': 'BITSTAMP_STREAM_MARKETS',
  'price-mcp': 'EXEC_MCP_PRICE_MCP',
  'price-tool': 'EXEC_MCP_PRICE_TOOL',
  offline: 'EXEC_MCP_OFFLINE',
  'log-level': 'EXEC_MCP_LOG_LEVEL',
  'read-only': 'EXEC_MCP_READ_ONLY',
  'backtest-data-dir': 'EXEC_MCP_BACKTEST_DATA_DIR',
  'backtest-max-file-mb': 'EXEC_MCP_BACKTEST_MAX_FILE_MB',
  'backtest-max-events': 'EXEC_MCP_BACKTEST_MAX_EVENTS',
  'behind-tls-proxy': 'EXEC_MCP_BEHIND_TLS_PROXY',
  'balance-snapshot-s': 'EXEC_MCP_BALANCE_SNAPSHOT_S',
  'init-empty': 'EXEC_MCP_INIT_EMPTY',
  'metrics-account-labels': 'EXEC_MCP_METRICS_ACCOUNT_LABELS',
  exchanges: 'EXEC_MCP_EXCHANGES',
};

/** Variables that are on/off switches: only these may be given as a bare flag (`--offline`). */
const BOOLEAN_VARS: ReadonlySet<string> = new Set(['EXEC_MCP_OFFLINE', 'EXEC_MCP_READ_ONLY', 'EXEC_MCP_BEHIND_TLS_PROXY', 'EXEC_MCP_INIT_EMPTY', 'EXEC_MCP_METRICS_ACCOUNT_LABELS']);

/** Flag names of those switches (`offline`, `read-only`, ...), for argument parsers that must not eat the next word. */
export const BOOLEAN_CONFIG_FLAGS: ReadonlySet<string> = new Set(Object.entries(FLAG_TO_VAR).filter(([, v]) => BOOLEAN_VARS.has(v)).map(([f]) => f));

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Builds the config from the environment and flags; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>, flags: Record<string, string | boolean> = {}): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  for (const [flag, value] of Object.entries(flags)) {
    const variable = FLAG_TO_VAR[flag];
    if (!variable) continue;
    // A bare `--port` (no value) must not become port "1" or a data dir named "1".
    if (typeof value === 'boolean' && !BOOLEAN_VARS.has(variable)) throw new ConfigError(variable, `needs a value (flag --${flag} VALUE)`);
    raw[variable] = value === true ? '1' : value === false ? '0' : value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'configuration');
    const flag = Object.entries(FLAG_TO_VAR).find(([, v]) => v === variable)?.[0];
    throw new ConfigError(variable, `${issue.message}${flag ? ` (flag --${flag})` : ''}`);
  }
  const c = parsed.data;
  const dataDir = path.resolve(c.EXEC_MCP_DATA_DIR);
  const config: Config = {
    port: c.EXEC_MCP_PORT,
    host: c.EXEC_MCP_HOST,
    dataDir,
    dbFile: path.join(dataDir, 'exec-mcp.sqlite'),
    bitstampApiUrl: c.BITSTAMP_API_URL.replace(/\/+$/, ''),
    bitstampWsUrl: c.BITSTAMP_WS_URL,
    priceTool: c.EXEC_MCP_PRICE_TOOL,
    offline: c.EXEC_MCP_OFFLINE,
    logLevel: c.EXEC_MCP_LOG_LEVEL,
    readOnly: c.EXEC_MCP_READ_ONLY,
    backtestMaxFileBytes: c.EXEC_MCP_BACKTEST_MAX_FILE_MB * 1024 * 1024,
    backtestMaxEvents: c.EXEC_MCP_BACKTEST_MAX_EVENTS,
    behindTlsProxy: c.EXEC_MCP_BEHIND_TLS_PROXY,
    balanceSnapshotMs: c.EXEC_MCP_BALANCE_SNAPSHOT_S * 1000,
    initEmpty: c.EXEC_MCP_INIT_EMPTY,
    metricsAccountLabels: c.EXEC_MCP_METRICS_ACCOUNT_LABELS,
    exchanges: c.EXEC_MCP_EXCHANGES,
  };
  if (c.EXEC_MCP_TOKEN) config.token = c.EXEC_MCP_TOKEN;
  if (c.EXEC_MCP_READONLY_TOKEN) config.readonlyToken = c.EXEC_MCP_READONLY_TOKEN;
  if (c.EXEC_MCP_ADMIN_PASSWORD) config.adminPassword = c.EXEC_MCP_ADMIN_PASSWORD;
  if (c.EXEC_MCP_MASTER_KEY) config.masterKey = Buffer.from(c.EXEC_MCP_MASTER_KEY, 'base64');
  if (c.EXEC_MCP_PRICE_MCP) config.priceMcp = c.EXEC_MCP_PRICE_MCP;
  if (c.BITSTAMP_STREAM_MARKETS) config.bitstampStreamMarkets = c.BITSTAMP_STREAM_MARKETS;
  if (c.EXEC_MCP_BACKTEST_DATA_DIR) config.backtestDataDir = path.resolve(c.EXEC_MCP_BACKTEST_DATA_DIR);
  return config;
}

/** True when `hostname` names this machine: 127.0.0.0/8, ::1 (bracketed or not), localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h === '[::1]' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** True when `url` names this machine (127.0.0.0/8, ::1, localhost): what EXEC_MCP_OFFLINE still allows. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(host);
}
