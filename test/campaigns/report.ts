/** Human-readable lines for campaign reports (tests print them on failure, soak prints them always). */
import type { CrashCampaignReport } from './crash-campaign.ts';
import type { FaultCampaignReport } from './fault-campaign.ts';
import type { FinaleResult } from './finale.ts';
import type { LoadReport } from './load-campaign.ts';

export function finaleLine(f: FinaleResult): string {
  return `lost ${f.lost}, duplicated ${f.duplicated}, divergent ${f.divergent} (orders ${f.stats.serviceOrders} service / ${f.stats.exchangeOrders} exchange, fills ${f.stats.fills}, settled in ${Math.round(f.settleMs / 100) / 10} s${f.converged ? '' : ', NOT converged'}${f.gracefulStop ? '' : ', SIGTERM ignored'}) ${JSON.stringify(f.stats.byStatus)}`;
}

export function violationLines(f: FinaleResult, max = 15): string[] {
  return f.violations.slice(0, max).map((v) => `    ${v.kind}: ${v.detail}`);
}

export function crashLines(r: CrashCampaignReport): string[] {
  return [
    `${r.name}: ${r.crashes} crashes ${JSON.stringify(r.killModes)}, restart avg ${r.restartMs.avg} ms (max ${r.restartMs.max}), ${r.ops} ops, ${r.accepted} orders acknowledged, ${r.faultsInjected} faults${r.faultsInjected > 0 ? ` ${JSON.stringify(r.faults)}` : ''}, ${Math.round(r.durationMs / 1000)} s`,
    `  ${finaleLine(r.finale)}`,
    ...violationLines(r.finale),
    ...r.contractViolations.slice(0, 10).map((c) => `    contract: ${c}`),
    ...(r.unexpectedExits > 0 ? [`    the service died on its own ${r.unexpectedExits} time(s)`] : []),
  ];
}

export function faultLines(r: FaultCampaignReport): string[] {
  return [
    `${r.name}: ${r.ops} ops, ${r.accepted} orders acknowledged, ${r.faultsInjected} faults ${JSON.stringify(r.faults)}, ${Math.round(r.durationMs / 1000)} s`,
    `  outcomes ${JSON.stringify(r.outcomes)}`,
    `  ${finaleLine(r.finale)}`,
    ...violationLines(r.finale),
    ...r.contractViolations.slice(0, 10).map((c) => `    contract: ${c}`),
  ];
}

export function loadLines(r: LoadReport): string[] {
  const all = r.latencyMs.all;
  return [
    `${r.name}: ${r.clients} clients, ${Math.round(r.durationMs / 1000)} s, ${r.calls} calls (${r.callsPerSec}/s), ${r.ordersPlaced} orders (${r.ordersPerSec}/s), p50 ${all?.p50} ms, p99 ${all?.p99} ms, RSS ${r.rssMb ?? '?'} MB`,
    `  per tool ${JSON.stringify(r.latencyMs)}`,
    `  errors ${JSON.stringify(r.errors)}`,
    ...(r.finale ? [`  ${finaleLine(r.finale)}`, ...violationLines(r.finale)] : []),
    ...r.violations.slice(0, 10).map((v) => `    violation: ${v}`),
  ];
}
