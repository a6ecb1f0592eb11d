/**
 * What the browser test runs against. `fake`: in-memory services (fast, no SQLite);
 * `app`: the real composition root (createApp on a temp data dir) — the acceptance target.
 */
import type { OrderRequest, OrderView } from '../../src/domain/order.ts';
import type { Services } from '../../src/services/ports.ts';
import type { WebAppDeps } from '../../src/web/app.ts';
import { createFakeServices } from '../integration/web-fake-services.ts';

export interface DashboardBackend {
  kind: 'fake' | 'app';
  services: Services;
  /** Integer table keys of every account (to prove none leaks); empty for the fake. */
  internalKeys(): number[];
  placeOrder(ref: string, req: OrderRequest): Promise<OrderView>;
  /** Places an order over MCP (Streamable HTTP at `${base}/mcp`), when the backend has an MCP endpoint. */
  placeOrderOverMcp?(base: string, args: Record<string, unknown>): Promise<{ order_id: string }>;
  /** Records a balance snapshot (history point) for the account. */
  snapshot(ref: string): Promise<void>;
  /** Moves time forward, so history points differ. */
  advance(ms: number): void;
  webDeps: Partial<WebAppDeps>;
  close(): Promise<void>;
}

export async function fakeBackend(): Promise<DashboardBackend> {
  const services = createFakeServices();
  return {
    kind: 'fake',
    services,
    internalKeys: () => [],
    placeOrder: (ref, req) => services.orders.place(ref, req, 'test'),
    async snapshot(ref) {
      const last = (await services.balances.get(ref, false)).balances;
      services.addSnapshot(ref, last.map((b, i) => ({ ...b, total: String(Number(b.total) + i + 1) })));
    },
    advance: (ms) => services.clock.advance(ms),
    webDeps: { clock: services.clock },
    close: async () => undefined,
  };
}

/** The real composition root on a temp data dir (offline, fixed paper prices). */
export async function appBackend(): Promise<DashboardBackend> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const crypto = await import('node:crypto');
  const { loadConfig } = await import('../../src/config.ts');
  const { createApp } = await import('../../src/main.ts');
  const { FixedPriceSource } = await import('../../src/exchanges/paper-price-sources.ts');
  const { silentLogger } = await import('../../src/observability/logger.ts');
  const { createMcpHttpHandler } = await import('../../src/mcp/http.ts');
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-dashboard-'));
  const config = loadConfig({ EXEC_MCP_DATA_DIR: dir, EXEC_MCP_OFFLINE: '1', EXEC_MCP_MASTER_KEY: crypto.randomBytes(32).toString('base64') });
  const app = await createApp(config, {
    logger: silentLogger(),
    priceSource: new FixedPriceSource({ btcusd: '50000', ethusd: '3000', btceur: '46000', ethbtc: '0.06' }),
  });
  await app.start();
  const token = crypto.randomBytes(24).toString('base64url');
  const mcp = createMcpHttpHandler({ services: app.services, token, logger: app.logger, metrics: app.metrics });
  return {
    kind: 'app',
    async placeOrderOverMcp(base, args) {
      const client = new Client({ name: 'dashboard-e2e', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      await client.connect(transport);
      try {
        const res = await client.callTool({ name: 'place_order', arguments: args });
        const structured = res.structuredContent as { order?: { order_id: string }; error?: { code: string; message: string } } | undefined;
        if (res.isError || !structured?.order) throw new Error(`place_order over MCP failed: ${JSON.stringify(structured ?? res.content)}`);
        return structured.order;
      } finally {
        await client.close();
      }
    },
    services: app.services,
    internalKeys: () => (app.db.prepare('SELECT id FROM accounts').all() as { id: number }[]).map((r) => r.id),
    placeOrder: (ref, req) => app.services.orders.place(ref, req, 'test:e2e'),
    snapshot: (ref) => app.services.balances.snapshot(ref),
    advance: () => undefined, // real clock: snapshots taken one after the other already differ in time
    webDeps: { ready: app.ready, clock: app.clock, mcpHandler: mcp },
    async close() {
      await mcp.close();
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
