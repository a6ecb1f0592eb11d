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
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  revoke(sid: string, untilMs: number): void {
    const { db } = this.deps;
    try {
      db.transaction(() => {
        statement(db, 'DELETE FROM revoked_sessions WHERE expires_at_ms <= ?').run(this.deps.clock.now());
        statement(
          db,
          `INSERT INTO revoked_sessions (sid_hash, expires_at_ms) VALUES (?, ?)
           ON CONFLICT (sid_hash) DO UPDATE SET expires_at_ms = MAX(expires_at_ms, excluded.expires_at_ms)`,
        ).run(hashOf(sid), Math.floor(untilMs));
      })();
    } catch (e) {
      throw storeFaultsOf(db).note(e, 'changes') ?? e;
    }
  }

  isRevoked(sid: string): boolean {
    const row = statement(this.deps.db, 'SELECT expires_at_ms FROM revoked_sessions WHERE sid_hash = ?').get(hashOf(sid)) as
      | { expires_at_ms: number }
      | undefined;
    return row !== undefined && row.expires_at_ms > this.deps.clock.now();
  }
}
