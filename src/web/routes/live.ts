import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import { sessionOf, type EndedSessions } from '../auth.ts';
import { LiveHub, type LiveClient } from '../live-hub.ts';
import type { RouteDeps } from './common.ts';

const MAX_BUFFERED = 64 * 1024;

/**
 * GET /dashboard/events: the live channel (text/event-stream) of a logged-in session, behind the
 * same login gate as every dashboard route; ended at once when that session logs out.
 */
export function liveRoutes(deps: RouteDeps & { ended: EndedSessions; hub?: LiveHub }): Router {
  const hub = deps.hub ?? new LiveHub({ services: deps.services, logger: deps.logger });
  deps.ended.onEnd((sid) => hub.closeSession(sid));
  const router = new Router();
  router.get('/dashboard/events', (ctx) => {
    const stream = new PassThrough();
    const client: LiveClient = {
      sid: sessionOf(ctx)?.sid,
      // A reader that stopped reading (a frozen tab): events are dropped past this, never buffered
      // without bound; its next event after it catches up makes the page re-fetch the newest state.
      write: (text) => void (stream.writableLength < MAX_BUFFERED ? stream.write(text) : undefined),
      close: () => void stream.end(),
    };
    if (!hub.add(client)) ctx.throw(503, 'too many live streams are open; the page still works, reload it to see changes');
    const gone = (): void => hub.remove(client);
    ctx.req.on('close', gone);
    stream.on('close', gone);
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no'); // a buffering reverse proxy (nginx) would hold events back
    ctx.type = 'text/event-stream; charset=utf-8';
    ctx.body = stream;
  });
  return router;
}
