/**
 * Load, short version: concurrent MCP clients place and cancel on a paper account for a few
 * seconds. Only contract error codes may appear (never INTERNAL or a protocol error), and
 * afterwards the service's orders and fills equal the paper exchange's. Prints throughput,
 * p50/p99 latency and the service's RSS.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoad } from '../campaigns/load-campaign.ts';
import { loadLines } from '../campaigns/report.ts';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';
import { PaperTarget } from '../campaigns/targets.ts';

const CLIENTS = Number(process.env.CAMPAIGN_LOAD_CLIENTS ?? 8);
const DURATION_MS = Number(process.env.CAMPAIGN_LOAD_MS ?? 6_000);
let dir: string | undefined;
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('load campaign (paper)', () => {
  it(`${CLIENTS} clients placing and cancelling: only contract errors, nothing lost`, async () => {
    dir = tempDir('exec-mcp-load-');
    const target = await PaperTarget.create(dir);
    const service = new ServiceProcess({ dataDir: dir, env: { ...target.serviceEnv(), EXEC_MCP_LOG_LEVEL: 'warn' } });
    const r = await runLoad({ service, target, clients: CLIENTS, durationMs: DURATION_MS });
    const summary = loadLines(r).join('\n');
    console.log(summary);
    expect(r.ordersPlaced, summary).toBeGreaterThan(50);
    expect(r.violations, summary).toEqual([]);
    expect(r.finale?.violations, summary).toEqual([]);
    expect(r.rssMb, summary).toBeDefined();
  }, 180_000);
});
