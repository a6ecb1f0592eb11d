/**
 * EXEC_MCP_EXCHANGES end to end on the real app, offline (nothing leaves the machine): kraken is
 * listed, accounts on it are added through the CLI and the dashboard's services, list_markets
 * without refreshed metadata is a clear error, and its adapter sends nothing.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccounts } from '../../src/commands/accounts.ts';
import { loadConfig } from '../../src/config.ts';
import { CredentialVault, loadMasterKey } from '../../src/credentials/vault.ts';
import { closeDb, openDb } from '../../src/db/connection.ts';
import type { AccountKey } from '../../src/domain/account.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createApp } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { connectInMemory, type Connected } from '../unit/mcp-harness.ts';
import { startTestApp, tempDataDir, type TestApp } from './mcp-app.ts';
import { WebClient, startWeb } from './web-harness.ts';

const ENV = { EXEC_MCP_EXCHANGES: 'bitstamp,kraken' };

async function cli(args: string[], dataDir: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        append(chunk.toString('utf8'));
        cb();
      },
    });
  const code = await runAccounts([...args, '--data-dir', dataDir], { EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent', ...env }, {
    stdin: Readable.from([Buffer.from('kraken-secret-value-1\n')]),
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    openApp: (config, opts) => createApp(config, { logger: silentLogger(), ...opts }),
  });
  return { code, stdout, stderr };
}

describe('accounts on a ccxt exchange (CLI, real app, offline)', () => {
  it('accounts add --exchange kraken works when kraken is enabled, and is refused when it is not', async () => {
    const dir = tempDataDir('exec-mcp-ccxt-cli-');
    const add = ['add', '--name', 'kr', '--exchange', 'kraken', '--exchange-account-id', 'kr-main'];
    const refused = await cli(add, dir, {});
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/exchange.*must be one of bitstamp, paper/);
    expect(await cli(add, dir, ENV)).toEqual({ code: 0, stdout: 'created account kr (kraken:kr-main, mode live)\n', stderr: '' });
    const creds = await cli(['set-credentials', 'kraken:kr-main', '--api-key', 'kraken-key-1'], dir, ENV);
    expect(creds.code).toBe(0);
    expect(creds.stdout + creds.stderr).not.toContain('kraken-secret-value-1');
    const list = await cli(['list', '--json'], dir, ENV);
    expect(JSON.parse(list.stdout)).toMatchObject({ accounts: [{ name: 'kr', exchange: 'kraken', exchange_account_id: 'kr-main', mode: 'live' }] });
  });

  it('an exchange id ccxt does not know is a configuration error naming the variable', () => {
    expect(() => loadConfig({ EXEC_MCP_EXCHANGES: 'bitstamp,krakn' })).toThrow('invalid configuration: EXEC_MCP_EXCHANGES names krakn, not ccxt exchange ids');
    expect(loadConfig({}).exchanges).toEqual(['bitstamp']);
    expect(loadConfig({ EXEC_MCP_EXCHANGES: ' Kraken, bitstamp,paper,kraken' }).exchanges).toEqual(['kraken', 'bitstamp']);
  });
});

describe('MCP with kraken enabled (offline)', () => {
  let app: TestApp;
  let conn: Connected;
  beforeAll(async () => {
    app = await startTestApp(ENV);
    conn = await connectInMemory(app.services);
  });
  afterAll(async () => {
    await conn?.close();
    await app?.close();
  });

  it('list_exchanges shows kraken (live) next to bitstamp and paper', async () => {
    const r = await conn.client.callTool({ name: 'list_exchanges', arguments: {} });
    const ex = (r.structuredContent as { exchanges: Array<{ id: string; live: boolean; paper: boolean }> }).exchanges;
    expect(ex.map((e) => e.id)).toEqual(['bitstamp', 'paper', 'kraken']);
    expect(ex.find((e) => e.id === 'kraken')).toMatchObject({ name: 'Kraken', live: true, paper: false });
  });

  it('list_markets {exchange: "kraken"} with no cached metadata is a clear "not refreshed yet" error', async () => {
    const r = await conn.client.callTool({ name: 'list_markets', arguments: { exchange: 'kraken' } });
    expect(r.isError).toBe(true);
    const err = (r.structuredContent as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(err.message).toMatch(/metadata of kraken has not been refreshed yet \(offline mode/);
    // bitstamp still answers from its bundled snapshot
    const b = await conn.client.callTool({ name: 'list_markets', arguments: { exchange: 'bitstamp', base: 'BTC', quote: 'USD' } });
    expect(b.isError).toBeFalsy();
  });

  it('/readyz stays ready without kraken metadata (bitstamp and paper can trade) and shows kraken has none', () => {
    const r = app.app.ready();
    expect(r.checks['metadata_kraken']).toBe(false); // offline: never refreshed
    expect(r.checks['metadata_bitstamp']).toBe(true);
    expect(r.ready).toBe(true);
  });

  it('an unknown exchange is INVALID_ARGUMENT naming what is allowed', async () => {
    const r = await conn.client.callTool({ name: 'list_markets', arguments: { exchange: 'binance' } });
    expect(r.isError).toBe(true);
    expect((r.structuredContent as { error: { code: string; message: string } }).error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(JSON.stringify(r.structuredContent)).toMatch(/bitstamp, paper, kraken/);
  });

  it('a kraken account sends nothing offline: its balance is EXCHANGE_UNAVAILABLE', async () => {
    app.services.accounts.create({ name: 'kr', exchange: 'kraken', exchange_account_id: 'k1' }, 'test');
    app.services.accounts.setCredentials('kr', { api_key: 'kraken-key-2', api_secret: 'kraken-secret-2' }, 'test');
    const r = await conn.client.callTool({ name: 'get_balances', arguments: { account: 'kr', refresh: true } });
    expect(r.isError).toBe(true);
    const err = (r.structuredContent as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('EXCHANGE_UNAVAILABLE');
    expect(JSON.stringify(r)).not.toContain('kraken-secret-2');
  });

  it('the dashboard offers kraken in the add-account form and creates an account on it', async () => {
    const web = await startWeb(app.services);
    try {
      const c = new WebClient(web.base);
      await c.login();
      const page = await c.get('/dashboard');
      expect(page.text).toMatch(/<option value="kraken"[^>]*>kraken \(live, via ccxt\)<\/option>/);
      const r = await c.post('/dashboard/accounts', { name: 'kr-web', exchange: 'kraken', exchange_account_id: 'web1', mode: 'live', enabled: 'on' });
      expect(r.status).toBeLessThan(400);
      expect(app.services.accounts.list().map((a) => `${a.exchange}:${a.exchange_account_id}`)).toContain('kraken:web1');
    } finally {
      await web.close();
    }
  });
});

describe('credentials beyond key and secret (ccxt requiredCredentials)', () => {
  it('set-credentials --uid U --with-password stores the passphrase (second stdin line) and uid encrypted, readable as one key pair', async () => {
    const dir = tempDataDir('exec-mcp-ccxt-creds-');
    const env = { EXEC_MCP_EXCHANGES: 'bitstamp,kucoin' };
    expect((await cli(['add', '--name', 'ku', '--exchange', 'kucoin', '--exchange-account-id', 'ku1'], dir, env)).code).toBe(0);
    let stdout = '';
    const code = await runAccounts(['set-credentials', 'ku', '--api-key', 'ku-key-1', '--uid', 'ku-uid-7', '--with-password', '--data-dir', dir], { EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent', ...env }, {
      stdin: Readable.from([Buffer.from('ku-secret-1\nku-pass-phrase\n')]),
      stdout: new Writable({ write: (c: Buffer, _e, cb) => ((stdout += c.toString('utf8')), cb()) }),
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
      openApp: (config, opts) => createApp(config, { logger: silentLogger(), ...opts }),
    });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/ku-secret-1|ku-pass-phrase/);
    const db = openDb(path.join(dir, 'exec-mcp.sqlite'));
    try {
      const vault = new CredentialVault(db, loadMasterKey({ dataDir: dir }), new ManualClock(0));
      const row = db.prepare("SELECT a.id AS id FROM accounts a WHERE a.name = 'ku'").get() as { id: number };
      expect(vault.keyPair(row.id as AccountKey)).toEqual({ apiKey: 'ku-key-1', secret: 'ku-secret-1', password: 'ku-pass-phrase', uid: 'ku-uid-7' });
      // The Signer (Bitstamp's path) sees the secret alone, never the envelope.
      const sig = vault.signer(row.id as AccountKey)?.sign('m');
      expect(sig).toBe(crypto.createHmac('sha256', 'ku-secret-1').update('m').digest('hex'));
      // Nothing readable in the stored row.
      expect(JSON.stringify(db.prepare('SELECT * FROM credentials').all())).not.toMatch(/ku-secret-1|ku-pass-phrase|ku-uid-7/);
    } finally {
      closeDb(db);
    }
  });
});
