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
