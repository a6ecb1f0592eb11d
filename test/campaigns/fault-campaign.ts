/**
 * Fault campaign: concurrent MCP clients run the operation stream against a Bitstamp account on the
 * emulator while the FaultInjector keeps changing the mix of faults. Every second the campaign
 * checks the one thing that must hold at every moment: no order the service calls filled or
 * cancelled is anything else on the exchange. At the end, faults off, final reconciliation and
 * the full truth comparison.
 */
import path from 'node:path';
import { seededRandom } from '../../src/domain/clock.ts';
import { DriverLedger, executeOp, type ExecContext } from './driver.ts';
import { FaultInjector, type FaultInjectorOptions } from './fault-injector.ts';
import { finalReconcile, type FinaleResult } from './finale.ts';
import { McpPool } from './mcp-client.ts';
import { OpStream } from './op-stream.ts';
import { serviceViewFromDb } from './service-view.ts';
import { sleep, type ServiceProcess } from './service-process.ts';
import type { EmulatorTarget } from './targets.ts';
import { terminalMismatches } from './truth-compare.ts';

export interface FaultCampaignOptions {
  service: ServiceProcess;
  target: EmulatorTarget;
  seed: number;
  durationMs: number;
  workers?: number;
  injector?: FaultInjectorOptions;
  log?: (line: string) => void;
  prefix?: string;
}

export interface FaultCampaignReport {
  name: string;
  ops: number;
  accepted: number;
  faultsInjected: number;
  faults: Record<string, number>;
  outcomes: Record<string, number>;
  /** "filled/cancelled on the service but not on the exchange", seen during the run. */
  falseTerminal: string[];
  finale: FinaleResult;
  contractViolations: string[];
  unexpectedExits: number;
  durationMs: number;
}

export async function runFaultCampaign(o: FaultCampaignOptions): Promise<FaultCampaignReport> {
  const t0 = Date.now();
  const { service: svc, target } = o;
  const dbFile = path.join(svc.dataDir, 'exec-mcp.sqlite');
  const stream = new OpStream({ seed: o.seed, prefix: o.prefix ?? `fault-${o.seed}` });
  const ledger = new DriverLedger(target.account);
  const workers = o.workers ?? 4;
  const pool = new McpPool(workers, { url: () => svc.mcpUrl, token: svc.token, callTimeoutMs: 30_000 });
  const injector = new FaultInjector(target.emulator, seededRandom(o.seed + 7919), o.injector);
  const ctx: ExecContext = { account: target.account, ledger, move: (p, a) => target.move(p, a) };
  const falseTerminal = new Set<string>();
  let ops = 0;
  try {
    if (!svc.running) await svc.start();
    const end = Date.now() + o.durationMs;
    injector.start();
    const runners = Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < end) {
        ops++;
        await executeOp(ctx, pool.at(w), stream.next());
      }
    });
    const watcher = (async () => {
      while (Date.now() < end) {
        await sleep(1000);
        for (const m of terminalMismatches(serviceViewFromDb(dbFile, target.account), target.truth())) falseTerminal.add(m);
      }
    })();
    await Promise.all([...runners, watcher]);
    injector.stop();
    o.log?.(`  fault load done: ${ops} ops, ${ledger.accepted} accepted, ${injector.total()} faults`);
    await pool.close();
    const finale = await finalReconcile(svc, target, ledger, o.log ? { log: o.log } : {});
    for (const m of falseTerminal) finale.violations.push({ kind: 'divergent', account: target.account, detail: `during the run: ${m}` });
    finale.divergent += falseTerminal.size;
    return {
      name: 'faults/emulator',
      ops,
      accepted: ledger.accepted,
      faultsInjected: injector.total(),
      faults: injector.counts(),
      outcomes: ledger.outcomes,
      falseTerminal: [...falseTerminal],
      finale,
      contractViolations: ledger.violations.filter((v) => v.kind === 'contract').map((v) => v.detail),
      unexpectedExits: svc.unexpectedExits.length,
      durationMs: Date.now() - t0,
    };
  } finally {
    injector.stop();
    await pool.close();
    if (svc.running) await svc.kill();
  }
}
