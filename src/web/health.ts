import Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { MetadataStatus, StatusService } from '../services/ports.ts';

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, boolean | string>;
  /** Accounts whose exchange stream is down: still ready (200), but the body says "degraded". */
  streams_down?: string[];
  /** The store failed while running: damaged (not ready, trading halted) or cannot write (degraded). */
  store?: { state: 'degraded' | 'damaged'; reason: string };
}

/**
 * Liveness, readiness and Prometheus metrics (CONTRACT.md "HTTP"). No session, no CSRF, no HTML.
 * /readyz: 200 when every startup check passed, 503 otherwise; the body names each check and the
 * metadata cache state per exchange (a failed refresh is visible but does not make us unready:
 * the previous or bundled metadata is still served). Ready with accounts whose stream is down:
 * 200, status "degraded" and those accounts in `streams_down`. The store failing while running: a
 * damaged file is 503 (trading halted), a store that cannot write is 200 "degraded"; `store` says why.
 */
export function healthRouter(deps: { ready: () => ReadyReport; status: StatusService; registry: Registry }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    let report: ReadyReport;
    try {
      report = deps.ready();
    } catch {
      report = { ready: false, checks: { readiness_probe: 'failed to evaluate' } };
    }
    let metadata: MetadataStatus[] | string;
    try {
      metadata = deps.status.metadata();
    } catch {
      metadata = 'unavailable';
    }
    ctx.set('Cache-Control', 'no-store');
    const down = report.streams_down ?? [];
    ctx.status = report.ready ? 200 : 503;
    ctx.body = {
      status: !report.ready ? 'not_ready' : down.length > 0 || report.store !== undefined ? 'degraded' : 'ready',
      checks: report.checks,
      metadata,
      ...(down.length > 0 ? { streams_down: down } : {}),
      ...(report.store !== undefined ? { store: report.store } : {}),
    };
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.registry.metrics();
  });
  return router;
}
