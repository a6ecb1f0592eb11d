/**
 * GET /dashboard with 100 accounts over HTTP (logged-in session, keep-alive, small concurrency)
 * against a baseline in the same run: the same dashboard template, pre-compiled once, rendered
 * with the same data in-process. Target: HTTP req/s ≥ 0.5 × baseline renders/s.
 * The server takes the store version (SQLite total_changes + data_version: any committed change by
 * any process moves it) on every request and reads the page data again whenever it moved; nothing
 * changes during the run, so the measured requests reuse the last read. The first request reads.
 *
 * The load generator is a separate process; the server's CPU time per request is also measured
 * (BENCH_VERBOSE=1 prints it), since wall-clock rates on a shared 2-core machine are noisy.
 *
 * Alone: `node bin/run-ts.js bench/dashboard.bench.ts` (prints JSON), or `npm run bench -- dashboard`.
 * BENCH_BACKEND=fake runs on in-memory services instead of the real composition root;
 * BENCH_DURATION_MS (default 3000), BENCH_WARM_MS (default 6000, both sides), BENCH_ACCOUNTS (default 100).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { dashboardBackend } from '../test/e2e/dashboard-backend-select.ts';
import type { DashboardBackend } from '../test/e2e/dashboard-backend.ts';
import type { Services } from '../src/services/ports.ts';
import { WebClient, startWeb } from '../test/integration/web-harness.ts';
import { dashboardData } from '../src/web/routes/dashboard-data.ts';
import { createViewEnvironment } from '../src/web/views.ts';
import type { BenchResult } from './types.ts';

export type { BenchResult };

const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 100);
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 3000);
const WARM_MS = Number(process.env['BENCH_WARM_MS'] ?? 6000);
const CONCURRENCY = 4;
const TARGET_RATIO = 0.5;

async function seed(backend: DashboardBackend): Promise<void> {
  const { accounts } = backend.services;
  const existing = accounts.list().length;
  for (let i = existing; i < ACCOUNTS; i++) {
    if (i % 2 === 0) {
      accounts.create({ name: `paper-${i}`, exchange: 'paper', exchange_account_id: `p${i}`, initial_balances: { USD: '10000', BTC: '1.5' } }, 'bench');
      await backend.snapshot(`paper:p${i}`);
    } else {
      accounts.create({ name: `live-${i}`, exchange: 'bitstamp', exchange_account_id: String(100000 + i), enabled: i % 3 !== 0 }, 'bench');
      if (i % 5 === 1) accounts.setCredentials(`bitstamp:${100000 + i}`, { api_key: `KEY${i}abcdefghijkl`, api_secret: `SECRET${i}abcdefghijklmnop` }, 'bench');
    }
  }
}

/**
 * The HTTP load generator is a separate node process (like an external client): keep-alive
 * sockets, `concurrency` requests in flight, every answer must be 200 and is read fully.
 */
const LOAD_SCRIPT = `
const http = require('node:http');
const { url, cookie, ms, concurrency } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function one() {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers: { cookie } }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error('status ' + res.statusCode))));
    }).on('error', reject);
  });
}
(async () => {
  let done = 0, bytes = 0;
  const start = performance.now(), end = start + ms;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < end) { const b = await one(); bytes += b; done++; } }));
  agent.destroy();
  process.stdout.write(JSON.stringify({ done, bytes, seconds: (performance.now() - start) / 1000 }));
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e) })); });
`;

interface Rate {
  /** Completed per wall-clock second. */
  rate: number;
  /** CPU time this process spent per completed call (µs): robust to other load on the machine. */
  cpuMicros: number;
}

async function httpThroughput(url: string, cookie: string, ms: number, concurrency: number): Promise<Rate & { bytesPerReq: number }> {
  const cpu0 = process.cpuUsage();
  const child = spawn(process.execPath, ['-e', LOAD_SCRIPT, JSON.stringify({ url, cookie, ms, concurrency })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += String(c)));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  const cpu = process.cpuUsage(cpu0);
  const msg = JSON.parse(out) as { done: number; bytes: number; seconds: number; error?: string };
  if (msg.error) throw new Error(`load generator: ${msg.error}`);
  return { rate: msg.done / msg.seconds, cpuMicros: (cpu.user + cpu.system) / Math.max(1, msg.done), bytesPerReq: msg.bytes / Math.max(1, msg.done) };
}

/** Runs `fn` repeatedly for `ms` with `concurrency` workers. */
async function throughput(ms: number, concurrency: number, fn: () => Promise<void> | void): Promise<Rate> {
  let done = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { rate: done / ((performance.now() - start) / 1000), cpuMicros: (cpu.user + cpu.system) / Math.max(1, done) };
}

/**
 * `storeChanging`: the services report a new store version on every request, as while fills and
 * balance snapshots keep landing, so every request reads the page data again (the worst case).
 */
async function measure(storeChanging: boolean): Promise<BenchResult[]> {
  const backend = await dashboardBackend();
  let version = 0;
  const services: Services = storeChanging
    ? { ...backend.services, status: { ...backend.services.status, storeVersion: () => `bench-${++version}` } }
    : backend.services;
  const web = await startWeb(services, backend.webDeps);
  try {
    await seed(backend);
    const client = new WebClient(web.base);
    await client.login();
    const first = await client.get('/dashboard');
    if (first.status !== 200) throw new Error(`GET /dashboard answered ${first.status}`);
    const rows = (first.text.match(/<tr data-ref=/g) ?? []).length;
    if (rows !== backend.services.accounts.list().length) throw new Error(`dashboard shows ${rows} rows, expected ${backend.services.accounts.list().length}`);

    // Baseline: the same template, compiled once, same data as the route passes.
    const env = createViewEnvironment();
    const template = env.getTemplate('dashboard.njk', true);
    const locals = {
      title: 'Accounts', nav: 'accounts', ...dashboardData(services), values: { enabled: true }, errors: {},
      _csrf: client.csrf ?? '', logged_in: true, path: '/dashboard',
    };
    const baselineHtml = template.render(locals);
    if (Math.abs(baselineHtml.length - first.text.length) > first.text.length * 0.05)
      throw new Error(`baseline page (${baselineHtml.length} B) is not the same page as GET /dashboard (${first.text.length} B)`);

    // The server keeps speeding up for its first seconds under load (JIT tiers, heap sizing): after
    // 1 s of warm-up, three 3 s runs in a row measured 815-866, 963-1,053 and 1,034-1,075 req/s. A
    // service runs for days, so both sides are measured in steady state, after the same warm-up.
    await httpThroughput(`${web.base}/dashboard`, client.cookieHeader, WARM_MS, CONCURRENCY);
    const http = await httpThroughput(`${web.base}/dashboard`, client.cookieHeader, DURATION_MS, CONCURRENCY);
    if (Math.abs(http.bytesPerReq - Buffer.byteLength(first.text)) > first.text.length * 0.05) throw new Error(`the load generator got ${http.bytesPerReq} B per answer, the dashboard is ${Buffer.byteLength(first.text)} B`);
    const httpRate = http.rate;
    if (process.env['BENCH_VERBOSE']) console.error('http', http);
    await throughput(WARM_MS, 1, () => void template.render(locals));
    const base = await throughput(DURATION_MS, 1, () => void template.render(locals));
    if (process.env['BENCH_VERBOSE']) console.error('baseline', base);
    const baseRate = base.rate;
    const rate: BenchResult = {
        name: `GET /dashboard, ${rows} accounts, HTTP keep-alive, ${CONCURRENCY} in flight, ${backend.kind} services, ${storeChanging ? 'store changing on every request (page data read every time)' : 'page data re-read only when the store changed'}`,
        value: round(httpRate),
        unit: 'req/s',
        baseline: round(baseRate),
        baselineName: 'pre-compiled nunjucks template render, same data, in-process',
        ratio: round(httpRate / baseRate, 3),
        ...(storeChanging ? {} : { target: `>= ${TARGET_RATIO} x baseline`, pass: httpRate / baseRate >= TARGET_RATIO }),
    };
    if (storeChanging) return [rate];
    // Where the time goes: CPU per answered request (every thread of the server process; the load
    // generator is another process) beside CPU per render, lower is better.
    const cpu: BenchResult = {
      name: 'GET /dashboard server CPU per request (page data re-read only when the store changed)',
      value: round(http.cpuMicros),
      unit: 'µs CPU',
      baseline: round(base.cpuMicros),
      baselineName: 'CPU per pre-compiled template render (the rate row above)',
      ratio: round(http.cpuMicros / base.cpuMicros, 3),
    };
    return [rate, cpu];
  } finally {
    await web.close();
    await backend.close();
  }
}

/**
 * The production configuration (page data re-read whenever the store changed; the target row),
 * then, for information, the worst case where the store changes between every two requests.
 */
export async function run(): Promise<BenchResult[]> {
  return [...(await measure(false)), ...(await measure(true))];
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Run directly (`npx tsx bench/dashboard.bench.ts`, or `node bin/run-ts.js bench/dashboard.bench.ts`, which drops the file from process.argv), not when bench/run.ts imports it. */
function invokedDirectly(): boolean {
  if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) return true;
  let cmdline: string[];
  try {
    cmdline = fs.readFileSync('/proc/self/cmdline', 'utf8').split('\0');
  } catch {
    return false;
  }
  const self = fileURLToPath(import.meta.url);
  return cmdline.some((a) => a !== '' && path.resolve(a) === self);
}

if (invokedDirectly()) {
  run().then(
    (results) => process.stdout.write(JSON.stringify(results, null, 2) + '\n'),
    (err: unknown) => {
      process.stderr.write(`dashboard bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
