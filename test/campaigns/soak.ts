/**
 * `npm run soak -- --minutes 10 [--seed N] [--workers N]`: the long versions of the campaigns, in
 * rounds until the time is up — crash/paper, crash/emulator with faults, faults/emulator,
 * load/paper — each phase on a fresh data dir and service, each ending with final reconciliation
 * and the truth comparison. Prints a summary and exits 1 on any lost/duplicated/divergent order,
 * contract violation, service death, or when fewer than 10 crashes and 100 injected faults per
 * minute were achieved (100 and 1,000 over 10 minutes).
 */
import fs from 'node:fs';
import { seededRandom } from '../../src/domain/clock.ts';
import { runCrashCampaign, type CrashCampaignReport } from './crash-campaign.ts';
import { runFaultCampaign, type FaultCampaignReport } from './fault-campaign.ts';
import { FaultInjector } from './fault-injector.ts';
import type { FinaleResult } from './finale.ts';
import { runLoad, type LoadReport } from './load-campaign.ts';
import { crashLines, faultLines, loadLines } from './report.ts';
import { ServiceProcess, tempDir } from './service-process.ts';
import { EmulatorTarget, PaperTarget, type Target } from './targets.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${name} must be a positive number\n`);
    process.exit(2);
  }
  return v;
}

const minutes = flag('minutes', 10);
const seed0 = flag('seed', Date.now() % 1_000_000);
const workers = flag('workers', 3);
const keep = process.argv.includes('--keep');
const start = Date.now();
const end = start + minutes * 60_000;
const FINALE_RESERVE_MS = 45_000;
const log = (line: string): void => void process.stdout.write(`${line}\n`);

interface Totals {
  crashes: number;
  faults: number;
  faultsNoLatency: number;
  lost: number;
  duplicated: number;
  divergent: number;
  contract: number;
  deaths: number;
  forcedStops: number;
  phases: number;
  failures: string[];
}
const totals: Totals = { crashes: 0, faults: 0, faultsNoLatency: 0, lost: 0, duplicated: 0, divergent: 0, contract: 0, deaths: 0, forcedStops: 0, phases: 0, failures: [] };
const loads: LoadReport[] = [];

function account(name: string, f: FinaleResult | undefined, contract: string[], deaths: number, lines: string[]): void {
  totals.phases++;
  for (const l of lines) log(`  ${l}`);
  if (f) {
    totals.lost += f.lost;
    totals.duplicated += f.duplicated;
    totals.divergent += f.divergent;
    totals.contract += f.violations.filter((v) => v.kind === 'contract').length;
    if (!f.gracefulStop) totals.forcedStops++;
    if (f.violations.length > 0) totals.failures.push(`${name}: ${f.violations.length} violations, first: ${f.violations[0]!.kind}: ${f.violations[0]!.detail}`);
  }
  totals.contract += contract.length;
  if (contract.length > 0) totals.failures.push(`${name}: contract: ${contract[0]}`);
  totals.deaths += deaths;
  if (deaths > 0) totals.failures.push(`${name}: the service died on its own ${deaths} time(s)`);
}

/** Runs one campaign on a fresh data dir; the dir is kept (and named) when the phase found anything. */
async function phase<T extends { finale?: FinaleResult }>(name: string, make: (dir: string) => Promise<Target>, run: (svc: ServiceProcess, target: Target) => Promise<T>, report: (r: T) => void): Promise<void> {
  const dir = tempDir(`exec-mcp-soak-${name.replace('/', '-')}-`);
  const failuresBefore = totals.failures.length;
  let target: Target | undefined;
  let svc: ServiceProcess | undefined;
  try {
    target = await make(dir);
    svc = new ServiceProcess({ dataDir: dir, env: { ...target.serviceEnv(), EXEC_MCP_LOG_LEVEL: 'warn' } });
    report(await run(svc, target));
  } catch (e) {
    totals.failures.push(`${name}: the campaign itself failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    log(`  ${name} FAILED: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await target?.close();
    if (svc && svc.running) await svc.kill();
    if (totals.failures.length > failuresBefore || keep) {
      if (svc) fs.writeFileSync(`${dir}/service-output.log`, `${svc.stdout}\n${svc.stderr}`);
      log(`  data dir kept: ${dir}`);
    } else fs.rmSync(dir, { recursive: true, force: true });
  }
}

const timeLeft = (): number => end - Date.now();
// Each phase gets a slice of the run (a fifth, 30 s to 2 min), so one round covers every campaign.
const SLICE_MS = Math.max(30_000, Math.min(120_000, (minutes * 60_000) / 5));
const crashBudget = (): number => Math.min(SLICE_MS, timeLeft() - FINALE_RESERVE_MS);

log(`soak: ${minutes} min, seed ${seed0}, ${workers} workers per crash campaign`);
let round = 0;
while (timeLeft() > FINALE_RESERVE_MS + 20_000) {
  round++;
  const seed = seed0 + round * 1000;
  log(`round ${round} (${Math.round((Date.now() - start) / 1000)} s elapsed)`);

  if (crashBudget() > 20_000) {
    await phase(
      'crash/paper',
      (d) => PaperTarget.create(d),
      (svc, t) => runCrashCampaign({ service: svc, target: t, seed, crashes: 1_000, deadline: Date.now() + crashBudget(), workers, prefix: `p${seed}` }),
      (r) => {
        totals.crashes += r.crashes;
        account(r.name, r.finale, r.contractViolations, r.unexpectedExits, crashLines(r));
      },
    );
  }
  if (crashBudget() > 20_000) {
    await phase(
      'crash/emulator',
      (d) => EmulatorTarget.create(d, { seed }),
      (svc, t) => {
        const faults = new FaultInjector((t as EmulatorTarget).emulator, seededRandom(seed + 3));
        return runCrashCampaign({ service: svc, target: t, seed: seed + 1, crashes: 1_000, deadline: Date.now() + crashBudget(), workers, faults, prefix: `e${seed}` });
      },
      (r: CrashCampaignReport) => {
        totals.crashes += r.crashes;
        totals.faults += r.faultsInjected;
        totals.faultsNoLatency += r.faultsInjected - (r.faults.latency ?? 0);
        account(`${r.name}+faults`, r.finale, r.contractViolations, r.unexpectedExits, crashLines(r));
      },
    );
  }
  if (timeLeft() > FINALE_RESERVE_MS + 20_000) {
    await phase(
      'faults/emulator',
      (d) => EmulatorTarget.create(d, { seed: seed + 2 }),
      (svc, t) => runFaultCampaign({ service: svc, target: t as EmulatorTarget, seed: seed + 2, durationMs: Math.min(SLICE_MS, timeLeft() - FINALE_RESERVE_MS), prefix: `f${seed}` }),
      (r: FaultCampaignReport) => {
        totals.faults += r.faultsInjected;
        totals.faultsNoLatency += r.faultsInjected - (r.faults.latency ?? 0);
        account(r.name, r.finale, r.contractViolations, r.unexpectedExits, faultLines(r));
      },
    );
  }
  if (timeLeft() > FINALE_RESERVE_MS + 10_000) {
    await phase(
      'load/paper',
      (d) => PaperTarget.create(d),
      (svc, t) => runLoad({ service: svc, target: t, clients: 8, durationMs: Math.min(20_000, timeLeft() - FINALE_RESERVE_MS), seed }),
      (r: LoadReport) => {
        loads.push(r);
        account(r.name, r.finale, r.violations, 0, loadLines(r));
      },
    );
  }
}

const minCrashes = Math.ceil(10 * minutes);
const minFaults = Math.ceil(100 * minutes);
if (totals.crashes < minCrashes) totals.failures.push(`only ${totals.crashes} crashes, want ≥ ${minCrashes}`);
if (totals.faults < minFaults) totals.failures.push(`only ${totals.faults} injected faults, want ≥ ${minFaults}`);
const best = loads.sort((a, b) => b.callsPerSec - a.callsPerSec)[0];
log('');
log(`SOAK SUMMARY (${Math.round((Date.now() - start) / 1000)} s, ${totals.phases} phases, seed ${seed0})`);
log(`  crashes survived:   ${totals.crashes} (want ≥ ${minCrashes})`);
log(`  faults injected:    ${totals.faults} (want ≥ ${minFaults}); ${totals.faultsNoLatency} of them other than added latency`);
log(`  orders lost:        ${totals.lost}`);
log(`  orders duplicated:  ${totals.duplicated}`);
log(`  divergent states:   ${totals.divergent}`);
log(`  contract violations: ${totals.contract}, service deaths: ${totals.deaths}, SIGTERM ignored: ${totals.forcedStops} time(s)`);
if (best) log(`  load: ${best.callsPerSec} calls/s, ${best.ordersPerSec} orders/s, p50 ${best.latencyMs.all?.p50} ms, p99 ${best.latencyMs.all?.p99} ms, RSS ${best.rssMb} MB`);
for (const f of totals.failures) log(`  FAIL ${f}`);
log(totals.failures.length === 0 ? 'SOAK PASSED' : 'SOAK FAILED');
process.exit(totals.failures.length === 0 ? 0 : 1);
