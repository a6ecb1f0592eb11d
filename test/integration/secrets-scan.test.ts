/**
 * Secrets scan: plants a known Bitstamp API secret (set through the operator CLI on stdin, and a
 * second one through the dashboard's credentials form), a known admin password and the MCP token,
 * exercises the service end to end against the emulator (MCP calls incl. failing ones, an order
 * that fills over the WebSocket, dashboard pages after login, /metrics) with logging at trace, then
 * greps everything it produced: stdout/stderr of the service and the CLI, MCP results, HTML pages,
 * /metrics, every audit row, and the raw bytes of every file in the data dir (database, WAL, ...).
 * None of the planted values may appear anywhere (plain, base64 or hex).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BitstampEmulator } from '../bitstamp-emulator/index.ts';
import { runCli } from '../campaigns/cli.ts';
import { McpClient } from '../campaigns/mcp-client.ts';
import { ServiceProcess, TEST_MASTER_KEY, sleep, tempDir } from '../campaigns/service-process.ts';
import { WebClient } from './web-harness.ts';

const tag = crypto.randomBytes(6).toString('hex');
const API_SECRET = `PlantedSecret-${tag}-cli`;
const API_SECRET_2 = `PlantedSecret-${tag}-form`;
const ADMIN_PASSWORD = `PlantedAdmin-${tag}`;
const MCP_TOKEN = `PlantedToken-${tag}-0123456789`;
const USER_ID = '810001';
const API_KEY = `scankey${tag}`;

let dir: string | undefined;
let emulator: BitstampEmulator | undefined;
afterAll(async () => {
  await emulator?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Forms a planted value could take in a text or a byte dump. */
function variants(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [...new Set([secret, b.toString('base64'), b.toString('base64url'), b.toString('hex'), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

function findLeaks(where: string, haystack: string | Buffer, planted: Record<string, string>): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  const leaks: string[] = [];
  for (const [name, secret] of Object.entries(planted))
    for (const v of variants(secret)) if (text.includes(v)) leaks.push(`${name} found in ${where} (as ${v === secret ? 'plain text' : 'an encoding'})`);
  return leaks;
}

describe('secrets never leak', () => {
  it('planted API secrets, admin password and MCP token appear in no log, result, page, metric, audit row or database byte', async () => {
    dir = tempDir('exec-mcp-secrets-');
    emulator = await BitstampEmulator.start({ seed: 5, accounts: [], prices: { btcusd: '60000' } });
    emulator.addAccount({ apiKey: API_KEY, secret: API_SECRET, userId: USER_ID, balances: { USD: '100000', BTC: '5' } });
    const cliEnv = { EXEC_MCP_MASTER_KEY: TEST_MASTER_KEY, EXEC_MCP_LOG_LEVEL: 'trace' };
    const cliOutputs: string[] = [];
    const cli = async (args: string[], stdin?: string): Promise<void> => {
      const r = await runCli([...args, '--data-dir', dir!], cliEnv, stdin);
      cliOutputs.push(r.stdout, r.stderr);
      expect(r.code, r.stderr).toBe(0);
    };
    await cli(['accounts', 'add', '--name', 'scan', '--exchange', 'bitstamp', '--exchange-account-id', USER_ID]);
    await cli(['accounts', 'set-credentials', `bitstamp:${USER_ID}`, '--api-key', API_KEY], `${API_SECRET}\n`);
    await cli(['accounts', 'list', '--json']);

    const svc = new ServiceProcess({
      dataDir: dir,
      token: MCP_TOKEN,
      adminPassword: ADMIN_PASSWORD,
      env: { BITSTAMP_API_URL: emulator.apiUrl, BITSTAMP_WS_URL: emulator.wsUrl, EXEC_MCP_LOG_LEVEL: 'trace' },
    });
    await svc.start();
    const results: string[] = [];
    const client = new McpClient({ url: svc.mcpUrl, token: MCP_TOKEN });
    const call = async (tool: string, args: Record<string, unknown>): Promise<Record<string, unknown> | undefined> => {
      const r = await client.call(tool, args);
      results.push(JSON.stringify(r));
      return r.kind === 'ok' ? r.data : undefined;
    };
    const acct = `bitstamp:${USER_ID}`;
    await call('list_accounts', {});
    expect((await call('get_account', { account: acct }))?.has_credentials).toBe(true);
    expect(await call('get_balances', { account: acct, refresh: true })).toBeDefined();
    await call('get_fees', { account: acct });
    await call('preview_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000' });
    expect(await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59000', client_order_id: 'scan-1' })).toBeDefined();
    await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '59500', client_order_id: 'scan-2' });
    emulator.trade('btcusd', '59400', '0.02'); // fills scan-2 over the WebSocket
    for (let i = 0; i < 50; i++) {
      const o = await call('get_order', { account: acct, client_order_id: 'scan-2' });
      if ((o?.order as { status?: string } | undefined)?.status === 'filled') break;
      await sleep(100);
    }
    await call('cancel_order', { account: acct, client_order_id: 'scan-1' });
    await call('list_orders', { account: acct, status: 'all' });
    await call('list_fills', { account: acct });
    await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: 'lots', price: '1' }); // INVALID_ARGUMENT
    await call('place_order', { account: acct, market: 'btcusd', side: 'buy', type: 'limit', amount: '1000', price: '59000', client_order_id: 'scan-big' }); // insufficient funds at the exchange
    // An exchange that answers garbage and an auth failure (a wrong secret on the emulator side).
    emulator.faults = { ...emulator.faults, malformed: { next: 1 }, errorAfter: { next: 1 } };
    await call('get_balances', { account: acct, refresh: true });
    await call('place_order', { account: acct, market: 'btcusd', side: 'sell', type: 'limit', amount: '0.01', price: '61000', client_order_id: 'scan-3' });
    await client.close();

    // Dashboard: login, every page, and replacing the credentials through the write-only form.
    const web = new WebClient(svc.baseUrl);
    const pages: string[] = [];
    const login = await web.login(ADMIN_PASSWORD);
    expect(login.status).toBeLessThan(400);
    for (const p of ['/', '/dashboard', '/dashboard/orders', '/dashboard/audit', '/dashboard/status', `/dashboard/accounts/bitstamp/${USER_ID}/edit`, `/dashboard/accounts/bitstamp/${USER_ID}/credentials`, `/dashboard/accounts/bitstamp/${USER_ID}/balances`]) {
      const r = await web.get(p);
      expect(r.status, p).toBeLessThan(400);
      pages.push(`${p}\n${JSON.stringify([...r.headers])}\n${r.text}`);
    }
    const form = await web.post(`/dashboard/accounts/bitstamp/${USER_ID}/credentials`, { api_key: API_KEY, api_secret: API_SECRET_2 });
    pages.push(`${JSON.stringify([...form.headers])}\n${form.text}`);
    expect(form.status, form.text.slice(0, 300)).toBeLessThan(400);
    const bad = await web.post(`/dashboard/accounts/bitstamp/${USER_ID}/credentials`, { api_key: '', api_secret: API_SECRET_2 }); // refused form: must not echo the secret
    pages.push(bad.text);
    const wrongLogin = await new WebClient(svc.baseUrl).login(`${ADMIN_PASSWORD}-wrong`);
    pages.push(wrongLogin.text);
    pages.push((await web.get('/dashboard')).text);
    const metrics = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/# HELP/);
    await svc.stop();

    const db = new Database(path.join(dir, 'exec-mcp.sqlite'), { readonly: true });
    const audit = JSON.stringify(db.prepare('SELECT * FROM audit_log ORDER BY seq').all());
    const credentialsRows = db.prepare('SELECT COUNT(*) AS n FROM credentials').get() as { n: number };
    db.close();
    expect(credentialsRows.n).toBe(1);
    expect(audit).toMatch(/credential/i); // the change is audited (without its value)

    const planted = { 'API secret (CLI)': API_SECRET, 'API secret (form)': API_SECRET_2, 'admin password': ADMIN_PASSWORD, 'MCP token': MCP_TOKEN };
    const leaks = [
      ...findLeaks('service stdout/stderr', `${svc.stdout}\n${svc.stderr}`, planted),
      ...findLeaks('CLI output', cliOutputs.join('\n'), planted),
      ...findLeaks('MCP results', results.join('\n'), planted),
      ...findLeaks('dashboard pages', pages.join('\n'), planted),
      ...findLeaks('/metrics', metrics, planted),
      ...findLeaks('audit rows', audit, planted),
    ];
    for (const f of fs.readdirSync(dir)) {
      const file = path.join(dir, f);
      if (fs.statSync(file).isFile()) leaks.push(...findLeaks(`file ${f}`, fs.readFileSync(file), planted));
    }
    // The scanner works (a planted value in any form is found), and it had something to look at.
    expect(findLeaks('control', `x${API_SECRET}x`, planted).length).toBeGreaterThan(0);
    expect(findLeaks('control', Buffer.from(ADMIN_PASSWORD).toString('base64'), planted).length).toBeGreaterThan(0);
    expect(svc.stderr.length).toBeGreaterThan(1000);
    expect(results.length).toBeGreaterThan(10);
    expect(fs.existsSync(path.join(dir, 'exec-mcp.sqlite'))).toBe(true);
    expect(leaks).toEqual([]);
  }, 120_000);
});
