/**
 * Order updates by polling, for exchanges whose ccxt class cannot watch orders and trades.
 * Each round lists open orders, queries those that left the list, and fetches fills since the last
 * round. The first good round after start or after failures is reported as `connected`, on which
 * the runtime reconciles, exactly as after a WebSocket reconnect.
 */
import type { Clock } from '../../domain/clock.ts';
import { isoAt } from '../../domain/clock.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ExchangeEvent, FillReport, OrderStatusReport } from '../adapter.ts';

export interface PollStreamOptions {
  account: string;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  openOrders: () => Promise<OrderStatusReport[]>;
  queryOrder: (exchangeOrderId: string, market: string) => Promise<OrderStatusReport | null>;
  fillsSince: (since: string) => Promise<FillReport[]>;
  emit: (e: ExchangeEvent) => void;
}

/** Fills are fetched from a little before the last one seen: exchanges publish them late. */
const FILL_OVERLAP_MS = 60_000;
const MAX_SEEN = 10_000;

export class CcxtPollStream {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private up = false;
  private open = new Map<string, string>(); // exchange order id -> signature of the last report sent
  private seenFills = new Set<string>();
  private sinceMs = 0;
  private lastMarkets = new Map<string, string>(); // exchange order id -> market, for the query after it left

  constructor(private readonly o: PollStreamOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sinceMs = this.o.clock.now() - FILL_OVERLAP_MS;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.up) this.o.emit({ type: 'disconnected', reason: 'closed' });
    this.up = false;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.round().finally(() => this.schedule(this.o.intervalMs)), ms);
    this.timer.unref();
  }

  /** One polling round; public for tests that step it by hand. */
  async round(): Promise<void> {
    try {
      const reports = await this.o.openOrders();
      const fills = await this.o.fillsSince(isoAt(this.sinceMs));
      const now = new Map<string, string>();
      const changed: OrderStatusReport[] = [];
      for (const r of reports) {
        const sig = `${r.state}|${r.filledAmount}`;
        now.set(r.exchangeOrderId, sig);
        if (this.open.get(r.exchangeOrderId) !== sig) changed.push(r);
      }
      const gone = [...this.open.keys()].filter((id) => !now.has(id));
      const left = this.marketsOf(gone);
      if (!this.up) {
        this.up = true;
        this.o.emit({ type: 'connected' });
      }
      for (const f of fills) this.fill(f);
      for (const r of changed) this.o.emit({ type: 'order_update', report: r });
      for (const [id, market] of left) {
        const r = await this.o.queryOrder(id, market);
        if (r) this.o.emit({ type: 'order_update', report: r });
      }
      this.open = now;
      this.lastMarkets = new Map([...this.lastMarkets].filter(([id]) => now.has(id)));
      for (const r of reports) this.lastMarkets.set(r.exchangeOrderId, r.market);
    } catch (e) {
      this.o.logger.warn({ account: this.o.account, err: e instanceof Error ? e.message.slice(0, 200) : String(e) }, 'ccxt poll failed');
      if (this.up) this.o.emit({ type: 'disconnected', reason: 'polling failed' });
      this.up = false;
    }
  }

  private marketsOf(ids: string[]): Array<[string, string]> {
    return ids.map((id) => [id, this.lastMarkets.get(id) ?? '']);
  }

  private fill(f: FillReport): void {
    if (this.seenFills.has(f.fillId)) return;
    if (this.seenFills.size >= MAX_SEEN) this.seenFills.clear();
    this.seenFills.add(f.fillId);
    const at = Date.parse(f.at);
    if (!Number.isNaN(at)) this.sinceMs = Math.max(this.sinceMs, at - FILL_OVERLAP_MS);
    this.o.emit({ type: 'fill', fill: f });
  }
}
