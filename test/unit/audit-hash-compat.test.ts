/**
 * The audit log's hot path (canonicalPayload, the spelled-out row body) must hash exactly as the
 * original definition did — canonicalJson of the payload, then sha256(prev + "\n" +
 * canonicalJson({seq, at, actor, action, subject, payload})) — or existing chains stop verifying.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AuditLog, canonicalPayload } from '../../src/audit/audit-log.ts';
import { canonicalJson } from '../../src/domain/canonical-json.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/domain/clock.ts';

let dir: string;
let db: Db;
let log: AuditLog;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-audit-compat-'));
  db = openDb(path.join(dir, 'a.sqlite'));
  migrate(db);
  log = new AuditLog(db, new ManualClock(Date.UTC(2026, 0, 1)));
});
afterAll(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

const textArb = fc.string({ unit: 'binary', maxLength: 12 });
const payloadArb = fc.dictionary(textArb, fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.array(fc.option(fc.integer(), { nil: undefined }))), { maxKeys: 8 });

describe('audit hashing is unchanged', () => {
  test.prop([fc.anything({ withNullPrototype: true, withSparseArray: true, withBigInt: false })], { numRuns: 1000 })(
    'canonicalPayload equals canonicalJson',
    (v) => {
      expect(canonicalPayload(v)).toBe(canonicalJson(v));
    },
  );

  const scalarArb = fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
  const valueArb = fc.oneof(scalarArb, fc.array(scalarArb, { maxLength: 4 }), fc.sparseArray(fc.string(), { maxLength: 3 }), fc.date(), fc.func(fc.string()), fc.object());
  test.prop([fc.dictionary(fc.oneof(textArb, fc.constantFrom('0', '1', '10', '2', 'a', 'b')), valueArb, { maxKeys: 8 }), fc.boolean()], { numRuns: 2000 })(
    'canonicalPayload equals canonicalJson on flat payloads, sorted or not (the JSON.stringify shortcut)',
    (dict, sorted) => {
      const keys = Object.keys(dict);
      if (sorted) keys.sort();
      const obj: Record<string, unknown> = {};
      for (const k of keys) obj[k] = dict[k];
      expect(canonicalPayload(obj)).toBe(canonicalJson(obj));
    },
  );

  test.prop([textArb, textArb, textArb, payloadArb], { numRuns: 300 })('rows hash as the original definition', (actor, action, subject, payload) => {
    const head = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const seqs = [log.append({ actor, action, subject, payload }), log.appendMany([{ actor: subject, action, subject: actor, payload }])];
    let prev = head?.hash ?? '0'.repeat(64);
    for (const seq of seqs) {
      const r = db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Record<string, string | number>;
      expect(r.payload).toBe(canonicalJson(payload));
      const body = canonicalJson({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, payload: r.payload });
      const expected = crypto.createHash('sha256').update(prev).update('\n').update(body).digest('hex');
      expect(r.prev_hash).toBe(prev);
      expect(r.hash).toBe(expected);
      prev = expected;
    }
    expect(log.verify().ok).toBe(true);
  });
});
