/**
 * `exec-mcp backup` / `restore` as an operator runs them: the CLI in child processes against a data
 * dir that a running service (in-process, holding the data dir lock like serve) keeps writing to.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/connection.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const ENV = { PATH: process.env.PATH ?? '', HOME: os.tmpdir() };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI without blocking this process's event loop (the service keeps placing orders meanwhile). */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let t: TestApp;
let work: string;
beforeAll(async () => {
  t = await startTestApp();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-backup-'));
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(t.dataDir, { recursive: true, force: true });
});

const ordersIn = (dbFile: string): Set<string> => {
  const db = openDb(dbFile, { readonly: true });
  try {
    return new Set((db.prepare('SELECT order_id FROM orders').all() as Array<{ order_id: string }>).map((r) => r.order_id));
  } finally {
    closeDb(db);
  }
};

describe('exec-mcp backup during a 200-order burst, then restore', () => {
  it('restores into a new data dir where audit verify passes and every order acknowledged before the backup is present', async () => {
    const file = path.join(work, 'burst.sqlite');
    const acked: string[] = [];
    let ackedAtBackupStart: string[] | undefined;
    let backupDone = false;
    let backup: Promise<{ code: number | null; stdout: string; stderr: string }> | undefined;
    const place = async (i: number): Promise<void> => {
      // Alternating resting limit orders and market orders that fill: orders, fills, balances and audit rows all move.
      const o =
        i % 2 === 0
          ? await t.services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.0003', price: '40000', client_order_id: `burst-${i}` }, 'test')
          : await t.services.orders.place('paper', { market: 'btcusd', side: 'buy', type: 'market', amount: '0.0003', client_order_id: `burst-${i}` }, 'test');
      acked.push(o.order_id);
      if (acked.length === 60) {
        ackedAtBackupStart = [...acked];
        backup = cliAsync(['backup', '--to', file, '--data-dir', t.dataDir]).finally(() => (backupDone = true));
      }
    };
    // Ten writers at a time, 200 orders at least, and on until the backup has finished: it runs under writes.
    const next = { i: 0 };
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while ((next.i < 200 || !backupDone) && next.i < 5000) await place(next.i++);
      }),
    );
    expect(acked.length).toBeGreaterThanOrEqual(200);
    const b = await backup!;
    expect(b.stderr).toBe('');
    expect(b.stdout).toMatch(/^backup of .*exec-mcp\.sqlite written to .*burst\.sqlite \(\d+ bytes, integrity ok\)\n$/);
    expect(b.code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(`${file}-wal`) || fs.existsSync(`${file}-shm`)).toBe(false);

    const restored = path.join(work, 'restored');
    const r = cli(['restore', '--from', file, '--data-dir', restored]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dbFile = path.join(restored, 'exec-mcp.sqlite');
    expect(fs.statSync(dbFile).mode & 0o777).toBe(0o600);
    const v = cli(['audit', 'verify', '--data-dir', restored]);
    expect(v.stderr).toBe('');
    expect(v.stdout).toMatch(/^audit chain ok: \d+ rows\n$/);
    expect(v.code).toBe(0);
    const present = ordersIn(dbFile);
    const missing = ackedAtBackupStart!.filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    // Taken during the burst, not after it: orders went on being placed after the copy.
    expect(present.size).toBeLessThan(acked.length);
  }, 120_000);
});

describe('exec-mcp backup / restore refusals', () => {
  it('backup refuses to overwrite a file unless --force', () => {
    const file = path.join(work, 'exists.sqlite');
    fs.writeFileSync(file, 'keep me');
    const r = cli(['backup', '--to', file, '--data-dir', t.dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists; pass --force to replace it/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    const f = cli(['backup', '--to', file, '--force', '--data-dir', t.dataDir]);
    expect(f.code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('restore refuses the data dir of a running service, even with --force, and changes nothing', () => {
    const file = path.join(work, 'for-running.sqlite');
    expect(cli(['backup', '--to', file, '--data-dir', t.dataDir]).code).toBe(0);
    const before = ordersIn(t.app.config.dbFile).size;
    const r = cli(['restore', '--from', file, '--force', '--data-dir', t.dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^restore refused: data dir .* is in use by exec-mcp serve \(pid \d+\); stop it first\n$/);
    expect(ordersIn(t.app.config.dbFile).size).toBe(before);
  });

  it('restore refuses a data dir that already has a database unless --force', () => {
    const file = path.join(work, 'twice.sqlite');
    expect(cli(['backup', '--to', file, '--data-dir', t.dataDir]).code).toBe(0);
    const dir = path.join(work, 'twice');
    expect(cli(['restore', '--from', file, '--data-dir', dir]).code).toBe(0);
    const again = cli(['restore', '--from', file, '--data-dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a database; pass --force/);
    expect(cli(['restore', '--from', file, '--force', '--data-dir', dir]).code).toBe(0);
    expect(cli(['audit', 'verify', '--data-dir', dir]).code).toBe(0);
  });

  it('restore refuses a file that is not an exec-mcp database, or is damaged', () => {
    const notOurs = path.join(work, 'other.sqlite');
    const db = openDb(notOurs);
    db.exec('CREATE TABLE t (x)');
    closeDb(db);
    const r = cli(['restore', '--from', notOurs, '--data-dir', path.join(work, 'x')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not an exec-mcp database/);
    const junk = path.join(work, 'junk.sqlite');
    fs.writeFileSync(junk, Buffer.alloc(8192, 0x41));
    const j = cli(['restore', '--from', junk, '--data-dir', path.join(work, 'y')]);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/^restore refused: /);
    expect(fs.existsSync(path.join(work, 'y', 'exec-mcp.sqlite'))).toBe(false);
  });

  it('usage errors exit 2', () => {
    expect(cli(['backup']).code).toBe(2);
    expect(cli(['restore', '--from']).code).toBe(2);
    expect(cli(['backup', '--to', path.join(work, 'z'), 'extra']).code).toBe(2);
  });
});
