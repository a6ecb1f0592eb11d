import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { currentSchemaVersion, loadMigrations, migrate } from '../../src/db/migrate.ts';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-migrate-'));
  db = openDb(path.join(dir, 'exec-mcp.sqlite'));
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Everything that describes the schema and its version: must be identical before and after a refusal. */
function schemaState(d: Db): unknown {
  return {
    objects: d.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY type, name').all(),
    versions: d.prepare('SELECT * FROM schema_version ORDER BY version').all(),
  };
}

describe('migrate', () => {
  it('applies every migration once, records it, and is a no-op afterwards', () => {
    const latest = loadMigrations().at(-1)!.version;
    expect(migrate(db, undefined, () => '2026-01-01T00:00:00.000Z')).toEqual({ from: 0, to: latest });
    expect(currentSchemaVersion(db)).toBe(latest);
    expect(db.prepare('SELECT version, name, applied_at FROM schema_version WHERE version = 1').get()).toEqual({
      version: 1,
      name: '001_init.sql',
      applied_at: '2026-01-01T00:00:00.000Z',
    });
    for (const table of ['accounts', 'credentials', 'audit_log', 'orders', 'settings'])
      expect(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table), table).toBeDefined();
    const state = schemaState(db);
    expect(migrate(db)).toEqual({ from: latest, to: latest });
    expect(schemaState(db)).toEqual(state);
  });

  it('opens with WAL, foreign keys and a busy timeout', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('refuses a database whose schema is newer than the code, with a clear error and no change', () => {
    migrate(db);
    db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (999, '999_future.sql', 'later')").run();
    const before = schemaState(db);
    expect(() => migrate(db)).toThrow(/database schema version 999 is newer than this exec-mcp supports \(\d+\); upgrade exec-mcp or use another data dir/);
    expect(schemaState(db)).toEqual(before);
  });

  it('rolls back a failing migration entirely (nothing half-applied, version unchanged)', () => {
    const migrations = [
      { version: 1, name: '001_a.sql', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: '002_b.sql', sql: 'CREATE TABLE b (x INTEGER); CREATE TABLE broken (;' },
    ];
    expect(() => migrate(db, migrations)).toThrow();
    expect(currentSchemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b') ORDER BY name").all()).toEqual([{ name: 'a' }]);
  });

  it('003 keeps the day totals recorded before totals were per quote currency, under quote "*"', () => {
    migrate(db, loadMigrations().filter((m) => m.version <= 2));
    db.prepare("INSERT INTO accounts (id, name, exchange, exchange_account_id, mode, enabled, limits_json, created_at, updated_at) VALUES (7, 'a', 'paper', 'a', 'paper', 1, '{}', 't', 't')").run();
    db.prepare("INSERT INTO daily_notional (account_id, day, notional) VALUES (7, '2026-01-01', '123.45')").run();
    migrate(db);
    expect(db.prepare('SELECT account_id, day, quote, notional FROM daily_notional_by_quote').all()).toEqual([{ account_id: 7, day: '2026-01-01', quote: '*', notional: '123.45' }]);
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'daily_notional'").get()).toBeUndefined();
  });
});
