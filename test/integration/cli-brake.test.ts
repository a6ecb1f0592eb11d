/**
 * The operator's brake from the CLI (`orders`, `kill-switch`, `risk-limits`) on the real app and a
 * real SQLite data dir with a paper account: relayed to a running serve (its control endpoint) when
 * one owns the data dir, run on the CLI's own runtime when none does, refused when a session
 * without an endpoint owns it. Every cancel is audited with actor "cli".
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrakeCliIo } from '../../src/commands/brake-cli.ts';
import { runKillSwitch } from '../../src/commands/kill-switch.ts';
import { runOrders } from '../../src/commands/orders.ts';
import { runRiskLimits } from '../../src/commands/risk-limits.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { createApp, createHttpServer, type App, type HttpServerHandle } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { hashPassword } from '../../src/web/password.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOKEN = 'brake-test-token-' + crypto.randomBytes(8).toString('hex');
const ACCOUNT = 'paper:brake-1';
const READONLY_TOKEN = 'brake-readonly-' + crypto.randomBytes(8).toString('hex');

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-brake-'));
  env = { EXEC_MCP_DATA_DIR: dir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent', EXEC_MCP_MASTER_KEY: crypto.randomBytes(32).toString('base64'), EXEC_MCP_TOKEN: TOKEN, EXEC_MCP_PORT: '0', EXEC_MCP_HOST: '127.0.0.1', EXEC_MCP_READONLY_TOKEN: READONLY_TOKEN };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const prices = (): FixedPriceSource => new FixedPriceSource({ btcusd: '50000', ethusd: '3000' });
const openApp = (config: Config, opts: { command?: string } = {}): Promise<App> =>
  createApp(config, { logger: silentLogger(), priceSource: prices(), ...(opts.command ? { command: opts.command } : {}) });

/** A started app (the order owner) with a paper account and `n` limit buys resting far below the market. */
async function ownerWithOrders(n: number): Promise<{ app: App; orderIds: string[] }> {
  const app = await openApp(loadConfig(env));
  await app.start();
  app.services.accounts.create({ name: 'Brake Desk', exchange: 'paper', exchange_account_id: 'brake-1', initial_balances: { USD: '100000' } }, 'test');
  const orderIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = await app.services.orders.place(ACCOUNT, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: String(1000 + i), client_order_id: `brake-${i}` }, 'test');
    expect(o.status).toBe('open');
    orderIds.push(o.order_id);
  }
  return { app, orderIds };
}

async function serve(app: App): Promise<HttpServerHandle> {
  const http = await createHttpServer(app, hashPassword('pw', { N: 1024, r: 8, p: 1 }), TOKEN);
  app.advertiseUrl(http.url);
  return http;
}

type Runner = (args: string[], env: NodeJS.ProcessEnv, io: BrakeCliIo) => Promise<number>;
async function cli(runner: Runner, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        append(chunk.toString('utf8'));
        cb();
      },
    });
  const code = await runner(args, { ...env, ...extraEnv }, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), openApp });
  return { code, stdout, stderr };
}

const cancelRowsBy = (app: App, actor: string): number =>
  (app.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'order.cancel' AND actor = ?").get(actor) as { n: number }).n;

describe('exec-mcp orders / kill-switch under a running serve (relayed)', () => {
  let owner: App;
  let http: HttpServerHandle;
  let ids: string[];
  beforeEach(async () => {
    ({ app: owner, orderIds: ids } = await ownerWithOrders(3));
    http = await serve(owner);
  });
  afterEach(async () => {
    await http.close();
    await owner.close();
  });

  it('orders list reads the store; orders cancel ORDER_ID is carried out by serve, audited as cli', async () => {
    const list = await cli(runOrders, ['list', '--account', ACCOUNT, '--status', 'open', '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { orders: { order_id: string }[] }).orders.map((o) => o.order_id).sort()).toEqual([...ids].sort());

    const r = await cli(runOrders, ['cancel', ids[0]!]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`order ${ids[0]} (brake-0) on ${ACCOUNT}: cancelled`);
    expect(r.stdout).toContain(`relayed to the running exec-mcp serve at ${http.url}`);
    // Serve's own actor did it (its in-memory view agrees), and its audit row names the CLI.
    expect(owner.services.orders.get(ACCOUNT, { order_id: ids[0]! }).status).toBe('cancelled');
    expect(cancelRowsBy(owner, 'cli')).toBe(1);
    expect(owner.services.orders.get(ACCOUNT, { order_id: ids[1]! }).status).toBe('open');

    // By client order id; a second cancel of a cancelled order is refused (exit 1), nothing sent.
    const byClient = await cli(runOrders, ['cancel', '--account', ACCOUNT, '--client-order-id', 'brake-1']);
    expect(byClient.code).toBe(0);
    expect(owner.services.orders.get(ACCOUNT, { order_id: ids[1]! }).status).toBe('cancelled');
    const again = await cli(runOrders, ['cancel', ids[0]!]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ORDER_NOT_CANCELLABLE');
    expect(cancelRowsBy(owner, 'cli')).toBe(2);
  });

  it('orders cancel-all --account cancels every open order of the account through serve', async () => {
    const r = await cli(runOrders, ['cancel-all', '--account', 'Brake Desk']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ACCOUNT}: cancel sent for 3 orders`);
    expect(owner.services.orders.list(ACCOUNT, { status: 'open' })).toEqual([]);
    expect(cancelRowsBy(owner, 'cli')).toBe(3);
  });

  it('kill-switch on --cancel-open: new orders refused at once, then every open order cancelled; off accepts again', async () => {
    const r = await cli(runKillSwitch, ['on', '--cancel-open']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('global kill switch ON');
    expect(r.stdout).toContain(`${ACCOUNT}: cancel sent for 3 orders`);
    expect(owner.services.orders.list(ACCOUNT, { status: 'open' })).toEqual([]);
    expect(owner.services.accounts.globalKillSwitch()).toBe(true);
    await expect(owner.services.orders.place(ACCOUNT, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000' }, 'test')).rejects.toMatchObject({ code: 'RISK_LIMIT' });
    const audit = owner.db.prepare("SELECT actor FROM audit_log WHERE action = 'kill_switch.on'").all() as { actor: string }[];
    expect(audit).toEqual([{ actor: 'cli' }]);
    expect((await cli(runKillSwitch, ['show', '--json'])).stdout).toContain('"global_kill_switch": true');
    expect((await cli(runKillSwitch, ['off'])).code).toBe(0);
    expect(owner.services.accounts.globalKillSwitch()).toBe(false);
    expect((await owner.services.orders.place(ACCOUNT, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000' }, 'test')).status).toBe('open');
  });

  it('kill-switch on --account X --cancel-open stops and empties that account only', async () => {
    const r = await cli(runKillSwitch, ['on', '--account', ACCOUNT, '--cancel-open']);
    expect(r.code).toBe(0);
    expect(owner.services.accounts.get(ACCOUNT).limits.kill_switch).toBe(true);
    expect(owner.services.accounts.globalKillSwitch()).toBe(false);
    expect(owner.services.orders.list(ACCOUNT, { status: 'open' })).toEqual([]);
    await expect(owner.services.orders.place(ACCOUNT, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '1000' }, 'test')).rejects.toMatchObject({ code: 'RISK_LIMIT' });
  });

  it('a wrong token is refused by serve: exit 1, nothing cancelled', async () => {
    const r = await cli(runOrders, ['cancel-all', '--account', ACCOUNT], { EXEC_MCP_TOKEN: 'not-the-token-but-long-enough-' + 'x'.repeat(20) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bearer token required');
    expect(owner.services.orders.list(ACCOUNT, { status: 'open' })).toHaveLength(3);
  });

  it('the control endpoint wants POST with the bearer token', async () => {
    const anon = await fetch(`${http.url}/control/orders/cancel-all`, { method: 'POST', body: '{}' });
    expect(anon.status).toBe(401);
    // The read-only MCP token may read orders over MCP, never cancel them here.
    const readOnly = await fetch(`${http.url}/control/orders/cancel-all`, { method: 'POST', headers: { authorization: `Bearer ${READONLY_TOKEN}` }, body: '{}' });
    expect(readOnly.status).toBe(401);
    const get = await fetch(`${http.url}/control/orders/cancel-all`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    const bad = await fetch(`${http.url}/control/orders/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"account":"paper:brake-1","order_id":"nope"}' });
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('ORDER_NOT_FOUND');
    expect(owner.services.orders.list(ACCOUNT, { status: 'open' })).toHaveLength(3);
  });

  it('the installed command relays too (spawned exec-mcp orders cancel)', async () => {
    // Spawned asynchronously: this process is the serve that must answer the relay.
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/exec-mcp.js'), 'orders', 'cancel', ids[2]!], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('relayed to the running exec-mcp serve');
    expect(owner.services.orders.get(ACCOUNT, { order_id: ids[2]! }).status).toBe('cancelled');
  }, 120_000);
});

describe('exec-mcp orders without a running serve', () => {
  it('runs the cancels on its own runtime (takes the data dir, waits for the answers, lets go)', async () => {
    const { app, orderIds } = await ownerWithOrders(2);
    await app.close();
    const r = await cli(runOrders, ['cancel-all', '--account', ACCOUNT]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(own runtime)');
    expect(fs.existsSync(path.join(dir, 'exec-mcp.lock'))).toBe(false);
    const after = await openApp(loadConfig(env));
    try {
      for (const id of orderIds) expect(after.services.orders.get(ACCOUNT, { order_id: id }).status).toBe('cancelled');
      expect(cancelRowsBy(after, 'cli')).toBe(2);
    } finally {
      await after.close();
    }
  });

  it('refuses, sending nothing, when a session without a control endpoint owns the data dir', async () => {
    const { app, orderIds } = await ownerWithOrders(1);
    await app.close();
    fs.writeFileSync(path.join(dir, 'exec-mcp.lock'), JSON.stringify({ pid: process.pid, command: 'mcp', started_at: new Date().toISOString() }));
    const r = await cli(runOrders, ['cancel', orderIds[0]!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('in use by exec-mcp mcp');
    fs.rmSync(path.join(dir, 'exec-mcp.lock'));
    const after = await openApp(loadConfig(env));
    try {
      expect(after.services.orders.get(ACCOUNT, { order_id: orderIds[0]! }).status).toBe('open');
      expect(cancelRowsBy(after, 'cli')).toBe(0);
    } finally {
      await after.close();
    }
  });

  it('usage errors exit 2 without opening anything', async () => {
    expect((await cli(runOrders, ['cancel-all'])).code).toBe(2);
    expect((await cli(runOrders, ['frob'])).code).toBe(2);
    expect((await cli(runKillSwitch, ['off', '--cancel-open'])).code).toBe(2);
    expect((await cli(runRiskLimits, ['set', ACCOUNT])).code).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('exec-mcp risk-limits', () => {
  it('sets, shows and clears limits by their contract names, audited as cli', async () => {
    const { app } = await ownerWithOrders(0);
    await app.close();
    const set = await cli(runRiskLimits, ['set', ACCOUNT, '--max-order-value', '5000', '--max-open-orders', '4', '--allowed-markets', 'BTCUSD,ethusd', '--json']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ account: ACCOUNT, limits: { max_order_value: '5000', max_open_orders: 4, allowed_markets: ['btcusd', 'ethusd'] } });
    const cleared = await cli(runRiskLimits, ['set', ACCOUNT, '--max-order-value', '', '--kill-switch', 'on']);
    expect(cleared.code).toBe(0);
    const show = await cli(runRiskLimits, ['show', 'Brake Desk']);
    expect(show.stdout).toMatch(/max_order_value\s+no cap/);
    expect(show.stdout).toMatch(/max_open_orders\s+4/);
    expect(show.stdout).toMatch(/kill_switch\s+ON/);
    const bad = await cli(runRiskLimits, ['set', ACCOUNT, '--max-order-value', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
    const after = await openApp(loadConfig(env));
    try {
      const actors = after.db.prepare("SELECT DISTINCT actor FROM audit_log WHERE subject LIKE '%brake-1%' AND action LIKE 'account.limits%'").all() as { actor: string }[];
      expect(actors).toEqual([{ actor: 'cli' }]);
    } finally {
      await after.close();
    }
  });
});
