/**
 * Crash campaign, short version (the soak runs the long one): the service as a child process,
 * a seeded stream of MCP order operations from three clients, SIGKILL at random points (also a few
 * ms after a place_order left the client, and — on the emulator — the instant the exchange created
 * the order, before the service had its reply), restart, continue. Then final reconciliation and
 * the truth comparison: nothing lost, nothing duplicated, no divergent state.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashCampaign } from '../campaigns/crash-campaign.ts';
import { crashLines } from '../campaigns/report.ts';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';
import { EmulatorTarget, PaperTarget, type Target } from '../campaigns/targets.ts';

const CRASHES = Number(process.env.CAMPAIGN_CRASHES ?? 6);
const SEED = Number(process.env.CAMPAIGN_SEED ?? 20260101);
const dirs: string[] = [];
const targets: Target[] = [];
afterAll(async () => {
  for (const t of targets) await t.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function campaign(make: (dir: string) => Promise<Target>, seed: number): Promise<void> {
  const dir = tempDir('exec-mcp-crash-');
  dirs.push(dir);
  const target = await make(dir);
  targets.push(target);
  const service = new ServiceProcess({ dataDir: dir, env: { ...target.serviceEnv(), EXEC_MCP_LOG_LEVEL: 'warn' } });
  const r = await runCrashCampaign({ service, target, seed, crashes: CRASHES });
  const summary = crashLines(r).join('\n');
  console.log(summary);
  expect(r.crashes, summary).toBe(CRASHES);
  expect(r.accepted, `${summary}\nthe campaign must actually place orders`).toBeGreaterThan(5);
  expect(r.finale.violations, summary).toEqual([]);
  expect(r.contractViolations, summary).toEqual([]);
  expect(r.unexpectedExits, `${summary}\n${service.tail()}`).toBe(0);
  expect({ lost: r.finale.lost, duplicated: r.finale.duplicated, divergent: r.finale.divergent }).toEqual({ lost: 0, duplicated: 0, divergent: 0 });
}

describe('crash campaign (SIGKILL + restart)', () => {
  it(`paper: ${CRASHES} crashes, then the service's orders, fills and balances equal the paper exchange's`, async () => {
    await campaign((dir) => PaperTarget.create(dir), SEED);
  }, 240_000);

  it(`Bitstamp emulator: ${CRASHES} crashes (incl. between exchange accept and reply), then everything equals the exchange`, async () => {
    await campaign((dir) => EmulatorTarget.create(dir, { seed: SEED }), SEED + 1);
  }, 240_000);
});
