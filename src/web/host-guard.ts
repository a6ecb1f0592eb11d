import type { Middleware } from 'koa';

/**
 * Refuses requests whose Host header names another machine (421). A service bound to loopback
 * is otherwise open to DNS rebinding: a web page in the operator's browser whose domain resolves
 * to 127.0.0.1 could read /metrics and /readyz or try passwords. A request without a Host header
 * (HTTP/1.0) names nothing and passes.
 */
export function hostGuard(allowed: (hostname: string) => boolean): Middleware {
  return async function checkHost(ctx, next) {
    const hostname = ctx.request.hostname;
    if (hostname !== '' && !allowed(hostname)) {
      ctx.status = 421;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'misdirected request: this service answers only to its own address (Host header)\n';
      return;
    }
    await next();
  };
}
