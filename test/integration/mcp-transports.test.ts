/**
 * Acceptance of issue 7 over the real CLI: SDK Client over stdio (`exec-mcp mcp`) and over
 * Streamable HTTP (`exec-mcp serve`), plus the MCP Inspector CLI listing the tools.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CONTRACT_TOOLS } from '../unit/mcp-harness.ts';
import { tempDataDir } from './mcp-app.ts';
import { expectContractTools, runPaperFlow } from './mcp-flow.ts';
import { runPositionsFlow } from './mcp-flow-positions.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const TOKEN = 'integration-token-0123456789';
const RO_TOKEN = 'integration-readonly-0123456789';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function baseEnv(dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    EXEC_MCP_DATA_DIR: dataDir,
    EXEC_MCP_OFFLINE: '1',
    EXEC_MCP_LOG_LEVEL: 'warn',
  };
}

async function stdioClient(args: string[], dataDir: string): Promise<{ client: Client; stderr: () => string }> {
  let stderr = '';
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...args], env: baseEnv(dataDir), stderr: 'pipe', cwd: ROOT });
  transport.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const client = new Client({ name: 'stdio-acceptance', version: '1' });
  // A non-protocol line on stdout makes the client report an error: collect them.
  const protocolErrors: string[] = [];
  client.onerror = (e) => void protocolErrors.push(String(e));
  await client.connect(transport);
  cleanups.push(async () => {
    await client.close();
    expect(protocolErrors, 'stdout must carry only protocol messages').toEqual([]);
  });
  return { client, stderr: () => stderr };
}

async function startServe(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...baseEnv(dataDir), EXEC_MCP_TOKEN: TOKEN, EXEC_MCP_READONLY_TOKEN: RO_TOKEN, EXEC_MCP_ADMIN_PASSWORD: 'admin-password-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}\n${err}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}/mcp`);
      }
    });
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  return { url, proc };
}

async function httpClient(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'http-acceptance', version: '1' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

describe('exec-mcp mcp (stdio)', () => {
  it('lists every contract tool and runs the full paper flow', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const { client } = await stdioClient([], dataDir);
    expect(client.getServerVersion()?.name).toBe('exec-mcp');
    await expectContractTools(client);
    await runPaperFlow(client, 'stdio');
    await runPositionsFlow(client, 'stdio');
  });

  it('--read-only registers no execution tools', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const { client } = await stdioClient(['--read-only'], dataDir);
    await expectContractTools(client, true);
  });

  it('exits cleanly on SIGTERM', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const proc = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env: baseEnv(dataDir), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) + '\n');
    await new Promise<void>((resolve) => {
      const check = (): void => (stdout.includes('"id":1') ? resolve() : void setTimeout(check, 20));
      check();
    });
    proc.kill('SIGTERM');
    expect(await new Promise<number | null>((resolve) => proc.once('exit', resolve))).toBe(0);
  });

  it('exits cleanly when stdin ends', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const proc = spawn(process.execPath, [BIN, 'mcp'], { cwd: ROOT, env: baseEnv(dataDir), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    proc.stdin.write(JSON.stringify(init) + '\n');
    await new Promise<void>((resolve) => {
      const check = (): void => (stdout.includes('"id":1') ? resolve() : void setTimeout(check, 20));
      check();
    });
    proc.stdin.end();
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(code).toBe(0);
    // Every stdout line is a JSON-RPC message.
    for (const line of stdout.split('\n').filter(Boolean)) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
  });
});

describe('exec-mcp serve (Streamable HTTP)', () => {
  it('401 without the token; lists every tool and runs the full paper flow; read-only token sees reads only', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const { url } = await startServe(dataDir);
    const denied = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
    const client = await httpClient(url, TOKEN);
    await expectContractTools(client);
    await runPaperFlow(client, 'http');
    await runPositionsFlow(client, 'http');
    const ro = await httpClient(url, RO_TOKEN);
    await expectContractTools(ro, true);
  });
});

describe('MCP Inspector CLI', () => {
  async function inspectorList(pkg: string): Promise<string[]> {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    try {
      const { stdout } = await promisify(execFile)('npx', [pkg, '--cli', 'node', BIN, 'mcp', '--method', 'tools/list'], { cwd: ROOT, env: baseEnv(dataDir), timeout: 60_000 });
      return (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((t) => t.name).sort();
    } catch (err) {
      // inspector 0.15's bin imports `commander` without depending on it, and nunjucks hoists commander 5.
      if (/allowExcessArguments is not a function/.test(String(err)))
        throw new Error('the inspector bin resolved commander 5 (hoisted by nunjucks): add devDependency commander@^13 to package.json');
      throw err;
    }
  }

  it('`npx @modelcontextprotocol/inspector --cli` lists the tools of exec-mcp mcp', async () => {
    expect(await inspectorList('@modelcontextprotocol/inspector')).toEqual([...CONTRACT_TOOLS].sort());
  });

  it('the same inspector CLI from its own package lists the tools (isolates the commander hoisting problem)', async () => {
    expect(await inspectorList('@modelcontextprotocol/inspector-cli')).toEqual([...CONTRACT_TOOLS].sort());
  });
});

describe('stdio and HTTP at once on one data dir', () => {
  it('relays `exec-mcp mcp` to the running server (one runtime per data dir) and refuses a second serve', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const { url } = await startServe(dataDir);
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'exec-mcp.lock'), 'utf8')) as { command: string; url: string };
    expect(lock.command).toBe('serve');
    expect(`${lock.url}/mcp`).toBe(url);

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      env: { ...baseEnv(dataDir), EXEC_MCP_TOKEN: TOKEN },
      stderr: 'pipe',
      cwd: ROOT,
    });
    const viaStdio = new Client({ name: 'stdio-relay', version: '1' });
    await viaStdio.connect(transport);
    cleanups.push(() => viaStdio.close());
    const placed = await viaStdio.callTool({
      name: 'place_order',
      arguments: { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '40000', client_order_id: 'relay-1' },
    });
    expect(placed.isError ?? false).toBe(false);

    // The order placed over stdio is the HTTP server's order: one runtime, one database.
    const viaHttp = await httpClient(url, TOKEN);
    const got = await viaHttp.callTool({ name: 'get_order', arguments: { account: 'paper', client_order_id: 'relay-1' } });
    expect((got.structuredContent as { order: { status: string } }).order.status).toBe('open');

    // A second runtime on the same data dir would execute the same outbox: refused with a clear line.
    const second = await promisify(execFile)(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: ROOT,
      env: { ...baseEnv(dataDir), EXEC_MCP_TOKEN: TOKEN, EXEC_MCP_ADMIN_PASSWORD: 'admin-password-1' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by exec-mcp serve \(pid \d+/);
  });
});
