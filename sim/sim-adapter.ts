/**
 * The simulator behind the ExchangeAdapter interface. Commands run synchronously on the engine;
 * the engine's events are delivered to subscribers asynchronously, after the command's promise has
 * resolved (like a real exchange whose stream lags its REST answers). Subclasses hook in:
 * `sync` brings the engine up to date before a command (paper: wall clock and price),
 * `commit` persists a mutation before anyone learns about it (paper: SQLite).
 */
import type {
  BalanceReport,
  CancelPending,
  ExchangeAdapter,
  ExchangeEvent,
  ExchangeListener,
  FeeReport,
  FillReport,
  OrderAck,
  OrderLocator,
  OrderStatusReport,
  PlaceOrderCommand,
} from '../src/exchanges/adapter.ts';
import { DomainError, type Problem } from '../src/domain/errors.ts';
import type { MatchingEngine } from './engine.ts';
import type { SimEvent } from './types.ts';

export type Defer = (fn: () => void) => void;

export class SimExchangeAdapter implements ExchangeAdapter {
  readonly exchange: string = 'paper';
  private readonly listeners = new Set<ExchangeListener>();
  private pending: ExchangeEvent[] = [];
  private scheduled = false;
  protected closed = false;

  constructor(
    /** Replaced only when a paper exchange rolls back to its last persisted state. */
    public engine: MatchingEngine,
    private readonly defer: Defer = (fn) => setImmediate(fn),
  ) {}

  /** Brings the engine up to date before a command (no-op for backtests: their clock moves on request). */
  protected async sync(_market?: string, _needPrice?: boolean): Promise<void> {}

  /** Persists the events of one mutation (no-op for backtests). Runs before the command resolves. */
  protected commit(_events: SimEvent[]): void {}

  /** Hands the engine's new events to commit() and queues them for subscribers. */
  publish(): void {
    const events = this.engine.drainEvents();
    if (events.length === 0) return;
    this.commit(events);
    for (const e of events) this.pending.push(e.type === 'fill' ? { type: 'fill', fill: e.fill } : { type: 'order_update', report: e.report });
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(() => this.deliver());
    }
  }

  /** Delivers queued events now (backtests call it before waiting for the runtime to go idle). */
  async flush(): Promise<void> {
    this.deliver();
  }

  private deliver(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const e of batch)
      for (const l of this.listeners) {
        try {
          l(e);
        } catch {
          // a listener's failure must not stop the exchange; the runtime reconciles anyway
        }
      }
  }

  private ensureOpen(): void {
    if (this.closed) throw new DomainError('EXCHANGE_UNAVAILABLE', 'the paper exchange adapter is closed');
  }

  async placeOrder(cmd: PlaceOrderCommand): Promise<OrderAck> {
    this.ensureOpen();
    await this.sync(cmd.market, cmd.type !== 'limit');
    const ack = this.engine.place(cmd);
    this.publish();
    return ack;
  }

  /**
   * What the venue would refuse of `cmd`, placing nothing (preview_order asks this): brought up to
   * date exactly as placeOrder does first, so a market order without any price is refused the same way.
   */
  async checkOrder(cmd: PlaceOrderCommand): Promise<Problem[]> {
    this.ensureOpen();
    try {
      await this.sync(cmd.market, cmd.type !== 'limit');
    } catch (e) {
      if (e instanceof DomainError) return [{ code: e.code, message: e.message }];
      throw e;
    }
    this.publish();
    return this.engine.check(cmd);
  }

  async cancelOrder(locator: OrderLocator): Promise<void | CancelPending> {
    this.ensureOpen();
    await this.sync();
    this.engine.cancel(locator);
    this.publish();
    if (this.engine.cancelPending(locator)) return { pending: true };
  }

  async cancelAllOrders(market?: string): Promise<string[]> {
    this.ensureOpen();
    await this.sync();
    const ids = this.engine.cancelAll(market);
    this.publish();
    return ids;
  }

  async queryOrder(locator: OrderLocator): Promise<OrderStatusReport | null> {
    await this.sync();
    this.publish();
    return this.engine.query(locator);
  }

  async listOpenOrders(market?: string): Promise<OrderStatusReport[]> {
    await this.sync();
    this.publish();
    return this.engine.openOrders(market);
  }

  async listFills(since?: string): Promise<FillReport[]> {
    return this.engine.fills(since);
  }

  async getBalances(): Promise<BalanceReport[]> {
    await this.sync();
    this.publish();
    return this.engine.ledger.report();
  }

  async getFees(): Promise<FeeReport[]> {
    return this.feeMarkets().map((market) => {
      const r = this.engine.ratesOf(this.engine.market(market));
      return { market, maker: r.maker.toFixed(), taker: r.taker.toFixed() };
    });
  }

  /** Markets whose fees getFees reports: those the engine has seen. */
  protected feeMarkets(): string[] {
    return [...this.engine.markets.keys()].sort();
  }

  subscribe(listener: ExchangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.deliver();
  }
}
