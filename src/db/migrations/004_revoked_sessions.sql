-- Dashboard sessions ended by logout. The session lives in the signed cookie, so a copy taken
-- before logout stays valid until it expires: its id (sha256 hex, never the id itself) is kept
-- here until then, so a restart does not forget the logout. Expired rows are pruned.
CREATE TABLE revoked_sessions (
  sid_hash TEXT PRIMARY KEY,
  expires_at_ms INTEGER NOT NULL
);
CREATE INDEX revoked_sessions_expiry ON revoked_sessions (expires_at_ms);
