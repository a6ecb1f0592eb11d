/**
 * The dashboard's live channel (Server-Sent Events at GET /dashboard/events): every open stream
 * hears `order` (an order's committed change, from the order change feed) and `change` (anything
 * else stored changed: accounts, balances, connection states, also from another process such as
 * the CLI), plus a comment line as heartbeat. The pages' script (static/live.js) re-fetches the
 * page and swaps the affected table; the pages themselves work without it.
 */
import type { Account } from '../domain/account.ts';
import type { OrderView } from '../domain/order.ts';
import type { Logger } from '../observability/logger.ts';
import type { Services } from '../services/ports.ts';

export const HEARTBEAT_MS = 15_000;
/** How often the store's change stamp is compared (one cheap query, shared by every stream). */
export const STORE_POLL_MS = 2_000;
/** Streams per process: a misbehaving tab cannot hold sockets without bound. */
export const MAX_STREAMS = 64;

/** Timers (the runtime's Scheduler has this shape; tests pass its ManualScheduler). */
export interface TimerHandle {
  cancel(): void;
}
export interface Scheduler {
  after(ms: number, fn: () => void): TimerHandle;
}
const realScheduler: Scheduler = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref(); // open streams must not keep a stopping process alive
    return { cancel: () => clearTimeout(t) };
  },
};

/** One open stream: `write` sends raw SSE text, `close` ends the response. */
export interface LiveClient {
  /** The login session the stream belongs to (closed when it logs out). */
  sid: string | undefined;
  write(text: string): void;
  close(): void;
}

export interface LiveHubOptions {
  services: Pick<Services, 'orders' | 'status'>;
  logger: Logger;
  scheduler?: Scheduler;
  heartbeatMs?: number;
  storePollMs?: number;
  maxStreams?: number;
}

/** SSE framing of one event (data is JSON on one line, so no newline can split it). */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly scheduler: Scheduler;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: TimerHandle | undefined;
  private poll: TimerHandle | undefined;
  private lastStamp: string | undefined;

  constructor(private readonly opts: LiveHubOptions) {
    this.scheduler = opts.scheduler ?? realScheduler;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Adds a stream (false when the hub is full); the feed and timers run only while streams are open. */
  add(client: LiveClient): boolean {
    if (this.clients.size >= (this.opts.maxStreams ?? MAX_STREAMS)) return false;
    this.clients.add(client);
    if (this.clients.size === 1) this.startFeeds();
    this.safeWrite(client, `retry: 5000\n${sseEvent('hello', { heartbeat_s: (this.opts.heartbeatMs ?? HEARTBEAT_MS) / 1000 })}`);
    return this.clients.has(client);
  }

  remove(client: LiveClient): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.stopFeeds();
  }

  /** Logout: every stream of that session gets `bye` and is closed. */
  closeSession(sid: string): void {
    for (const c of [...this.clients]) if (c.sid === sid) this.end(c, 'logged out');
  }

  /** Server shutdown. */
  closeAll(): void {
    for (const c of [...this.clients]) this.end(c, 'server stopping');
  }

  private end(c: LiveClient, reason: string): void {
    this.safeWrite(c, sseEvent('bye', { reason }));
    this.remove(c);
    try {
      c.close();
    } catch {
      // already gone
    }
  }

  private broadcast(text: string): void {
    for (const c of [...this.clients]) this.safeWrite(c, text);
  }

  private safeWrite(c: LiveClient, text: string): void {
    try {
      c.write(text);
    } catch (err) {
      this.opts.logger.debug({ err }, 'live stream write failed; dropped');
      this.remove(c);
    }
  }

  private onOrder = (account: Account, o: OrderView): void => {
    // Public references only: what the orders page shows anyway.
    this.broadcast(sseEvent('order', { account: `${account.exchange}:${account.exchange_account_id}`, order_id: o.order_id, status: o.status, filled_amount: o.filled_amount }));
    // The page a client re-fetches for this event shows every change stored so far: no extra `change` for it.
    this.lastStamp = this.stamp() ?? this.lastStamp;
  };

  private startFeeds(): void {
    this.unsubscribe = this.opts.services.orders.onOrderChange(this.onOrder);
    this.lastStamp = this.stamp();
    const beat = (): void => {
      this.heartbeat = this.scheduler.after(this.opts.heartbeatMs ?? HEARTBEAT_MS, () => {
        this.broadcast(': heartbeat\n\n');
        if (this.clients.size > 0) beat();
      });
    };
    const watch = (): void => {
      this.poll = this.scheduler.after(this.opts.storePollMs ?? STORE_POLL_MS, () => {
        const now = this.stamp();
        if (now !== undefined && now !== this.lastStamp) {
          this.lastStamp = now;
          this.broadcast(sseEvent('change', {}));
        }
        if (this.clients.size > 0) watch();
      });
    };
    beat();
    watch();
  }

  private stopFeeds(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.heartbeat?.cancel();
    this.poll?.cancel();
    this.heartbeat = undefined;
    this.poll = undefined;
  }

  private stamp(): string | undefined {
    try {
      return this.opts.services.status.storeVersion();
    } catch (err) {
      this.opts.logger.debug({ err }, 'store change stamp unavailable');
      return undefined;
    }
  }
}
