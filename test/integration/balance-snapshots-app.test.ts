/**
 * Balance snapshots on the real composition root: one at start, and one shortly after an account
 * is created (in this process, or by the CLI while it runs), not only on the interval
 * (EXEC_MCP_BALANCE_SNAPSHOT_S, an hour here so the interval cannot be what took them).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './mcp-app.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');

async function within(what: string, ms: number, ok: () => boolean): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (ok()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('balance snapshots of the running service', () => {
  let t: TestApp;
  const count = (ref: string): number => {
    try {
      return t.services.balances.history(ref, {}).snapshots.length;
    } catch {
      return 0; // not created yet (the CLI's account)
    }
  };

  beforeAll(async () => {
    t = await startTestApp({ EXEC_MCP_BALANCE_SNAPSHOT_S: '3600' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('takes one at start', async () => {
    await within('a snapshot of paper:paper', 3_000, () => count('paper:paper') >= 1);
    expect(t.services.accounts.get('paper:paper').last_balance_at).toBeDefined();
  });

  it('takes one shortly after an account is created, with its starting balances', async () => {
    t.services.accounts.create({ name: 'Snap Desk', exchange: 'paper', exchange_account_id: 'snap-1', initial_balances: { USD: '1234' } }, 'test');
    expect(count('paper:snap-1')).toBe(0);
    await within('a snapshot of paper:snap-1', 3_000, () => count('paper:snap-1') >= 1);
    const [first] = t.services.balances.history('paper:snap-1', {}).snapshots;
    expect(first?.balances.find((b) => b.currency === 'USD')?.total).toBe('1234');
  });

  it('takes one shortly after the CLI creates an account while the service runs', async () => {
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'accounts', 'add', '--name', 'CLI Desk', '--exchange', 'paper', '--exchange-account-id', 'cli-1', '--balance', 'USD=777'],
        { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', EXEC_MCP_DATA_DIR: t.dataDir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent' } },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(res.code, res.stderr).toBe(0);
    await within('a snapshot of paper:cli-1', 10_000, () => count('paper:cli-1') >= 1);
    expect(t.services.balances.history('paper:cli-1', {}).snapshots[0]?.balances.find((b) => b.currency === 'USD')?.total).toBe('777');
  });
});
