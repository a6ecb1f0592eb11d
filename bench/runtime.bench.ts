/**
 * Order runtime benchmarks, each beside the raw figure it must approach (issue 4):
 * - persisted order transitions/s (10k orders, fills arriving in bursts in the same tick → group
 *   commit) vs raw SQLite single-row upserts/s, one transaction each, same WAL + synchronous=NORMAL;
 * - time to hydrate 10,000 open orders (OrderRuntime.start) vs raw SELECT + JSON.parse of the rows;
 * - RSS with 10,000 live order actors (snapshots materialized in memory).
 * Runnable alone: `node bin/run-ts.js bench/runtime.bench.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AccountRepository } from '../src/accounts/repository.ts';
import { AuditLog } from '../src/audit/audit-log.ts';
import { closeDb, openDb, type Db } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import type { AccountRecord } from '../src/domain/account.ts';
import { ManualClock, seededRandom } from '../src/domain/clock.ts';
import { createIdFactory } from '../src/domain/ids.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { AdapterRegistry } from '../src/runtime/adapter-registry.ts';
import { OrderRuntime } from '../src/runtime/order-runtime.ts';
import { ScriptedExchange } from '../test/fixtures/scripted-exchange.ts';

import type { BenchResult } from './types.ts';
export type { BenchResult };

const ORDERS = 10_000;
const ROUNDS = 3;
const FILLS_PER_ORDER = 2;
const BURST = 1_000; // events arriving in one tick

interface World {
  dir: string;
  db: Db;
  clock: ManualClock;
  exchange: ScriptedExchange;
  runtime: OrderRuntime;
  account: AccountRecord;
}

function newRuntime(db: Db, clock: ManualClock, exchange: ScriptedExchange): OrderRuntime {
  return new OrderRuntime({
    db,
    clock,
    audit: new AuditLog(db, clock),
    registry: new AdapterRegistry({ paper: () => exchange }),
    directory: new AccountRepository(db),
    logger: silentLogger(),
    metrics: createMetrics({ defaultMetrics: false }),
    ids: createIdFactory(() => clock.now(), seededRandom(7)),
    outbox: { concurrency: 64 },
  });
}

async function world(): Promise<World> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bench-'));
  const db = openDb(path.join(dir, 'exec.db'));
  migrate(db);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const exchange = new ScriptedExchange({ startMs: clock.now() });
  exchange.latencyTurns = 0;
  const account = new AccountRepository(db).insert(
    { name: 'bench', exchange: 'paper', exchange_account_id: 'bench', mode: 'paper', enabled: true, limits: {} },
    new Date(clock.now()).toISOString(),
  );
  const runtime = newRuntime(db, clock, exchange);
  await runtime.start();
  return { dir, db, clock, exchange, runtime, account };
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** 10k orders created, submitted and acknowledged: all live in memory. */
async function placeOrders(w: World): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < ORDERS; start += BURST) {
    const views = await Promise.all(
      Array.from({ length: Math.min(BURST, ORDERS - start) }, (_, i) => {
        const n = start + i;
        return w.runtime.createOrder(
          w.account,
          {
            orderId: `O${String(n).padStart(6, '0')}`,
            account: w.account.ref,
            clientOrderId: `c${n}`,
            market: 'btcusd',
            side: orderSide(n),
            type: 'limit',
            timeInForce: 'gtc',
            amount: '1',
            price: orderPrice(n),
            postOnly: false,
            createdAt: new Date(w.clock.now()).toISOString(),
          },
          'bench',
        );
      }),
    );
    ids.push(...views.map((v) => v.order_id));
  }
  await w.runtime.whenIdle();
  return ids;
}

/** The n-th bench order's side and limit price (fills must match them to be applied). */
function orderSide(n: number): 'buy' | 'sell' {
  return n % 2 ? 'buy' : 'sell';
}
function orderPrice(n: number): string {
  return String(50_000 + (n % 1000));
}

/** Creates the 10k live orders (submitted and acknowledged). */
async function populate(w: World): Promise<string[]> {
  const ids = await placeOrders(w);
  if (w.runtime.liveCount() !== ORDERS) throw new Error(`expected ${ORDERS} live actors, have ${w.runtime.liveCount()}`);
  return ids;
}

/**
 * RSS of a fresh process that hydrates the 10k open orders and restores every actor (eager), vs
 * the same process before starting the runtime. A child process, so the garbage of creating the
 * orders (which V8 keeps as reserved heap) does not count as the actors' memory.
 */
async function measureRss(dbFile: string): Promise<BenchResult> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--rss-child', dbFile], { encoding: 'utf8' });
  const m = JSON.parse(out.trim().split('\n').at(-1) as string) as { before: number; after: number; live: number };
  if (m.live !== ORDERS) throw new Error(`child hydrated ${m.live} actors`);
  return {
    name: 'RSS with 10,000 live order actors (hydrated and restored)',
    value: mb(m.after),
    unit: 'MB',
    baseline: mb(m.before),
    baselineName: 'RSS of the same process before starting the runtime',
    ratio: Math.round((m.after / m.before) * 100) / 100,
    target: '< 200 MB',
    pass: mb(m.after) < 200,
  };
}

async function rssChild(dbFile: string): Promise<void> {
  const db = openDb(dbFile);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const exchange = new ScriptedExchange({ startMs: clock.now() });
  gc();
  const before = process.memoryUsage().rss;
  const runtime = new OrderRuntime({
    db,
    clock,
    audit: new AuditLog(db, clock),
    registry: new AdapterRegistry({ paper: () => exchange }),
    directory: new AccountRepository(db),
    logger: silentLogger(),
    ids: createIdFactory(() => clock.now(), seededRandom(7)),
    hydration: 'eager',
    reconcileOnStart: false,
  });
  await runtime.start();
  gc();
  const after = process.memoryUsage().rss;
  process.stdout.write(JSON.stringify({ before, after, live: runtime.liveCount() }) + '\n');
  await runtime.stop({ abandon: true });
  closeDb(db);
}

function rawHydrate(db: Db): number {
  const t0 = performance.now();
  const rows = db.prepare('SELECT order_id, account_id, client_order_id, exchange_order_id, status, snapshot FROM orders WHERE terminal = 0').all() as Array<{ snapshot: string }>;
  let n = 0;
  for (const r of rows) if (JSON.parse(r.snapshot)) n++;
  if (n !== ORDERS) throw new Error(`raw hydrate saw ${n} rows`);
  return performance.now() - t0;
}

async function measureHydration(w: World): Promise<BenchResult> {
  await w.runtime.stop();
  const raw: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < 5; i++) {
    raw.push(rawHydrate(w.db));
    const r = newRuntime(w.db, w.clock, w.exchange);
    gc();
    const t0 = performance.now();
    await r.start();
    ours.push(performance.now() - t0);
    if (r.liveCount() !== ORDERS) throw new Error('hydration missed orders');
    await r.whenIdle(); // start-up reconciliation
    await r.stop();
  }
  // Pair each run with the raw run just before it (load on this machine drifts), keep the median pair.
  const pairs = ours.map((o, i) => ({ o, r: raw[i] as number })).sort((a, b) => a.o / a.r - b.o / b.r);
  const mid = pairs[Math.floor(pairs.length / 2)] as { o: number; r: number };
  const value = mid.o;
  const baseline = mid.r;
  w.runtime = newRuntime(w.db, w.clock, w.exchange);
  await w.runtime.start();
  await w.runtime.whenIdle();
  return {
    name: 'hydrate 10,000 open orders',
    value: round(value),
    unit: 'ms',
    baseline: round(baseline),
    baselineName: 'raw SELECT + JSON.parse',
    ratio: round(value / baseline),
    target: '≤ 2× raw and < 500 ms',
    pass: value <= 2 * baseline && value < 500,
  };
}

/**
 * FILL transitions for every order, BURST events per tick. `via`: 'exchange' pushes them as the
 * adapter would (nobody waits for a view); 'service' awaits runtime.send() for each (a view each).
 */
async function measureTransitions(w: World, ids: string[], via: 'exchange' | 'service', round0: number, upsert: number): Promise<BenchResult> {
  const total = ids.length * FILLS_PER_ORDER;
  const t0 = performance.now();
  for (let f = round0; f < round0 + FILLS_PER_ORDER; f++) {
    for (let start = 0; start < ids.length; start += BURST) {
      const chunk = ids.slice(start, start + BURST);
      if (via === 'exchange') {
        chunk.forEach((_, i) =>
          w.exchange.emit({
            type: 'fill',
            // The order's own side and limit price: any other fill is impossible and kept aside (fill quarantine).
            fill: { fillId: `f${f}-${start + i}`, exchangeOrderId: `E${start + i + 1}`, clientOrderId: `c${start + i}`, market: 'btcusd', side: orderSide(start + i), amount: '0.01', price: orderPrice(start + i), fee: '0.1', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:01.000Z' },
          }),
        );
        await w.runtime.whenIdle();
      } else {
        await Promise.all(
          chunk.map((id, i) =>
            w.runtime.send(
              id,
              { type: 'FILL', fillId: `f${f}-${start + i}`, amount: '0.01', price: orderPrice(start + i), fee: '0.1', feeCurrency: 'USD', liquidity: 'maker', at: '2026-01-01T00:00:01.000Z' },
              'bench',
            ),
          ),
        );
      }
    }
  }
  const ms = performance.now() - t0;
  const filled = w.db.prepare("SELECT COUNT(*) AS n FROM fills WHERE fill_id LIKE ?").get(`f${round0}-%`) as { n: number };
  if (filled.n !== ids.length) throw new Error(`expected ${ids.length} fills of round ${round0}, found ${filled.n}`);
  const rate = (total / ms) * 1000;
  return {
    name: `persisted order transitions/s, fills ${via === 'exchange' ? 'pushed by the exchange' : 'sent through runtime.send()'} (${BURST} per tick, group commit)`,
    value: Math.round(rate),
    unit: 'transitions/s',
    baseline: Math.round(upsert),
    baselineName: 'raw SQLite single-row upserts/s, one transaction each (WAL, synchronous=NORMAL)',
    ratio: round(rate / upsert),
    target: '≥ 0.5× raw',
    pass: rate / upsert >= 0.5,
  };
}

/** The raw figure: one upsert of a snapshot-sized row per transaction. */
function rawUpsertRate(dir: string): number {
  const db = openDb(path.join(dir, 'raw.db'));
  db.exec('CREATE TABLE IF NOT EXISTS kv (id TEXT PRIMARY KEY, status TEXT NOT NULL, snapshot TEXT NOT NULL)');
  const up = db.prepare('INSERT INTO kv (id, status, snapshot) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, snapshot = excluded.snapshot');
  const payload = 'x'.repeat(700);
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) up.run(`k${i % 5000}`, 'open', payload + i);
  const ms = performance.now() - t0;
  closeDb(db);
  return (n / ms) * 1000;
}

function medianByRatio(rs: BenchResult[]): BenchResult {
  const sorted = [...rs].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor(sorted.length / 2)] as BenchResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
const round = (x: number): number => Math.round(x * 100) / 100;

export async function run(): Promise<BenchResult[]> {
  const w = await world();
  try {
    const ids = await populate(w);
    const hydration = await measureHydration(w);
    const rss = await measureRss(path.join(w.dir, 'exec.db'));
    // The machine is shared and noisy: alternate each measurement with its raw baseline, keep the median ratio.
    const pushed: BenchResult[] = [];
    const sent: BenchResult[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      pushed.push(await measureTransitions(w, ids, 'exchange', 2 * r * FILLS_PER_ORDER, rawUpsertRate(w.dir)));
      sent.push(await measureTransitions(w, ids, 'service', (2 * r + 1) * FILLS_PER_ORDER, rawUpsertRate(w.dir)));
      if (process.env.BENCH_VERBOSE) for (const m of [pushed.at(-1), sent.at(-1)]) process.stderr.write(`  round ${r}: ${m?.value}/s vs raw ${m?.baseline}/s = ${m?.ratio}\n`);
    }
    return [medianByRatio(pushed), medianByRatio(sent), hydration, rss];
  } finally {
    await w.runtime.stop({ abandon: true });
    closeDb(w.db);
    fs.rmSync(w.dir, { recursive: true, force: true });
  }
}

/** Run directly (`node bin/run-ts.js bench/runtime.bench.ts`, which drops the file from argv, or tsx), not imported by bench/run.ts. */
function invokedDirectly(): boolean {
  if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) return true;
  let cmd: string[];
  try {
    cmd = fs.readFileSync('/proc/self/cmdline', 'utf8').split('\0');
  } catch {
    return false;
  }
  return cmd.some((a) => a.endsWith(path.join('bench', 'runtime.bench.ts'))) && !cmd.some((a) => a.endsWith(path.join('bench', 'run.ts')));
}
const isMain = invokedDirectly();
if (isMain && process.argv[2] === '--rss-child') {
  await rssChild(process.argv[3] as string);
} else if (isMain) {
  const results = await run();
  for (const r of results) {
    process.stdout.write(`${r.name}: ${r.value} ${r.unit} (baseline ${r.baselineName}: ${r.baseline}; ratio ${r.ratio}${r.target ? `; target ${r.target}` : ''})\n`);
  }
}
