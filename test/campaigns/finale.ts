/**
 * Final reconciliation and the truth comparison at the end of every campaign: restart the service,
 * wait (bounded) until no order is in flight and the service's view has converged on the
 * exchange's, take the MCP view (list_orders all, list_fills, get_balances), stop gracefully, and
 * compare the stopped service's tables with the exchange's truth.
 */
import path from 'node:path';
import type { DriverLedger } from './driver.ts';
import { McpClient } from './mcp-client.ts';
import { serviceViewFromDb, serviceViewFromMcp, type ServiceOrder } from './service-view.ts';
import { sleep, type ServiceProcess } from './service-process.ts';
import { MARKET_CURRENCIES, type Target } from './targets.ts';
import { compareWithTruth, type CompareResult } from './truth-compare.ts';

export interface FinaleOptions {
  /** Bound of the wait for convergence (default 90 s: in-flight checks give up after ~25 s). */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface FinaleResult extends CompareResult {
  settleMs: number;
  converged: boolean;
  mcpErrors: string[];
  /** Whether SIGTERM stopped the service within 5 s. */
  gracefulStop: boolean;
}

export async function finalReconcile(svc: ServiceProcess, target: Target, ledger: DriverLedger, opts: FinaleOptions = {}): Promise<FinaleResult> {
  const dbFile = path.join(svc.dataDir, 'exec-mcp.sqlite');
  // A restart first: reconciliation runs on start, so whatever pushed events were lost without a
  // reconnect (WS drops) is looked up now, as the brief of final reconciliation asks.
  if (svc.running && !(await svc.stop(5_000))) opts.log?.('  the service did not stop within 5 s of SIGTERM (forced)');
  await svc.start();
  const client = new McpClient({ url: svc.mcpUrl, token: svc.token });
  const t0 = Date.now();
  const deadline = t0 + (opts.settleTimeoutMs ?? 90_000);
  let converged = false;
  let last: CompareResult | undefined;
  let nextNote = t0 + 5_000;
  try {
    while (Date.now() < deadline) {
      // Reading the live database is safe (WAL, read-only connection).
      last = compareWithTruth({ account: target.account, ledger, service: serviceViewFromDb(dbFile, target.account), truth: target.truth() });
      if (last.violations.length === 0 && target.priceSeen()) {
        converged = true;
        break;
      }
      if (Date.now() > nextNote) {
        nextNote += 5_000;
        opts.log?.(`  settling ${Math.round((Date.now() - t0) / 1000)} s: ${last.violations.length} open points, e.g. ${last.violations[0]?.detail ?? (target.priceSeen() ? '-' : 'price not yet seen')}`);
      }
      await sleep(500);
    }
    if (!converged && last) opts.log?.(`  not converged after ${Date.now() - t0} ms: ${last.violations.slice(0, 5).map((v) => `${v.kind}: ${v.detail}`).join(' | ')}`);
    const mcp = await serviceViewFromMcp(client, target.account);
    await client.close();
    const graceful = await svc.stop(5_000);
    if (!graceful) opts.log?.('  the service did not stop within 5 s of SIGTERM (forced)');
    const service = serviceViewFromDb(dbFile, target.account);
    const result = compareWithTruth({
      account: target.account,
      ledger,
      service,
      truth: target.truth(),
      ...(mcp.orders ? { mcpOrders: mcp.orders as ServiceOrder[] } : {}),
      ...(mcp.balances ? { serviceBalances: mcp.balances } : {}),
      initialBalances: target.initialBalances,
      marketCurrencies: MARKET_CURRENCIES,
    });
    // The driver's own findings during the run (an acknowledged order get_order could not find, ...).
    for (const v of ledger.violations) if (v.kind !== 'contract') result.violations.push(v);
    result.lost = result.violations.filter((v) => v.kind === 'lost').length;
    result.duplicated = result.violations.filter((v) => v.kind === 'duplicated').length;
    result.divergent = result.violations.filter((v) => v.kind === 'divergent').length;
    for (const e of mcp.errors) result.violations.push({ kind: 'contract', account: target.account, detail: `final MCP view: ${e}` });
    return { ...result, settleMs: Date.now() - t0, converged, mcpErrors: mcp.errors, gracefulStop: graceful };
  } finally {
    await client.close();
  }
}
