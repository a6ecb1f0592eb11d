/**
 * Crash campaign: concurrent MCP clients run the seeded operation stream while the service is
 * SIGKILLed, then restarted, again and again. Kill points rotate between
 * - random: at a random moment of the load (mid-transaction, mid-outbox, anywhere);
 * - place in flight: a few ms after a place_order request left the client, before its answer;
 * - exchange accepted (emulator): the instant the exchange created the order, before the service
 *   has its reply (between exchange send and ack).
 * After each restart the clients re-send every place_order that got no answer (same
 * client_order_id), as a careful client would. At the end: final reconciliation and truth comparison.
 */
import type { PrivateEvent } from '../bitstamp-emulator/engine.ts';
import { DriverLedger, executeOp, type ExecContext } from './driver.ts';
import type { FaultInjector } from './fault-injector.ts';
import { finalReconcile, type FinaleResult } from './finale.ts';
import { McpPool } from './mcp-client.ts';
import { OpStream, type Op } from './op-stream.ts';
import { sleep, type ServiceProcess } from './service-process.ts';
import type { Target } from './targets.ts';
import { EmulatorTarget } from './targets.ts';

export type KillMode = 'random' | 'place-in-flight' | 'exchange-accepted';

export interface CrashCampaignOptions {
  service: ServiceProcess;
  target: Target;
  seed: number;
  /** Number of SIGKILLs (at least this many; the campaign may also stop at `deadline`). */
  crashes: number;
  /** Wall-clock end (ms since epoch): no new cycle starts after it. */
  deadline?: number;
  workers?: number;
  /** Load before a random kill, ms (uniform in the range). */
  killAfterMs?: [number, number];
  faults?: FaultInjector;
  log?: (line: string) => void;
  prefix?: string;
}

export interface CrashCampaignReport {
  name: string;
  crashes: number;
  killModes: Record<KillMode, number>;
  restartMs: { avg: number; max: number };
  ops: number;
  accepted: number;
  outcomes: Record<string, number>;
  faultsInjected: number;
  faults: Record<string, number>;
  finale: FinaleResult;
  contractViolations: string[];
  unexpectedExits: number;
  durationMs: number;
}

export async function runCrashCampaign(o: CrashCampaignOptions): Promise<CrashCampaignReport> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const { service: svc, target } = o;
  const stream = new OpStream({ seed: o.seed, prefix: o.prefix ?? `${target.kind}-c${o.seed}` });
  const ledger = new DriverLedger(target.account);
  const workers = o.workers ?? 3;
  let armed: ((body: string) => void) | undefined;
  const pool = new McpPool(workers, { url: () => svc.mcpUrl, token: svc.token, onSend: (body) => armed?.(body), callTimeoutMs: 20_000 });
  const ctx: ExecContext = { account: target.account, ledger, move: (p, a) => target.move(p, a) };
  const killModes: Record<KillMode, number> = { random: 0, 'place-in-flight': 0, 'exchange-accepted': 0 };
  const restarts: number[] = [];
  let ops = 0;
  let crashes = 0;
  const modes: KillMode[] = target instanceof EmulatorTarget ? ['random', 'place-in-flight', 'exchange-accepted'] : ['random', 'place-in-flight'];
  try {
    while (crashes < o.crashes && (o.deadline === undefined || Date.now() < o.deadline)) {
      const r0 = Date.now();
      await svc.start();
      restarts.push(Date.now() - r0);
      pool.resetAll();
      const mode = modes[crashes % modes.length]!;
      const queue: Op[] = ledger.unanswered().map((r) => ({ kind: 'resend', cid: r.cid }));
      let stopped = false;
      let killed!: () => void;
      const killedP = new Promise<void>((resolve) => (killed = resolve));
      const kill = (): void => {
        if (stopped) return;
        stopped = true;
        armed = undefined;
        void svc.kill('SIGKILL').then(killed);
      };
      const rnd = stream.random;
      const fallbackMs = o.killAfterMs ?? [50, 1500];
      const randomDelay = fallbackMs[0] + Math.floor(rnd() * (fallbackMs[1] - fallbackMs[0]));
      let offEmu: (() => void) | undefined;
      if (mode === 'place-in-flight') {
        const waitOps = 1 + Math.floor(rnd() * 6);
        let seen = 0;
        armed = (body) => {
          if (!body.includes('"place_order"') || ++seen < waitOps) return;
          const delay = Math.floor(rnd() * 12);
          armed = undefined;
          if (delay === 0) queueMicrotask(kill);
          else setTimeout(kill, delay);
        };
      } else if (mode === 'exchange-accepted' && target instanceof EmulatorTarget) {
        const engine = target.emulator.engine;
        const waitCreates = 1 + Math.floor(rnd() * 4);
        let seen = 0;
        const onPrivate = (e: PrivateEvent): void => {
          if (e.event === 'order_created' && ++seen >= waitCreates) kill();
        };
        engine.on('private', onPrivate);
        offEmu = () => engine.off('private', onPrivate);
      }
      // Every mode has a random deadline too, so a cycle never waits forever for its trigger.
      const timer = setTimeout(kill, mode === 'random' ? randomDelay : randomDelay + 3000);
      o.faults?.start();
      const runners = Array.from({ length: workers }, async (_, w) => {
        while (!stopped) {
          const op = queue.shift() ?? stream.next();
          ops++;
          await executeOp(ctx, pool.at(w), op);
        }
      });
      await killedP;
      clearTimeout(timer);
      offEmu?.();
      o.faults?.stop();
      await Promise.all(runners);
      crashes++;
      killModes[mode]++;
      log(`  crash ${crashes}/${o.crashes} (${mode}) after ${ops} ops, ${ledger.accepted} accepted, ${ledger.unanswered().length} unanswered`);
      await sleep(Math.floor(rnd() * 50));
    }
    // Clean up the unanswered tail like a client would, then reconcile.
    o.faults?.clear();
    await svc.start();
    pool.resetAll();
    for (const r of ledger.unanswered()) await executeOp(ctx, pool.at(0), { kind: 'resend', cid: r.cid });
    await pool.close();
    const finale = await finalReconcile(svc, target, ledger, { log });
    return {
      name: `crash/${target.kind}`,
      crashes,
      killModes,
      restartMs: { avg: Math.round(restarts.reduce((a, b) => a + b, 0) / Math.max(1, restarts.length)), max: Math.max(0, ...restarts) },
      ops,
      accepted: ledger.accepted,
      outcomes: ledger.outcomes,
      faultsInjected: o.faults?.total() ?? 0,
      faults: o.faults?.counts() ?? {},
      finale,
      contractViolations: ledger.violations.filter((v) => v.kind === 'contract').map((v) => v.detail),
      unexpectedExits: svc.unexpectedExits.length,
      durationMs: Date.now() - t0,
    };
  } finally {
    await pool.close();
    if (svc.running) await svc.kill();
  }
}
