/**
 * The real app (createApp) on a temp data dir for MCP tests: offline, silent, paper prices fixed
 * (btcusd 50000) in-process; spawned CLIs use the offline replay of the bundled sample (57.5k-60k).
 * digest() hashes every table so a test can prove that calls changed no stored data (except
 * balances and balance_snapshots: the snapshot job writes them on its own, at start, on its interval
 * and shortly after fills or account changes).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import type { Services } from '../../src/services/ports.ts';

export interface TestApp {
  app: App;
  services: Services;
  dataDir: string;
  digest(): string;
  /** Waits until the stored state stops changing (outbox worker, fills). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function tempDataDir(prefix = 'exec-mcp-mcp-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `priceSource`: a test that moves prices passes its own (default: btcusd 50000, ethusd 3000). */
export async function startTestApp(env: Record<string, string> = {}, opts: { priceSource?: FixedPriceSource } = {}): Promise<TestApp> {
  const dataDir = tempDataDir();
  const config = loadConfig({ EXEC_MCP_DATA_DIR: dataDir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent', ...env });
  const priceSource = opts.priceSource ?? new FixedPriceSource({ btcusd: '50000', ethusd: '3000' });
  const app = await createApp(config, { logger: silentLogger(), priceSource });
  await app.start();
  const digest = (): string => {
    const h = crypto.createHash('sha256');
    const tables = app.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('balances', 'balance_snapshots') ORDER BY name")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const rows = (app.db.prepare(`SELECT * FROM "${name}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
      h.update(`${name}\n${rows.join('\n')}\n`);
    }
    return h.digest('hex');
  };
  return {
    app,
    services: app.services,
    dataDir,
    digest,
    async settle() {
      let last = digest();
      let stable = 0;
      for (let i = 0; i < 200 && stable < 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const now = digest();
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
    },
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
