/**
 * A logout survives a restart: the real app and HTTP server on one data dir, a copy of the session
 * cookie taken before logout, the service stopped and started again on the same data dir; the copy
 * is still refused while a session that never logged out still works (same cookie keys, so the
 * refusal is the logout, not new keys). Expired revocations are pruned.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createApp, createHttpServer, type App, type HttpServerHandle } from '../../src/main.ts';
import { openDb, closeDb } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { RevokedSessionsImpl } from '../../src/services/revoked-sessions.ts';
import { tempDataDir } from './mcp-app.ts';
import { TEST_PASSWORD_HASH, WebClient } from './web-harness.ts';

const dirs: string[] = [];
let running: { app: App; http: HttpServerHandle } | undefined;
afterEach(async () => {
  await stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<string> {
  const config = loadConfig({ EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent', EXEC_MCP_PORT: '0' });
  const app = await createApp(config, { logger: silentLogger(), priceSource: new FixedPriceSource({ btcusd: '50000' }) });
  await app.start();
  const http = await createHttpServer(app, TEST_PASSWORD_HASH, 'test-token-0123456789abcdef');
  running = { app, http };
  return http.url;
}

async function stop(): Promise<void> {
  if (!running) return;
  await running.http.close();
  await running.app.close();
  running = undefined;
}

const dashboardWith = async (base: string, cookie: string): Promise<number> =>
  (await fetch(`${base}/dashboard`, { headers: { cookie }, redirect: 'manual' })).status;

describe('logout across restarts', () => {
  it('a cookie copied before logout stays refused after the service restarts on the same data dir', async () => {
    const dataDir = tempDataDir('exec-mcp-logout-');
    dirs.push(dataDir);
    let base = await start(dataDir);
    const c = new WebClient(base);
    await c.login();
    const copied = c.cookieHeader;
    const stays = new WebClient(base);
    await stays.login();
    const kept = stays.cookieHeader;
    expect(await dashboardWith(base, copied)).toBe(200);
    expect((await c.post('/logout')).status).toBe(303);
    expect(await dashboardWith(base, copied)).toBe(302);

    await stop();
    base = await start(dataDir);
    expect(await dashboardWith(base, kept)).toBe(200); // positive control: same keys, that session never ended
    expect(await dashboardWith(base, copied)).toBe(302);
    const post = await fetch(`${base}/dashboard/kill-switch`, {
      method: 'POST',
      headers: { cookie: copied, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'kill_switch=on',
      redirect: 'manual',
    });
    expect(post.status).toBe(401);
    expect(running!.app.services.accounts.globalKillSwitch()).toBe(false);
    // Only a hash of the session id is stored.
    const rows = running!.app.db.prepare('SELECT sid_hash FROM revoked_sessions').all() as { sid_hash: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sid_hash).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it('a revocation ends when its cookie would have expired, and expired rows are pruned', () => {
    const dataDir = tempDataDir('exec-mcp-revoked-');
    dirs.push(dataDir);
    const db = openDb(`${dataDir}/t.sqlite`);
    try {
      migrate(db);
      const clock = new ManualClock(1_000_000);
      const revoked = new RevokedSessionsImpl({ db, clock });
      revoked.revoke('sid-a', clock.now() + 1000);
      expect(revoked.isRevoked('sid-a')).toBe(true);
      expect(revoked.isRevoked('sid-b')).toBe(false);
      clock.advance(1000);
      expect(revoked.isRevoked('sid-a')).toBe(false);
      revoked.revoke('sid-b', clock.now() + 1000);
      expect(db.prepare('SELECT COUNT(*) AS n FROM revoked_sessions').get()).toEqual({ n: 1 });
      expect(revoked.isRevoked('sid-b')).toBe(true);
    } finally {
      closeDb(db);
    }
  });
});
