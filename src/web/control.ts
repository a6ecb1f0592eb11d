/**
 * The operator control endpoint that `exec-mcp orders cancel|cancel-all` and `exec-mcp kill-switch
 * on --cancel-open` relay to while `serve` owns the data dir: serve owns the order actors, so a CLI
 * must never cancel on the exchange behind its back. JSON in and out, the MCP bearer token (the
 * full one; a read-only token is refused), mounted before sessions and CSRF like /mcp (a browser
 * cannot send the Authorization header cross-site without a preflight nobody answers).
 *   POST /control/orders/cancel      {account, order_id? | client_order_id?} -> {order}
 *   POST /control/orders/cancel-all  {account?}                             -> {results:[...]}
 */
import crypto from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { invalidArgumentFromIssues, isDomainError, toDomainError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { cancelOpenOrders } from '../services/brake.ts';
import type { Services } from '../services/ports.ts';
import { httpStatusFor } from './errors.ts';

/** Audit actor of every relayed operator command (the same as the CLI acting on its own runtime). */
export const CONTROL_ACTOR = 'cli';
const MAX_BODY = 16 * 1024;

const account = z.string().min(1).max(200);
const cancelSchema = z
  .object({ account, order_id: z.string().min(1).max(64).optional(), client_order_id: z.string().min(1).max(64).optional() })
  .strict();
const cancelAllSchema = z.object({ account: account.optional() }).strict();

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

export function controlMount(deps: { services: Services; token: string; logger: Logger }): Middleware {
  const expected = digest(deps.token);
  const routes: Record<string, (body: unknown) => Promise<unknown>> = {
    '/control/orders/cancel': async (body) => {
      const b = parse(cancelSchema, body);
      const lookup = { ...(b.order_id !== undefined ? { order_id: b.order_id } : {}), ...(b.client_order_id !== undefined ? { client_order_id: b.client_order_id } : {}) };
      return { order: await deps.services.orders.cancel(b.account, lookup, CONTROL_ACTOR) };
    },
    '/control/orders/cancel-all': async (body) => {
      const b = parse(cancelAllSchema, body);
      return { results: await cancelOpenOrders(deps.services, b.account, CONTROL_ACTOR) };
    },
  };
  return async function control(ctx, next) {
    const route = routes[ctx.path];
    if (!ctx.path.startsWith('/control/')) return next();
    if (!route) return reply(ctx, 404, { error: { code: 'INVALID_ARGUMENT', message: `no control route ${ctx.path}` } });
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST');
      return reply(ctx, 405, { error: { code: 'INVALID_ARGUMENT', message: 'use POST' } });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    if (!m || !crypto.timingSafeEqual(digest(m[1]!), expected)) return reply(ctx, 401, { error: { code: 'INVALID_ARGUMENT', message: 'bearer token required (EXEC_MCP_TOKEN)' } });
    try {
      const body = await readJson(ctx);
      reply(ctx, 200, await route(body));
    } catch (e) {
      const err = toDomainError(e);
      if (!isDomainError(e)) deps.logger.error({ err: e, path: ctx.path }, 'control request failed');
      reply(ctx, httpStatusFor(err.code), { error: err.toJSON() });
    }
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidArgumentFromIssues(r.error.issues);
  return r.data;
}

function reply(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = JSON.stringify(body);
}

async function readJson(ctx: Context): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw invalidArgumentFromIssues([{ path: [], message: `body over ${MAX_BODY} bytes` }]);
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidArgumentFromIssues([{ path: [], message: 'body must be JSON' }]);
  }
}
