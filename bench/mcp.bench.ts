/**
 * MCP benchmarks (issue 7): p50/p99 latency and calls/s of place_order on a paper account, over stdio
 * (the real `exec-mcp mcp` child process) and over Streamable HTTP (a child process serving
 * createMcpHttpHandler on 127.0.0.1), each beside the hidden no-op tool measured in the same run,
 * calls interleaved so both see the same machine noise. Target: place_order p50 <= 3x the no-op p50.
 * Runnable alone: `node bin/run-ts.js bench/mcp.bench.ts` (or `npx tsx bench/mcp.bench.ts`).
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BenchResult } from './types.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const RUN_TS = path.join(ROOT, 'bin/run-ts.js');
const CALLS = Number(process.env.MCP_BENCH_CALLS ?? 1000);
const WARMUP = 100;
const TOKEN = 'bench-token-0123456789abcdef';

function env(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'warn' };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Series {
  p50: number;
  p99: number;
  perSecond: number;
}

function summarize(samples: number[], totalMs: number): Series {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), perSecond: (samples.length / totalMs) * 1000 };
}

let orderSeq = 0;
function placeArgs(run: string): Record<string, unknown> {
  // A resting limit buy (20 USD notional, far below the offline replay price of ~60k): 1000 of them reserve 20k of the 100k USD.
  return { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: `bench-${run}-${++orderSeq}` };
}

async function timedCall(client: Client, name: string, args: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const dt = performance.now() - t0;
  if (r.isError) throw new Error(`${name} failed during the benchmark: ${JSON.stringify(r.structuredContent)}`);
  return dt;
}

const TOOL_LIST_BUDGET_BYTES = 24 * 1024;

/** Interleaves no-op and place_order calls; returns both series. */
async function measure(client: Client, run: string): Promise<{ noop: Series; place: Series }> {
  for (let i = 0; i < WARMUP; i++) {
    await timedCall(client, 'bench_noop', {});
    await timedCall(client, 'place_order', placeArgs(run));
  }
  const noop: number[] = [];
  const place: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    noop.push(await timedCall(client, 'bench_noop', {}));
    place.push(await timedCall(client, 'place_order', placeArgs(run)));
  }
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  return { noop: summarize(noop, sum(noop)), place: summarize(place, sum(place)) };
}

function results(transport: string, m: { noop: Series; place: Series }): BenchResult[] {
  const ratio = m.place.p50 / m.noop.p50;
  return [
    { name: `mcp ${transport} place_order p50`, value: m.place.p50, unit: 'ms', baseline: m.noop.p50, baselineName: 'no-op tool p50', ratio, target: '<= 3x no-op p50', pass: ratio <= 3 } as BenchResult,
    { name: `mcp ${transport} place_order p99`, value: m.place.p99, unit: 'ms', baseline: m.noop.p99, baselineName: 'no-op tool p99', ratio: m.place.p99 / m.noop.p99 },
    { name: `mcp ${transport} place_order calls/s (sequential)`, value: m.place.perSecond, unit: 'calls/s', baseline: m.noop.perSecond, baselineName: 'no-op tool calls/s', ratio: m.place.perSecond / m.noop.perSecond },
  ];
}

async function benchStdio(): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bench-stdio-'));
  const client = new Client({ name: 'bench', version: '1' });
  try {
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--bench-noop'], env: env(dataDir), cwd: ROOT, stderr: 'inherit' }));
    // What a client pays before doing anything (issue 20 budget: 24 KB of JSON for the full surface).
    // The bench-only no-op tool is left out, so this is the surface clients see.
    const listed = await client.listTools();
    const listBytes = Buffer.byteLength(JSON.stringify({ ...listed, tools: listed.tools.filter((t) => t.name !== 'bench_noop') }), 'utf8');
    const size: BenchResult = { name: 'mcp stdio tools/list size', value: listBytes, unit: 'bytes', baseline: TOOL_LIST_BUDGET_BYTES, baselineName: 'budget (24 KB)', ratio: listBytes / TOOL_LIST_BUDGET_BYTES, target: '<= 1x budget', pass: listBytes <= TOOL_LIST_BUDGET_BYTES };
    return [...results('stdio', await measure(client, 'stdio')), size];
  } finally {
    await client.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchHttp(): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bench-http-'));
  const child = spawn(process.execPath, [RUN_TS, fileURLToPath(import.meta.url), '--serve-http'], { cwd: ROOT, env: env(dataDir), stdio: ['ignore', 'pipe', 'inherit'] });
  const client = new Client({ name: 'bench', version: '1' });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^url (\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`bench http server exited ${code}`)));
    });
    // The SDK's HTTP client passes one AbortSignal to every POST and fetch keeps a listener on it
    // per call: thousands of calls in one session print a MaxListeners warning per call from then on
    // (client side, not the server under test). The signal is created inside connect(), so raise
    // the default for signals created from here on in this bench process.
    setMaxListeners(100_000);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    return results('http', await measure(client, 'http'));
  } finally {
    await client.close().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Child-process mode: the real app + the framework-free MCP HTTP handler with the no-op tool. */
async function serveHttp(): Promise<void> {
  const { loadConfig } = await import('../src/config.ts');
  const { createApp } = await import('../src/main.ts');
  const { createMcpHttpHandler } = await import('../src/mcp/http.ts');
  const app = await createApp(loadConfig(process.env), { logDestination: 2 });
  await app.start();
  const handler = createMcpHttpHandler({ services: app.services, token: TOKEN, logger: app.logger, benchNoop: true });
  const server = http.createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  process.stdout.write(`url http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await handler.close();
      server.closeAllConnections();
      server.close();
      await app.close();
      process.exit(0);
    })();
  });
}

/**
 * Where the time goes: the same place_order through the MCP edge in-process (InMemoryTransport)
 * beside a direct OrdersService.place call on the same app. The difference is the edge's own cost.
 */
async function benchEdgeOverhead(): Promise<BenchResult[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bench-edge-'));
  const { loadConfig } = await import('../src/config.ts');
  const { createApp } = await import('../src/main.ts');
  const { createMcpServer } = await import('../src/mcp/server.ts');
  const { silentLogger } = await import('../src/observability/logger.ts');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const app = await createApp(loadConfig(env(dataDir)), { logger: silentLogger() });
  await app.start();
  const server = createMcpServer(app.services, { readOnly: false, logger: silentLogger(), benchNoop: true });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'bench', version: '1' });
  await server.connect(b);
  await client.connect(a);
  try {
    const direct: number[] = [];
    const viaMcp: number[] = [];
    const placeDirect = async (): Promise<number> => {
      const { account, ...req } = placeArgs('edge') as { account: string } & Parameters<typeof app.services.orders.place>[1];
      const t0 = performance.now();
      await app.services.orders.place(account, req, 'bench');
      return performance.now() - t0;
    };
    for (let i = 0; i < WARMUP; i++) {
      await placeDirect();
      await timedCall(client, 'place_order', placeArgs('edge'));
    }
    for (let i = 0; i < CALLS; i++) {
      direct.push(await placeDirect());
      viaMcp.push(await timedCall(client, 'place_order', placeArgs('edge')));
    }
    const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
    const d = summarize(direct, sum(direct));
    const m = summarize(viaMcp, sum(viaMcp));
    return [
      { name: 'mcp in-process place_order p50 (InMemoryTransport)', value: m.p50, unit: 'ms', baseline: d.p50, baselineName: 'OrdersService.place p50 (no MCP)', ratio: m.p50 / d.p50 },
    ];
  } finally {
    await client.close();
    await server.close();
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...(await benchStdio()), ...(await benchHttp()), ...(await benchEdgeOverhead())];
}

/** Original command line (run-ts.js removes the script from process.argv). */
function commandLine(): string[] {
  try {
    return fs.readFileSync('/proc/self/cmdline', 'utf8').split('\0');
  } catch {
    return process.argv;
  }
}

const cmd = commandLine();
const invokedDirectly =
  cmd.some((a) => a.endsWith(path.join('bench', 'mcp.bench.ts'))) ||
  (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href);
if (invokedDirectly && cmd.includes('--serve-http')) await serveHttp();
else if (invokedDirectly) {
  const rows = await run();
  for (const r of rows) process.stdout.write(`${r.name}: ${r.value.toFixed(3)} ${r.unit} (${r.baselineName} ${r.baseline.toFixed(3)}, ratio ${r.ratio.toFixed(2)}${r.target ? `, target ${r.target}` : ''})\n`);
}
