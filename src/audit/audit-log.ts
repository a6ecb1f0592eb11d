import crypto from 'node:crypto';
import type { Db } from '../db/connection.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';

export interface AuditEntry {
  actor: string;
  action: string; // e.g. "account.create", "order.command.submit", "order.exchange.ack"
  subject: string; // public reference: account ref or order_id; never an internal key
  payload: Record<string, unknown>; // never a secret value
  /** When it happened, if not now: a backtest account's orders are audited at simulated time. */
  at?: string;
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function rowHash(prevHash: string, r: Omit<AuditRow, 'hash' | 'prev_hash'>): string {
  // canonicalJson({seq, at, actor, action, subject, payload}) spelled out: the same bytes (keys in
  // sorted order, every field present and a string or number), without the intermediate objects.
  const body =
    `{"action":${JSON.stringify(r.action)},"actor":${JSON.stringify(r.actor)},"at":${JSON.stringify(r.at)},` +
    `"payload":${JSON.stringify(r.payload)},"seq":${JSON.stringify(r.seq)},"subject":${JSON.stringify(r.subject)}}`;
  return sha256Hex(`${prevHash}\n${body}`);
}

/** One-shot crypto.hash where Node has it (20.12+): no Hash object per row. Same digest. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * canonicalJson (domain/canonical-json.ts) written with loops instead of filter/sort/map/join chains: the
 * same string for every value (a test holds them equal), at half the cost on every audited transition.
 */
export function canonicalPayload(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // The common payload (flat, keys already sorted, plain values): JSON.stringify writes the same bytes.
  if (isFlatSorted(value)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as Array.prototype.map + join leave it.
      if (i in value) out += canonicalPayload(value[i] === undefined ? null : value[i]);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  // Callers on hot paths build payloads with sorted keys: check before paying for a sort.
  for (let i = 1; i < keys.length; i++)
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys.sort();
      break;
    }
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(k)}:${canonicalPayload(v)}`;
  }
  return `${out}}`;
}

/**
 * A plain object whose own keys are in sorted order, none integer-like (JSON.stringify would put
 * those first), and whose values are strings, finite numbers, booleans, null, undefined (both
 * serialisations omit the key) or dense arrays of such scalars. For these JSON.stringify equals
 * canonicalJson; anything else (nesting, Dates, functions, holes...) takes the general path.
 */
function isFlatSorted(value: object): boolean {
  if (Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const obj = value as Record<string, unknown>;
  let prev = '';
  for (const k of Object.keys(obj)) {
    const c = k.charCodeAt(0);
    if (!(k > prev) || (c >= 48 && c <= 57)) return false;
    prev = k;
    const v = obj[k];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!(i in v) || !isScalar(v[i]) || v[i] === undefined) return false;
    } else if (!isScalar(v)) return false;
  }
  return true;
}

function isScalar(v: unknown): boolean {
  const t = typeof v;
  return t === 'string' || t === 'boolean' || t === 'undefined' || v === null || (t === 'number' && Number.isFinite(v));
}

/**
 * Append-only, hash-chained audit log. `append` is synchronous so it joins the caller's SQLite
 * transaction (an audit row commits with the change it describes, or not at all).
 */
export class AuditLog {
  private readonly insert;
  private readonly selectHead;
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectHead = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  }

  /**
   * The chain's last row (seq 0 and the genesis hash when empty). Recorded outside the database,
   * it is an anchor: `verifyAnchor` later proves that no row up to it was rewritten, which the
   * unkeyed chain alone cannot (a full re-hash of the rows after an edit passes verify()).
   */
  headAnchor(): { seq: number; hash: string } {
    return this.head();
  }

  /** Does the row at `anchor.seq` still carry `anchor.hash`? Run after verify() (which proves the rest). */
  verifyAnchor(anchor: { seq: number; hash: string }): { ok: true } | { ok: false; reason: string } {
    if (anchor.seq === 0) return anchor.hash === GENESIS ? { ok: true } : { ok: false, reason: 'seq 0 is the empty chain, whose hash is all zeros' };
    const row = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(anchor.seq) as { hash: string } | undefined;
    if (!row) return { ok: false, reason: `the chain has no row ${anchor.seq} any more: it was cut back` };
    if (row.hash !== anchor.hash) return { ok: false, reason: `row ${anchor.seq} has hash ${row.hash}, the anchor says ${anchor.hash}: history up to it was rewritten` };
    return { ok: true };
  }

  /** Read every time (cheap via the PK): a cached head would go wrong after a rolled-back transaction. */
  private head(): { seq: number; hash: string } {
    const row = this.selectHead.get() as
      | { seq: number; hash: string }
      | undefined;
    return row ?? { seq: 0, hash: GENESIS };
  }

  append(entry: AuditEntry): number {
    const head = this.head();
    const seq = head.seq + 1;
    const at = entry.at ?? isoAt(this.clock.now());
    const payload = canonicalPayload(entry.payload);
    const hash = rowHash(head.hash, { seq, at, actor: entry.actor, action: entry.action, subject: entry.subject, payload });
    this.insert.run(seq, at, entry.actor, entry.action, entry.subject, payload, head.hash, hash);
    return seq;
  }

  /**
   * Appends several entries in order, reading the chain head once (callers inside one transaction,
   * e.g. the order runtime's group commit). Same rows and hashes as calling append() for each.
   */
  appendMany(entries: readonly AuditEntry[]): number {
    if (entries.length === 0) return this.head().seq;
    let { seq, hash } = this.head();
    const now = isoAt(this.clock.now());
    for (const entry of entries) {
      seq += 1;
      const at = entry.at ?? now;
      const payload = canonicalPayload(entry.payload);
      const next = rowHash(hash, { seq, at, actor: entry.actor, action: entry.action, subject: entry.subject, payload });
      this.insert.run(seq, at, entry.actor, entry.action, entry.subject, payload, hash, next);
      hash = next;
    }
    return seq;
  }

  page(opts: { before?: number; limit?: number } = {}): Array<Omit<AuditRow, 'payload' | 'prev_hash' | 'hash'> & { payload: Record<string, unknown> }> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const rows = (
      opts.before !== undefined
        ? this.db.prepare('SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(opts.before, limit)
        : this.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?').all(limit)
    ) as AuditRow[];
    return rows.map((r) => ({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, subject: r.subject, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  }

  /** Walks the chain; reports the first row whose hash or link does not match. */
  verify(): { ok: true; rows: number } | { ok: false; rows: number; firstBad: number; reason: string } {
    let prev = GENESIS;
    let expectedSeq = 1;
    let rows = 0;
    for (const r of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
      rows++;
      if (r.seq !== expectedSeq) return { ok: false, rows, firstBad: r.seq, reason: `sequence gap: expected ${expectedSeq}` };
      if (r.prev_hash !== prev) return { ok: false, rows, firstBad: r.seq, reason: 'prev_hash does not match the previous row' };
      if (rowHash(prev, r) !== r.hash) return { ok: false, rows, firstBad: r.seq, reason: 'hash does not match the row content' };
      prev = r.hash;
      expectedSeq++;
    }
    return { ok: true, rows };
  }
}
