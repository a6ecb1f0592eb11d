/**
 * Store integrity at start, through the real CLI: a damaged database (garbage mid-file, cut at
 * half) and a used data dir whose database is 0 bytes are refused with one stderr line that says
 * how to restore; --init-empty starts such a data dir with an empty store on purpose.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const DB = 'exec-mcp.sqlite';

let root: string;
let used: string; // a data dir after one real serve: database, master key, token, admin hash
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-store-integrity-'));
  used = path.join(root, 'used');
  const r = await serve(used, [], 60_000, /exec-mcp listening on/);
  expect(r.matched, r.stderr).toBe(true);
  expect(r.code, r.stderr).toBe(0); // stopped cleanly: the WAL is folded into the database file
  expect(fs.statSync(path.join(used, DB)).size).toBeGreaterThan(16 * 1024);
}, 90_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: root, EXEC_MCP_LOG_LEVEL: 'silent' };
}

/** Runs `serve` on a random port until `until` shows on stdout (then SIGTERM) or it exits by itself. */
function serve(dataDir: string, extra: string[], timeoutMs: number, until: RegExp): Promise<{ code: number | null; matched: boolean; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--offline', '--data-dir', dataDir, ...extra], { cwd: ROOT, env: env() });
  let stdout = '';
  let stderr = '';
  let matched = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (!matched && until.test(stdout)) {
      matched = true;
      setTimeout(() => child.kill('SIGTERM'), 200); // its signal handlers are set right after this line is written
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, matched, stderr, ms: Date.now() - started });
    });
  });
}

/** A copy of the used data dir with its database changed by `damage`. */
function copyWith(name: string, damage: (file: string) => void): string {
  const dir = path.join(root, name);
  fs.cpSync(used, dir, { recursive: true });
  for (const f of ['exec-mcp.lock', `${DB}-wal`, `${DB}-shm`]) fs.rmSync(path.join(dir, f), { force: true });
  damage(path.join(dir, DB));
  return dir;
}

async function expectRefused(dir: string, what: RegExp): Promise<string> {
  const before = fs.existsSync(path.join(dir, DB)) ? fs.readFileSync(path.join(dir, DB)) : undefined;
  const r = await serve(dir, [], 20_000, /exec-mcp listening on/);
  expect(r.matched, 'serve must not start').toBe(false);
  expect(r.code).toBe(2);
  expect(r.ms).toBeLessThan(15_000);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(path.join(dir, DB));
  expect(lines[0]).toMatch(what);
  expect(lines[0]).toContain('exec-mcp restore --from FILE');
  expect(lines[0]).not.toMatch(/\s+at \S+:\d+/); // no stack trace
  // Refusing changes nothing in the file (no WAL replay, no checkpoint, no fresh schema).
  if (before) expect(fs.readFileSync(path.join(dir, DB)).equals(before)).toBe(true);
  return lines[0]!;
}

describe('store integrity at start (child process)', () => {
  it('8 KB of garbage in the middle of the database: refused as damaged', async () => {
    const dir = copyWith('garbage', (file) => {
      const fd = fs.openSync(file, 'r+');
      const size = fs.fstatSync(fd).size;
      fs.writeSync(fd, crypto.randomBytes(8192), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
      fs.closeSync(fd);
    });
    await expectRefused(dir, /is damaged/);
  }, 30_000);

  it('database cut at half: refused as damaged', async () => {
    const dir = copyWith('half', (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2)));
    await expectRefused(dir, /is damaged/);
  }, 30_000);

  it('0-byte database in a used data dir: refused, naming restore and --init-empty', async () => {
    const dir = copyWith('empty', (file) => fs.truncateSync(file, 0));
    const line = await expectRefused(dir, /was used before \(master\.key, mcp-token.*\) but its database .* is empty \(0 bytes\)/);
    expect(line).toContain('--init-empty');
    expect(fs.statSync(path.join(dir, DB)).size).toBe(0);
    // Nor does audit verify call an empty store's chain ok: it cannot read one (exit 2).
    const v = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--data-dir', dir], { cwd: ROOT, env: env(), encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(2);
  }, 30_000);

  it('missing database in a used data dir: refused too, and migrate does not create it', async () => {
    const dir = copyWith('missing', (file) => fs.rmSync(file));
    await expectRefused(dir, /is missing/);
    const m = spawnSync(process.execPath, [BIN, 'migrate', '--data-dir', dir], { cwd: ROOT, env: env(), encoding: 'utf8' });
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/^refusing to start: .* is missing; .*--init-empty.*\n$/);
    expect(fs.existsSync(path.join(dir, DB))).toBe(false);
  }, 30_000);

  it('0-byte database with --init-empty (flag or EXEC_MCP_INIT_EMPTY=1): starts with an empty store', async () => {
    const dir = copyWith('init-empty', (file) => fs.truncateSync(file, 0));
    const m = spawnSync(process.execPath, [BIN, 'migrate', '--data-dir', dir], { cwd: ROOT, env: { ...env(), EXEC_MCP_INIT_EMPTY: '1' }, encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/migrated from schema version 0/);
    fs.truncateSync(path.join(dir, DB), 0);
    const r = await serve(dir, ['--init-empty'], 60_000, /exec-mcp listening on/);
    expect(r.matched, r.stderr).toBe(true);
    expect(fs.statSync(path.join(dir, DB)).size).toBeGreaterThan(0);
  }, 90_000);

  it('a fresh data dir (no earlier use) still starts without any flag', () => {
    const dir = path.join(root, 'fresh');
    const m = spawnSync(process.execPath, [BIN, 'migrate', '--data-dir', dir], { cwd: ROOT, env: env(), encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
  });
});
