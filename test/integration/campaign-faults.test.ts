/**
 * Fault campaign, short version: four MCP clients trade on a Bitstamp account of the emulator while
 * the emulator's faults change every few hundred ms in random combination (latency, 5xx before and
 * after processing, timeouts after accept, dropped connections, malformed replies, bad signatures,
 * WS drops/duplicates/reordering, rate limiting, reconnect requests, dropped sockets, expired
 * tokens). At every second of the run no order may be filled/cancelled on the service unless it is
 * on the exchange; at the end the full truth comparison must be clean.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runFaultCampaign } from '../campaigns/fault-campaign.ts';
import { faultLines } from '../campaigns/report.ts';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';
import { EmulatorTarget } from '../campaigns/targets.ts';

const DURATION_MS = Number(process.env.CAMPAIGN_FAULT_MS ?? 15_000);
const SEED = Number(process.env.CAMPAIGN_SEED ?? 20260101);
let dir: string | undefined;
let target: EmulatorTarget | undefined;
afterAll(async () => {
  await target?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fault campaign (Bitstamp emulator)', () => {
  it('under random fault mixes the service never claims a fill or cancel the exchange lacks, and ends equal to it', async () => {
    dir = tempDir('exec-mcp-faults-');
    target = await EmulatorTarget.create(dir, { seed: SEED });
    const service = new ServiceProcess({ dataDir: dir, env: { ...target.serviceEnv(), EXEC_MCP_LOG_LEVEL: 'warn' } });
    const r = await runFaultCampaign({ service, target, seed: SEED, durationMs: DURATION_MS });
    const summary = faultLines(r).join('\n');
    console.log(summary);
    expect(r.accepted, summary).toBeGreaterThan(5);
    expect(r.faultsInjected, summary).toBeGreaterThan(20);
    // Several kinds of fault actually fired, not just latency.
    expect(Object.keys(r.faults).filter((k) => k !== 'latency').length, summary).toBeGreaterThanOrEqual(5);
    expect(r.falseTerminal, summary).toEqual([]);
    expect(r.finale.violations, summary).toEqual([]);
    expect(r.contractViolations, summary).toEqual([]);
    expect(r.unexpectedExits, summary).toBe(0);
  }, 240_000);
});
