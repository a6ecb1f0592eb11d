/**
 * Pushed order updates through ccxt.pro's watchOrders/watchMyTrades. ccxt resolves a watch per
 * message batch and rejects it when the socket drops; each loop re-watches after a pause, which
 * makes ccxt reconnect. Connection state is read from ccxt's clients: every new "up" is reported
 * as `connected`, on which the runtime reconciles (whatever happened in the gap is lost).
 */
import type { Logger } from '../../observability/logger.ts';
import type { ExchangeEvent } from '../adapter.ts';
import type { CcxtLike, CcxtOrder, CcxtTrade } from './ccxt-like.ts';

export interface WatchStreamOptions {
  ex: CcxtLike;
  account: string;
  logger: Logger;
  /** ccxt symbols to watch one by one, or [undefined] for all markets in one subscription. */
  targets: () => Array<string | undefined>;
  onOrder: (o: CcxtOrder) => void;
  onTrade: (t: CcxtTrade) => void;
  emit: (e: ExchangeEvent) => void;
  monitorIntervalMs?: number;
  retryMs?: number;
  /** Removes credentials from ccxt's messages before they are logged. */
  redact?: (s: string) => string;
}

export class CcxtWatchStream {
  private running = false;
  private up = false;
  private monitor: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: WatchStreamOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { ex } = this.o;
    for (const symbol of this.o.targets()) {
      if (ex.watchOrders) void this.loop('orders', () => ex.watchOrders?.(symbol) ?? Promise.resolve([]), (os) => os.forEach((x) => this.o.onOrder(x)));
      if (ex.watchMyTrades) void this.loop('trades', () => ex.watchMyTrades?.(symbol) ?? Promise.resolve([]), (ts) => ts.forEach((x) => this.o.onTrade(x)));
    }
    this.monitor = setInterval(() => this.checkConnection(), this.o.monitorIntervalMs ?? 100);
    this.monitor.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    if (this.up) this.o.emit({ type: 'disconnected', reason: 'closed' });
    this.up = false;
    await this.o.ex.close?.();
  }

  private checkConnection(): void {
    const up = Object.values(this.o.ex.clients ?? {}).some((c) => c.isConnected === true);
    if (up === this.up) return;
    this.up = up;
    this.o.emit(up ? { type: 'connected' } : { type: 'disconnected', reason: 'websocket closed' });
  }

  private async loop<T>(what: string, watch: () => Promise<T[]>, handle: (items: T[]) => void): Promise<void> {
    while (this.running) {
      try {
        handle(await watch());
      } catch (e) {
        if (!this.running) return;
        const msg = (this.o.redact ?? ((x: string) => x))(e instanceof Error ? e.message : String(e)).slice(0, 200);
        this.o.logger.warn({ account: this.o.account, stream: what, err: msg }, 'ccxt watch failed; retrying');
        this.checkConnection();
        await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1_000).unref());
      }
    }
  }
}
