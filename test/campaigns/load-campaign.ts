/**
 * Load: N concurrent MCP clients place and cancel orders on a paper account for a bounded time.
 * Each client places a limit order (mostly resting, some crossing) and cancels one of its open
 * orders about every other step, with a get_order now and then. Reports throughput, latency
 * percentiles per tool, every error code (only contract codes are allowed; INTERNAL and protocol
 * errors are violations) and the service's RSS at the end.
 */
import fs from 'node:fs';
import { seededRandom } from '../../src/domain/clock.ts';
import { DriverLedger, LatencyStats } from './driver.ts';
import { finalReconcile, type FinaleResult } from './finale.ts';
import type { PlaceArgs } from './op-stream.ts';
import { isContractCode, McpPool } from './mcp-client.ts';
import type { ServiceProcess } from './service-process.ts';
import type { Target } from './targets.ts';

export interface LoadOptions {
  service: ServiceProcess;
  target: Target;
  clients: number;
  durationMs: number;
  seed?: number;
  /** Run final reconciliation + truth comparison afterwards (stops the service). Default true. */
  compare?: boolean;
  log?: (line: string) => void;
}

export interface LoadReport {
  name: string;
  clients: number;
  durationMs: number;
  calls: number;
  callsPerSec: number;
  ordersPlaced: number;
  ordersPerSec: number;
  latencyMs: Record<string, { p50: number; p99: number; count: number }>;
  errors: Record<string, number>;
  violations: string[];
  rssMb: number | undefined;
  /** Truth comparison after the load (lost/duplicated/divergent must be 0). */
  finale?: FinaleResult;
}

/** Resident set size of a process from /proc (Linux), MB. */
export function rssMbOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const { service: svc, target } = o;
  if (!svc.running) await svc.start();
  const pool = new McpPool(o.clients, { url: () => svc.mcpUrl, token: svc.token, callTimeoutMs: 30_000 });
  const stats = new Map<string, LatencyStats>();
  const errors: Record<string, number> = {};
  const violations: string[] = [];
  let calls = 0;
  let placed = 0;
  const random = seededRandom(o.seed ?? 42);
  const all = new LatencyStats();
  const ledger = new DriverLedger(target.account);
  // Connect every client before the clock starts.
  await Promise.all(pool.clients.map((c) => c.call('list_accounts', {})));
  const t0 = performance.now();
  const end = Date.now() + o.durationMs;
  const call = async (i: number, tool: string, args: Record<string, unknown>): Promise<Record<string, unknown> | undefined> => {
    const s0 = performance.now();
    const r = await pool.at(i).call(tool, { account: target.account, ...args });
    calls++;
    let st = stats.get(tool);
    if (!st) stats.set(tool, (st = new LatencyStats()));
    st.add(performance.now() - s0);
    all.add(performance.now() - s0);
    if (r.kind === 'ok') return r.data;
    const key = r.kind === 'error' ? `${tool}:${r.code}` : `${tool}:${r.kind}`;
    errors[key] = (errors[key] ?? 0) + 1;
    if (r.kind !== 'error' || !isContractCode(r.code) || r.code === 'INTERNAL') violations.push(`${key}: ${r.message}`);
    return undefined;
  };
  await Promise.all(
    pool.clients.map(async (_, i) => {
      const open: string[] = [];
      let n = 0;
      while (Date.now() < end) {
        const side = random() < 0.5 ? 'buy' : 'sell';
        const crosses = random() < 0.1;
        const away = 100 + Math.floor(random() * 2000);
        const price = String(60_000 + ((side === 'buy') === crosses ? 1 : -1) * away);
        const args: PlaceArgs = { market: 'btcusd', side, type: 'limit', amount: '0.001', price, client_order_id: `load-${o.seed ?? 42}-${i}-${++n}` };
        ledger.register(args);
        const placedNow = await call(i, 'place_order', { ...args });
        if (placedNow) {
          ledger.sawOrder(args.client_order_id, placedNow.order as Record<string, unknown>);
          placed++;
          open.push(String((placedNow.order as Record<string, unknown>).order_id));
        }
        if (open.length > 0 && random() < 0.6) await call(i, 'cancel_order', { order_id: open.splice(Math.floor(random() * open.length), 1)[0]! });
        if (random() < 0.1 && open.length > 0) await call(i, 'get_order', { order_id: open[open.length - 1]! });
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const rssMb = rssMbOf(svc.pid);
  await pool.close();
  const latencyMs: LoadReport['latencyMs'] = {};
  for (const [tool, st] of stats) latencyMs[tool] = { p50: round(st.percentile(50)), p99: round(st.percentile(99)), count: st.count };
  latencyMs.all = { p50: round(all.percentile(50)), p99: round(all.percentile(99)), count: all.count };
  const finale = o.compare === false ? undefined : await finalReconcile(svc, target, ledger, o.log ? { log: o.log } : {});
  return {
    name: `load/${target.kind}`,
    clients: o.clients,
    durationMs: Math.round(secs * 1000),
    calls,
    callsPerSec: round(calls / secs),
    ordersPlaced: placed,
    ordersPerSec: round(placed / secs),
    latencyMs,
    errors,
    violations,
    rssMb,
    ...(finale ? { finale } : {}),
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;
