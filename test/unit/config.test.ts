import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOLEAN_CONFIG_FLAGS, ConfigError, isLoopbackUrl, loadConfig } from '../../src/config.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the CONTRACT.md defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      dbFile: path.resolve('./data/exec-mcp.sqlite'),
      bitstampApiUrl: 'https://www.bitstamp.net',
      bitstampWsUrl: 'wss://ws.bitstamp.net',
      priceTool: 'get_price',
      offline: false,
      readOnly: false,
    });
    expect(c.masterKey).toBeUndefined();
    expect(c.token).toBeUndefined();
  });

  it('reads variables, and flags win over variables', () => {
    const c = loadConfig({ EXEC_MCP_PORT: '9000', EXEC_MCP_DATA_DIR: '/tmp/a', EXEC_MCP_OFFLINE: '1' }, { port: '9100', 'data-dir': '/tmp/b' });
    expect(c.port).toBe(9100);
    expect(c.dataDir).toBe('/tmp/b');
    expect(c.offline).toBe(true);
    expect(loadConfig({}, { 'read-only': true }).readOnly).toBe(true);
    expect(loadConfig({ BITSTAMP_API_URL: 'http://127.0.0.1:1234/' }).bitstampApiUrl).toBe('http://127.0.0.1:1234');
  });

  it('decodes a valid master key and treats empty variables as unset', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ EXEC_MCP_MASTER_KEY: key }).masterKey).toEqual(Buffer.alloc(32, 7));
    expect(loadConfig({ EXEC_MCP_PORT: '' }).port).toBe(8787);
  });

  it('names the bad variable (and its flag) in one line', () => {
    const cases: Array<[Record<string, string>, Record<string, string>, string, RegExp]> = [
      [{ EXEC_MCP_PORT: 'abc' }, {}, 'EXEC_MCP_PORT', /^invalid configuration: EXEC_MCP_PORT must be a port number \(flag --port\)$/],
      [{ EXEC_MCP_PORT: '70000' }, {}, 'EXEC_MCP_PORT', /must be 0-65535/],
      [{}, { port: '1.5' }, 'EXEC_MCP_PORT', /must be a port number/],
      [{ EXEC_MCP_PORT: ' ' }, {}, 'EXEC_MCP_PORT', /must be a port number/], // not port 0
      [{ EXEC_MCP_PORT: '0x10' }, {}, 'EXEC_MCP_PORT', /must be a port number/],
      [{ EXEC_MCP_MASTER_KEY: 'c2hvcnQ=' }, {}, 'EXEC_MCP_MASTER_KEY', /base64 of exactly 32 bytes/],
      [{ BITSTAMP_WS_URL: 'https://x' }, {}, 'BITSTAMP_WS_URL', /must use ws: or wss:/],
      [{ EXEC_MCP_TOKEN: 'short' }, {}, 'EXEC_MCP_TOKEN', /at least 16/],
      [{ EXEC_MCP_OFFLINE: 'maybe' }, {}, 'EXEC_MCP_OFFLINE', /must be 1 or 0/],
      [{ EXEC_MCP_LOG_LEVEL: 'loud' }, {}, 'EXEC_MCP_LOG_LEVEL', /EXEC_MCP_LOG_LEVEL/],
    ];
    for (const [env, flags, variable, message] of cases) {
      const e = configError(() => loadConfig(env, flags));
      expect(e.variable).toBe(variable);
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain('\n');
    }
  });

  it('a value flag given bare (`--port`, `--data-dir`) is an error, not port 1 or a dir named "1"', () => {
    for (const [flag, variable] of [['port', 'EXEC_MCP_PORT'], ['data-dir', 'EXEC_MCP_DATA_DIR'], ['host', 'EXEC_MCP_HOST'], ['price-tool', 'EXEC_MCP_PRICE_TOOL'], ['token', 'EXEC_MCP_TOKEN']] as const) {
      const e = configError(() => loadConfig({}, { [flag]: true }));
      expect(e.variable).toBe(variable);
      expect(e.message).toBe(`invalid configuration: ${variable} needs a value (flag --${flag} VALUE)`);
    }
    expect(loadConfig({}, { offline: true, 'read-only': true })).toMatchObject({ offline: true, readOnly: true });
  });

  it('refuses blank host, data dir, price MCP and a price tool name with spaces', () => {
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [{ EXEC_MCP_HOST: ' ' }, {}, 'EXEC_MCP_HOST'],
      [{}, { host: 'local host' }, 'EXEC_MCP_HOST'],
      [{ EXEC_MCP_DATA_DIR: '  ' }, {}, 'EXEC_MCP_DATA_DIR'],
      [{ EXEC_MCP_PRICE_MCP: ' ' }, {}, 'EXEC_MCP_PRICE_MCP'],
      [{ EXEC_MCP_PRICE_TOOL: 'get price' }, {}, 'EXEC_MCP_PRICE_TOOL'],
    ];
    for (const [env, flags, variable] of cases) {
      const e = configError(() => loadConfig(env, flags));
      expect(e.variable).toBe(variable);
      expect(e.message).not.toContain('\n');
    }
    expect(loadConfig({ EXEC_MCP_DATA_DIR: '/tmp/with space' }).dataDir).toBe('/tmp/with space');
    expect(loadConfig({ EXEC_MCP_PRICE_MCP: 'node price-server.js --stdio' }).priceMcp).toBe('node price-server.js --stdio');
  });

  it('never echoes a rejected secret value', () => {
    const e = configError(() => loadConfig({ EXEC_MCP_MASTER_KEY: 'TOP-SECRET-VALUE' }));
    expect(e.message).not.toContain('TOP-SECRET-VALUE');
    const t = configError(() => loadConfig({ EXEC_MCP_TOKEN: 'tiny-secret' }));
    expect(t.message).not.toContain('tiny-secret');
  });
});

describe('EXEC_MCP_BEHIND_TLS_PROXY / --behind-tls-proxy', () => {
  it('is off by default and on by variable, bare flag or flag value; the flag wins', () => {
    expect(loadConfig({}).behindTlsProxy).toBe(false);
    for (const v of ['1', 'true', 'yes']) expect(loadConfig({ EXEC_MCP_BEHIND_TLS_PROXY: v }).behindTlsProxy, v).toBe(true);
    for (const v of ['0', 'false', 'no', '']) expect(loadConfig({ EXEC_MCP_BEHIND_TLS_PROXY: v }).behindTlsProxy, v).toBe(false);
    expect(loadConfig({}, { 'behind-tls-proxy': true }).behindTlsProxy).toBe(true);
    expect(loadConfig({}, { 'behind-tls-proxy': '1' }).behindTlsProxy).toBe(true);
    expect(loadConfig({ EXEC_MCP_BEHIND_TLS_PROXY: '1' }, { 'behind-tls-proxy': '0' }).behindTlsProxy).toBe(false);
    expect(BOOLEAN_CONFIG_FLAGS).toEqual(new Set(['offline', 'read-only', 'behind-tls-proxy', 'init-empty', 'metrics-account-labels']));
  });

  it('an invalid value is one line naming the variable and its flag', () => {
    for (const [env, flags] of [[{ EXEC_MCP_BEHIND_TLS_PROXY: 'maybe' }, {}], [{}, { 'behind-tls-proxy': 'on' }]] as const) {
      const e = configError(() => loadConfig(env, flags));
      expect(e.variable).toBe('EXEC_MCP_BEHIND_TLS_PROXY');
      expect(e.message).toBe('invalid configuration: EXEC_MCP_BEHIND_TLS_PROXY must be 1 or 0 (flag --behind-tls-proxy)');
    }
  });
});

describe('isLoopbackUrl (what EXEC_MCP_OFFLINE still reaches)', () => {
  it('accepts only this machine', () => {
    for (const u of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:1', 'http://[::1]:99/x']) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['https://www.bitstamp.net', 'http://192.0.2.1', 'http://127.0.0.1.example.com', 'not a url', 'http://10.0.0.1']) expect(isLoopbackUrl(u), u).toBe(false);
  });
});

describe('EXEC_MCP_INIT_EMPTY / --init-empty', () => {
  it('is off by default and on by variable or bare flag; the flag wins; a bad value names the flag', () => {
    expect(loadConfig({}).initEmpty).toBe(false);
    expect(loadConfig({ EXEC_MCP_INIT_EMPTY: '1' }).initEmpty).toBe(true);
    expect(loadConfig({}, { 'init-empty': true }).initEmpty).toBe(true);
    expect(loadConfig({ EXEC_MCP_INIT_EMPTY: '1' }, { 'init-empty': '0' }).initEmpty).toBe(false);
    expect(configError(() => loadConfig({ EXEC_MCP_INIT_EMPTY: 'please' })).message).toBe(
      'invalid configuration: EXEC_MCP_INIT_EMPTY must be 1 or 0 (flag --init-empty)',
    );
  });
});

describe('EXEC_MCP_BACKTEST_MAX_FILE_MB / EXEC_MCP_BACKTEST_MAX_EVENTS', () => {
  it('default to 256 MiB and 5M events, read variables and flags, and name the variable when out of range', () => {
    expect(loadConfig({})).toMatchObject({ backtestMaxFileBytes: 256 * 1024 * 1024, backtestMaxEvents: 5_000_000 });
    expect(loadConfig({ EXEC_MCP_BACKTEST_MAX_FILE_MB: '2', EXEC_MCP_BACKTEST_MAX_EVENTS: '1000' })).toMatchObject({ backtestMaxFileBytes: 2 * 1024 * 1024, backtestMaxEvents: 1000 });
    expect(loadConfig({}, { 'backtest-max-file-mb': '3', 'backtest-max-events': '7' })).toMatchObject({ backtestMaxFileBytes: 3 * 1024 * 1024, backtestMaxEvents: 7 });
    expect(configError(() => loadConfig({ EXEC_MCP_BACKTEST_MAX_FILE_MB: '2048' })).message).toBe(
      'invalid configuration: EXEC_MCP_BACKTEST_MAX_FILE_MB must be 1-1024 MiB (flag --backtest-max-file-mb)',
    );
    expect(configError(() => loadConfig({ EXEC_MCP_BACKTEST_MAX_EVENTS: '1e6' })).message).toBe(
      'invalid configuration: EXEC_MCP_BACKTEST_MAX_EVENTS must be a whole number of events (flag --backtest-max-events)',
    );
  });
});
