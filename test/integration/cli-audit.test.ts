import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { closeDb, openDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/domain/clock.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');

/** The real CLI in a child process, with a minimal environment (no EXEC_MCP_* from the caller). */
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let dbFile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-audit-'));
  dbFile = path.join(dir, 'exec-mcp.sqlite');
  const db = openDb(dbFile);
  migrate(db);
  const log = new AuditLog(db, new ManualClock());
  for (let i = 1; i <= 6; i++) log.append({ actor: 'test', action: 'account.update', subject: `paper:p${i}`, payload: { n: i } });
  closeDb(db);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('exec-mcp audit verify (child process)', () => {
  it('exits 0 on an untouched chain', () => {
    const r = cli(['audit', 'verify', '--data-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('audit chain ok: 6 rows\n');
    expect(r.code).toBe(0);
  });

  it('exits 1 naming the row whose payload was edited in SQLite directly', () => {
    const db = openDb(dbFile);
    // An attacker with file access removes the append-only guard first.
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare('UPDATE audit_log SET payload = ? WHERE seq = 4').run('{"n":40}');
    closeDb(db);
    const r = cli(['audit', 'verify', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('audit chain broken at row seq 4: hash does not match the row content\n');
  });

  it('also works through EXEC_MCP_DATA_DIR, and says so when there is no database', () => {
    expect(cli(['audit', 'verify'], { EXEC_MCP_DATA_DIR: dir }).code).toBe(1);
    const missing = cli(['audit', 'verify', '--data-dir', path.join(dir, 'nothing-here')]);
    expect(missing.code).toBe(2); // cannot read: not the tampering code
    expect(missing.stderr).toMatch(/^no database at .*nothing-here.*exec-mcp\.sqlite; pass the data dir/);
    expect(fs.existsSync(path.join(dir, 'nothing-here'))).toBe(false);
  });

  it('exits 2 (cannot read, not tampered) for a file that is not a database or has no audit log', () => {
    const junk = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-audit-junk-'));
    try {
      fs.writeFileSync(path.join(junk, 'exec-mcp.sqlite'), 'this is not an SQLite file at all, only some text that fills a header\n'.repeat(100));
      const notDb = cli(['audit', 'verify', '--data-dir', junk]);
      expect(notDb.code).toBe(2);
      expect(notDb.stdout).toBe('');
      expect(notDb.stderr).toMatch(/^cannot read the audit log in .*exec-mcp\.sqlite: file is not a database\n$/);
      fs.writeFileSync(path.join(junk, 'exec-mcp.sqlite'), '');
      const empty = cli(['audit', 'verify', '--data-dir', junk]);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toMatch(/has no audit_log table/);
    } finally {
      fs.rmSync(junk, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2', () => {
    const r = cli(['audit', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown audit command "check"/);
  });
});

describe('exec-mcp audit head / verify --expect-head (an anchor recorded outside the database)', () => {
  let adir: string;
  beforeAll(() => {
    adir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-anchor-'));
    const db = openDb(path.join(adir, 'exec-mcp.sqlite'));
    migrate(db);
    const log = new AuditLog(db, new ManualClock());
    for (let i = 1; i <= 6; i++) log.append({ actor: 'test', action: 'order.fill', subject: `O${i}`, payload: { amount: String(i) } });
    closeDb(db);
  });
  afterAll(() => fs.rmSync(adir, { recursive: true, force: true }));

  it('catches a rewritten history that was fully re-hashed, which verify alone cannot', () => {
    const head = cli(['audit', 'head', '--data-dir', adir]);
    expect(head.code).toBe(0);
    expect(head.stdout).toMatch(/^6:[0-9a-f]{64}\n$/);
    const anchor = head.stdout.trim();
    expect(cli(['audit', 'verify', '--expect-head', anchor, '--data-dir', adir]).stdout).toBe('audit chain ok: 6 rows\n');

    // More rows later: the old anchor still holds.
    const db = openDb(path.join(adir, 'exec-mcp.sqlite'));
    const log = new AuditLog(db, new ManualClock());
    log.append({ actor: 'test', action: 'order.fill', subject: 'O7', payload: { amount: '7' } });
    expect(cli(['audit', 'verify', '--expect-head', anchor, '--data-dir', adir]).code).toBe(0);

    // Someone with write access drops the guard, cuts rows 4.. and re-appends them edited: a
    // consistent chain again.
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq >= 4').run();
    for (let i = 4; i <= 7; i++) log.append({ actor: 'test', action: 'order.fill', subject: `O${i}`, payload: { amount: i === 4 ? '400' : String(i) } });
    closeDb(db);
    expect(cli(['audit', 'verify', '--data-dir', adir]).code).toBe(0);
    const caught = cli(['audit', 'verify', '--expect-head', anchor, '--data-dir', adir]);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toBe('');
    expect(caught.stderr).toMatch(/^audit chain does not match the recorded anchor: row 6 has hash [0-9a-f]{64}, the anchor says [0-9a-f]{64}: history up to it was rewritten\n/);
    expect(cli(['audit', 'verify', '--expect-head', '99:' + '0'.repeat(64), '--data-dir', adir]).stderr).toMatch(/no row 99 any more: it was cut back/);
  });

  it('a malformed anchor is a usage error', () => {
    for (const bad of [['--expect-head', 'abc'], ['--expect-head'], ['--expect-head', '6:xyz']]) {
      const r = cli(['audit', 'verify', ...bad, '--data-dir', adir]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--expect-head must be SEQ:HASH|needs a value/);
    }
    expect(cli(['audit', 'head', '--expect-head', '1:' + 'a'.repeat(64), '--data-dir', adir]).code).toBe(2);
  });
});
