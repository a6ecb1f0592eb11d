import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/connection.ts';
import { loadMigrations } from '../../src/db/migrate.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const LATEST = loadMigrations().at(-1)!.version;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-migrate-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('exec-mcp migrate (child process)', () => {
  it('creates and migrates a fresh database, then reports it up to date', () => {
    const first = cli(['migrate', '--data-dir', dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`database ${path.join(dir, 'exec-mcp.sqlite')} migrated from schema version 0 to ${LATEST}\n`);
    const again = cli(['migrate', '--data-dir', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is up to date/);
  });

  it('refuses a database newer than the code with one clear line, exit 1, and leaves it unchanged', () => {
    const file = path.join(dir, 'exec-mcp.sqlite');
    const db = openDb(file);
    db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future.sql', 'later')").run(LATEST + 50);
    closeDb(db);
    const before = fs.readFileSync(file);
    const r = cli(['migrate', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error INTERNAL: database schema version ${LATEST + 50} is newer than this exec-mcp supports (${LATEST}); upgrade exec-mcp or use another data dir\n`,
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
