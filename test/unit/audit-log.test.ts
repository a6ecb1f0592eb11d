import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { canonicalJson } from '../../src/domain/canonical-json.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { AuditServiceImpl } from '../../src/services/audit.ts';

let dir: string;
let db: Db;
let log: AuditLog;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-audit-'));
  db = openDb(path.join(dir, 'exec-mcp.sqlite'));
  migrate(db);
  log = new AuditLog(db, clock);
  for (let i = 1; i <= 5; i++) log.append({ actor: 'test', action: 'thing.done', subject: `s${i}`, payload: { i, nested: { b: 2, a: 1 } } });
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What an attacker with write access to the file does: drop the guards, then edit. */
function dropGuards(): void {
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
}

describe('AuditLog', () => {
  it('chains rows and verifies an untouched chain', () => {
    const service = new AuditServiceImpl(log);
    expect(service.verify()).toEqual({ ok: true, rows: 5 });
    const page = service.page({ limit: 2 });
    expect(page.map((r) => r.seq)).toEqual([5, 4]);
    expect(service.page({ before: 4, limit: 10 }).map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(page[0]).toEqual({ seq: 5, at: '2026-01-01T00:00:00.000Z', actor: 'test', action: 'thing.done', subject: 's5', payload: { i: 5, nested: { a: 1, b: 2 } } });
  });

  it('is append-only through its triggers', () => {
    expect(() => db.prepare("UPDATE audit_log SET payload = '{}' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(/append-only/);
  });

  it('detects an edited payload, naming the first bad row', () => {
    dropGuards();
    db.prepare('UPDATE audit_log SET payload = ? WHERE seq = 3').run(canonicalJson({ i: 300, nested: { a: 1, b: 2 } }));
    expect(log.verify()).toEqual({ ok: false, rows: 3, firstBad: 3, reason: 'hash does not match the row content' });
  });

  it('detects a deleted row', () => {
    dropGuards();
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    expect(log.verify()).toMatchObject({ ok: false, firstBad: 3, reason: 'sequence gap: expected 2' });
  });

  it('a row edited and re-hashed by someone who knows the algorithm breaks the link of the next row', () => {
    dropGuards();
    const r = db.prepare('SELECT * FROM audit_log WHERE seq = 3').get() as Record<string, string | number>;
    const payload = canonicalJson({ i: 300 });
    const body = canonicalJson({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, payload });
    const hash = crypto.createHash('sha256').update(String(r.prev_hash)).update('\n').update(body).digest('hex');
    db.prepare('UPDATE audit_log SET payload = ?, hash = ? WHERE seq = 3').run(payload, hash);
    expect(log.verify()).toEqual({ ok: false, rows: 4, firstBad: 4, reason: 'prev_hash does not match the previous row' });
  });

  it('a rolled-back transaction leaves no gap in the chain', () => {
    expect(() =>
      db.transaction(() => {
        log.append({ actor: 'test', action: 'doomed', subject: 'x', payload: {} });
        throw new Error('rollback');
      })(),
    ).toThrow('rollback');
    expect(log.append({ actor: 'test', action: 'after', subject: 'x', payload: {} })).toBe(6);
    expect(log.verify()).toEqual({ ok: true, rows: 6 });
  });
});
