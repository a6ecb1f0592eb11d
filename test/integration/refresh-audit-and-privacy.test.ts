/** "Refresh now" on the dashboard (and the daily job) is an audited action, whatever its outcome. */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, tempDataDir, type TestApp } from './mcp-app.ts';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('metadata refresh', () => {
  it('writes an audit row naming who asked and what came of it', async () => {
    t = await startTestApp();
    const status = await t.services.markets.refresh('bitstamp', 'dashboard');
    expect(status.last_error).toMatch(/offline mode/);
    const entry = t.services.audit.page({ limit: 5 }).find((e) => e.action === 'metadata.refresh');
    expect(entry).toMatchObject({ actor: 'dashboard', subject: 'bitstamp', payload: { result: 'failed', error: expect.stringMatching(/offline mode/) } });
    expect(t.services.audit.verify()).toMatchObject({ ok: true });
  });
});

describe('data dir privacy', () => {
  it('a new data dir and its database files are readable by this user only', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const fresh = path.join(tempDataDir('exec-mcp-private-'), 'data'); // created by the app itself
    t = await startTestApp({ EXEC_MCP_DATA_DIR: fresh });
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(fresh)).toBe(0o700);
    const db = path.join(fresh, 'exec-mcp.sqlite');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) expect(mode(f), f).toBe(0o600);
  });
});
