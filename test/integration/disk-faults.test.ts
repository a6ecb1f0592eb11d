/**
 * Disk faults mid-run, for real (tests run as root here, where chmod does not stop writes):
 * - full: the data dir is a small tmpfs that the test fills up (SQLite gets SQLITE_FULL);
 * - read-only: the database file, its WAL and the data dir become immutable (`chattr +i`, which
 *   stops even root and even already-open descriptors; SQLite gets SQLITE_IOERR_WRITE). The -shm
 *   file stays writable: it is shared memory, not storage (an immutable mmap would be SIGBUS).
 * Either way the service must refuse new orders with a clear contract error, keep serving reads,
 * stay alive, work again once storage is back, and — after a restart — hold every order it had
 * acknowledged, equal to the paper exchange's truth. Skipped where mount/chattr are unavailable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverLedger, executeOp, type ExecContext } from '../campaigns/driver.ts';
import { finalReconcile } from '../campaigns/finale.ts';
import { McpClient } from '../campaigns/mcp-client.ts';
import type { PlaceArgs } from '../campaigns/op-stream.ts';
import { violationLines } from '../campaigns/report.ts';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';
import { PaperTarget } from '../campaigns/targets.ts';

const isRoot = process.getuid?.() === 0;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canMount = isRoot && has('mount') && has('umount');
const canChattr = isRoot && has('chattr');

type Fault = { inject(): void; heal(): void; cleanup(): void; message: RegExp };

async function scenario(dataDir: string, fault: Fault): Promise<void> {
  const target = await PaperTarget.create(dataDir);
  const svc = new ServiceProcess({ dataDir, env: { ...target.serviceEnv(), EXEC_MCP_LOG_LEVEL: 'warn' } });
  const ledger = new DriverLedger(target.account);
  const ctx: ExecContext = { account: target.account, ledger, move: (p) => target.move(p) };
  const args = (cid: string, price = '50000'): PlaceArgs => ({ market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price, client_order_id: cid });
  try {
    await svc.start();
    const client = new McpClient({ url: svc.mcpUrl, token: svc.token });
    for (let i = 0; i < 6; i++) await executeOp(ctx, client, { kind: 'place', args: args(`before-${i}`) });
    await executeOp(ctx, client, { kind: 'cancel', cid: 'before-0', by: 'client_order_id' });
    expect(ledger.accepted).toBe(6);

    fault.inject();
    for (let i = 0; i < 4; i++) {
      const r = await client.call('place_order', { account: target.account, ...args(`during-${i}`) });
      expect(r.kind, JSON.stringify(r)).toBe('error');
      if (r.kind !== 'error') continue;
      expect(r.code, r.message).not.toBe('INTERNAL');
      expect(r.message).toMatch(fault.message);
    }
    // Reads keep working.
    const got = await client.call('get_order', { account: target.account, client_order_id: 'before-3' });
    expect(got.kind, JSON.stringify(got)).toBe('ok');
    const listed = await client.call('list_orders', { account: target.account, status: 'all' });
    expect(listed.kind).toBe('ok');
    if (listed.kind === 'ok') expect((listed.data.orders as unknown[]).length).toBe(6);
    const balances = await client.call('get_balances', { account: target.account, refresh: true });
    expect(balances.kind, JSON.stringify(balances)).toBe('ok');
    expect((await fetch(`${svc.baseUrl}/healthz`)).status).toBe(200);
    expect(svc.running).toBe(true);

    fault.heal();
    await executeOp(ctx, client, { kind: 'place', args: args('after-0') });
    expect(ledger.cids.get('after-0')?.accepted, JSON.stringify(ledger.outcomes)).toBe(true);
    await client.close();
    const f = await finalReconcile(svc, target, ledger);
    expect(f.violations, violationLines(f).join('\n')).toEqual([]);
    expect(f.stats.serviceOrders).toBe(7);
    expect(svc.unexpectedExits).toEqual([]);
  } finally {
    fault.cleanup();
    if (svc.running) await svc.kill();
  }
}

describe('disk faults', () => {
  it.skipIf(!canMount)('disk full: new orders refused clearly, reads served, nothing acknowledged lost', async () => {
    const mnt = tempDir('exec-mcp-diskfull-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
    const filler = path.join(mnt, 'filler');
    try {
      const dataDir = path.join(mnt, 'data');
      fs.mkdirSync(dataDir);
      await scenario(dataDir, {
        message: /disk is full/,
        inject() {
          const fd = fs.openSync(filler, 'w');
          try {
            for (const size of [1 << 20, 4096, 1]) for (;;) fs.writeSync(fd, Buffer.alloc(size));
          } catch {
            // ENOSPC: full
          } finally {
            fs.closeSync(fd);
          }
        },
        heal: () => fs.rmSync(filler, { force: true }),
        cleanup: () => fs.rmSync(filler, { force: true }),
      });
    } finally {
      spawnSync('umount', ['-l', mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!canChattr)('read-only database files: new orders refused clearly, reads served, nothing acknowledged lost', async () => {
    const dataDir = tempDir('exec-mcp-diskro-');
    const frozen = [path.join(dataDir, 'exec-mcp.sqlite'), path.join(dataDir, 'exec-mcp.sqlite-wal'), dataDir];
    const setImmutable = (on: boolean): void => void frozen.forEach((f) => fs.existsSync(f) && spawnSync('chattr', [on ? '+i' : '-i', f]));
    try {
      await scenario(dataDir, {
        message: /cannot be written|read-only/,
        inject() {
          setImmutable(true);
          const probe = spawnSync('lsattr', ['-d', dataDir], { encoding: 'utf8' });
          if (!/i/.test(probe.stdout.split(' ')[0] ?? '')) throw new Error(`chattr +i did not take effect here: ${probe.stdout}${probe.stderr}`);
        },
        heal: () => setImmutable(false),
        cleanup: () => setImmutable(false),
      });
    } finally {
      setImmutable(false);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
