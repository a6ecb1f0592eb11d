/**
 * /metrics needs no login, so by default it names no account: connection state is counted per
 * exchange. EXEC_MCP_METRICS_ACCOUNT_LABELS=1 adds the per-account series (labelled by account
 * reference). Real app and HTTP server; the Bitstamp account's exchange on 127.0.0.1 refuses
 * connections, so its connection is reported (not live).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer, type HttpServerHandle } from '../../src/main.ts';
import { hashPassword } from '../../src/web/password.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let t: TestApp | undefined;
let http: HttpServerHandle | undefined;
afterEach(async () => {
  await http?.close();
  await t?.close();
  http = undefined;
  t = undefined;
});

/** The /metrics text once the Bitstamp account's connection has been reported. */
async function metricsWithLiveAccount(env: Record<string, string>): Promise<string> {
  const port = await closedPort();
  t = await startTestApp({ EXEC_MCP_PORT: '0', BITSTAMP_API_URL: `http://127.0.0.1:${port}`, BITSTAMP_WS_URL: `ws://127.0.0.1:${port}`, ...env });
  http = await createHttpServer(t.app, hashPassword('test-only-password', { N: 1024, r: 8, p: 1 }), 'test-token-0123456789abcdef');
  t.services.accounts.create({ name: 'desk-one', exchange: 'bitstamp', exchange_account_id: '246813' } as never, 'test');
  t.services.accounts.setCredentials('desk-one', { api_key: 'k'.repeat(32), api_secret: 's'.repeat(32) }, 'test');
  const end = Date.now() + 20_000;
  for (;;) {
    const text = await (await fetch(`${http.url}/metrics`)).text();
    if (/^exec_mcp_accounts_stream_down 1$/m.test(text) || Date.now() > end) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/metrics account labels', () => {
  it('by default: no account reference anywhere, connection state counted per exchange', async () => {
    const text = await metricsWithLiveAccount({});
    expect(text).toMatch(/^exec_mcp_accounts_stream_down 1$/m);
    expect(text).toMatch(/^exec_mcp_connections_live\{exchange="bitstamp"\} 0$/m);
    expect(text).not.toContain('246813');
    expect(text).not.toContain('desk-one');
    expect(text).not.toMatch(/account="/);
    expect(text).not.toContain('exec_mcp_connection_live{');
  }, 30_000);

  it('EXEC_MCP_METRICS_ACCOUNT_LABELS=1: the per-account series, labelled by account reference', async () => {
    const text = await metricsWithLiveAccount({ EXEC_MCP_METRICS_ACCOUNT_LABELS: '1' });
    expect(text).toMatch(/^exec_mcp_connection_live\{account="bitstamp:246813"\} 0$/m);
    expect(text).toMatch(/^exec_mcp_connections_live\{exchange="bitstamp"\} 0$/m);
  }, 30_000);

  it('the option is off unless set, and also a flag', () => {
    expect(loadConfig({}).metricsAccountLabels).toBe(false);
    expect(loadConfig({ EXEC_MCP_METRICS_ACCOUNT_LABELS: 'true' }).metricsAccountLabels).toBe(true);
    expect(loadConfig({}, { 'metrics-account-labels': true }).metricsAccountLabels).toBe(true);
    expect(() => loadConfig({ EXEC_MCP_METRICS_ACCOUNT_LABELS: 'maybe' })).toThrow(/EXEC_MCP_METRICS_ACCOUNT_LABELS must be 1 or 0/);
  });
});
