/**
 * Dashboard sessions ended by logout, kept in the store (migration 004) until the ended cookie
 * would have expired anyway, so a copied cookie stays refused across restarts. Only a sha256 of
 * the session id is stored. Expired rows are pruned on every logout.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/connection.ts';
import { statement } from '../db/statements.ts';
import { storeFaultsOf } from '../db/store-faults.ts';
import type { Clock } from '../domain/clock.ts';
import type { RevokedSessions } from './ports.ts';

const hashOf = (sid: string): string => crypto.createHash('sha256').update(sid, 'utf8').digest('hex');

export class RevokedSessionsImpl implements RevokedSessions {
  /**
   * sid hash -> expiry of every unexpired revocation: read from the store once, then kept with each
   * revoke. Every authenticated request asks, so it is answered from memory, not a query per request.
   */
  private known: Map<string, number> | undefined;

  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  revoke(sid: string, untilMs: number): void {
    const { db } = this.deps;
    const hash = hashOf(sid);
    const until = Math.floor(untilMs);
    try {
      db.transaction(() => {
        statement(db, 'DELETE FROM revoked_sessions WHERE expires_at_ms <= ?').run(this.deps.clock.now());
        statement(
          db,
          `INSERT INTO revoked_sessions (sid_hash, expires_at_ms) VALUES (?, ?)
           ON CONFLICT (sid_hash) DO UPDATE SET expires_at_ms = MAX(expires_at_ms, excluded.expires_at_ms)`,
        ).run(hash, until);
      })();
    } catch (e) {
      throw storeFaultsOf(db).note(e, 'changes') ?? e;
    }
    const known = this.loaded();
    const now = this.deps.clock.now();
    for (const [h, exp] of known) if (exp <= now) known.delete(h);
    known.set(hash, Math.max(known.get(hash) ?? 0, until));
  }

  isRevoked(sid: string): boolean {
    const known = this.loaded();
    if (known.size === 0) return false; // the usual case: no hash computed
    const until = known.get(hashOf(sid));
    return until !== undefined && until > this.deps.clock.now();
  }

  private loaded(): Map<string, number> {
    if (this.known === undefined) {
      const rows = statement(this.deps.db, 'SELECT sid_hash, expires_at_ms FROM revoked_sessions WHERE expires_at_ms > ?').all(this.deps.clock.now()) as {
        sid_hash: string;
        expires_at_ms: number;
      }[];
      this.known = new Map(rows.map((r) => [r.sid_hash, r.expires_at_ms]));
    }
    return this.known;
  }
}
