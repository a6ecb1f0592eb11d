/**
 * The exchange adapter of live paper accounts: the deterministic simulator (sim/) on the wall clock,
 * fed by a PriceSource. Every observed price is treated as a trade print of unlimited size at that
 * instant: resting orders it crosses fill at their limit price; arriving orders take at that price
 * (market orders with slippage). The exchange state persists in paper_state/paper_orders/paper_fills
 * in its own transactions, written before a command resolves, so it survives a SIGKILL. Each
 * mutation writes only what it touched (paper-store.ts): its cost does not grow with open orders.
 */
import type { Db } from '../db/connection.ts';
import type { Clock, Random } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { Market } from '../domain/market.ts';
import type { FillReport, OrderAck, OrderLocator, OrderStatusReport, PlaceOrderCommand } from './adapter.ts';
import { MatchingEngine } from '../../sim/engine.ts';
import { serializeSimOrder, snapshotEngineWithoutOrders } from '../../sim/engine-state.ts';
import { SimExchangeAdapter, type Defer } from '../../sim/sim-adapter.ts';
import { priceKey } from '../../sim/price.ts';
import type { EngineOptions, FeeSchedule, SimEvent } from '../../sim/types.ts';
import { PaperStore, type OpenOrderRecord } from './paper-store.ts';
import { paperSimulationOptions, type PaperSimulation } from '../domain/paper-simulation.ts';
import type { PriceSource } from './paper-price.ts';

export interface PaperScheduler {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

interface WarnLogger {
  warn(obj: object, msg?: string): void;
}

export interface PaperAdapterDeps {
  db: Db;
  /** "paper:<exchange_account_id>": the key of this exchange's state. */
  accountRef: string;
  clock: Clock;
  /** Seeds the simulator's PRNG the first time this account's exchange is created. */
  random?: Random;
  priceSource: PriceSource;
  getMarket: (market: string) => Market;
  /** Markets getFees reports (default: the markets this account has seen). */
  listMarkets?: () => string[];
  fees?: FeeSchedule;
  latencyMs?: number;
  slippageBps?: number;
  /** Price polling while orders are open; 0 = only on demand (tick()). Default 5000 ms. */
  pollIntervalMs?: number;
  /** Start polling on the first placeOrder even if start() was never called. Default true. */
  autoStart?: boolean;
  scheduler?: PaperScheduler;
  defer?: Defer;
  logger?: WarnLogger;
}

export class PaperExchangeAdapter extends SimExchangeAdapter {
  private readonly store: PaperStore;
  private engineOptions: EngineOptions;
  private timer: unknown;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: PaperAdapterDeps) {
    const store = new PaperStore(deps.db, deps.accountRef);
    const engineOptions: EngineOptions = {
      getMarket: deps.getMarket,
      fees: deps.fees ?? { maker: '0.003', taker: '0.004' },
      latencyMs: deps.latencyMs ?? 0,
      slippageBps: deps.slippageBps ?? 5,
      startAt: deps.clock.now(),
      seed: Math.floor((deps.random ?? (() => 0.5))() * 2 ** 32),
    };
    const saved = store.loadWithLayout();
    Object.assign(engineOptions, paperSimulationOptions(saved?.simulation));
    super(new MatchingEngine(engineOptions, saved?.state), deps.defer);
    this.store = store;
    this.store.simulation = saved?.simulation;
    this.engineOptions = engineOptions;
    if (!saved) {
      store.reset();
      this.persist([]);
    } else if (!saved.rowsLayout) this.persist([], true); // rewrite an old single-JSON state as rows
  }

  /**
   * Sets the fill-model settings (participation, queue model) of this account's simulator, e.g.
   * those of a new paper account; they stay with its state. Persisted at once.
   */
  configure(simulation: PaperSimulation): void {
    const { participation: _p, queue: _q, queueTouchFraction: _f, ...rest } = this.engineOptions;
    const options: EngineOptions = { ...rest, ...paperSimulationOptions(simulation) };
    this.engine = new MatchingEngine(options, this.engine.toState(false)); // throws on bad settings: nothing changed
    this.engineOptions = options;
    this.store.simulation = simulation;
    this.persist([]);
  }

  /** Sets balances, e.g. the initial balances of a new paper account. Persisted at once. */
  fund(balances: Record<string, string>): void {
    this.engine.advanceTo(this.deps.clock.now());
    this.engine.fund(balances);
    this.persist([]);
  }

  /** Fetches the price of `market` (default: every market with open orders) and matches on it. */
  async tick(market?: string): Promise<void> {
    const markets = market !== undefined ? [market] : [...new Set([...this.engine.open.values()].map((o) => o.market))].sort();
    for (const m of markets) {
      const price = await this.deps.priceSource.price(m);
      const ts = Math.max(this.deps.clock.now(), this.engine.now());
      this.engine.onTrade({ kind: 'trade', ts, market: m, price, key: priceKey(price), amount: null, side: 'buy' });
    }
    this.engine.advanceTo(this.deps.clock.now());
    this.publish();
  }

  protected override async sync(market?: string, needPrice?: boolean): Promise<void> {
    if (market !== undefined) {
      try {
        await this.tick(market);
      } catch (e) {
        const hasPrice = this.engine.lastPrice(market) !== undefined;
        this.deps.logger?.warn({ market, err: e instanceof Error ? e.message : String(e) }, 'paper price source failed');
        if (needPrice && !hasPrice) throw e instanceof DomainError ? e : new DomainError('EXCHANGE_UNAVAILABLE', `no price for ${market}`);
      }
    }
    this.engine.advanceTo(this.deps.clock.now());
  }

  protected override commit(events: SimEvent[]): void {
    this.persist(events);
  }

  /** Saves what `events` touched (every open order with `allOpen`), in one transaction. */
  private persist(events: SimEvent[], allOpen = false): void {
    const fills: FillReport[] = [];
    const touched = new Map<string, OrderStatusReport | undefined>();
    for (const e of events) {
      if (e.type === 'fill') {
        fills.push(e.fill);
        if (!touched.has(e.fill.exchangeOrderId)) touched.set(e.fill.exchangeOrderId, undefined);
      } else touched.set(e.report.exchangeOrderId, e.report);
    }
    if (allOpen) for (const o of this.engine.open.values()) if (!touched.has(o.id)) touched.set(o.id, undefined);
    const open: OpenOrderRecord[] = [];
    const closed: OrderStatusReport[] = [];
    for (const [id, last] of touched) {
      const o = this.engine.orders.get(id);
      if (o?.state === 'open') open.push({ report: this.engine.report(o), engine: serializeSimOrder(o, o.onBook ? (o.restSeq ?? -1) : -1) });
      else if (o) closed.push(this.engine.report(o));
      else if (last !== undefined && last.state !== 'open') closed.push(last);
    }
    try {
      this.store.commit(snapshotEngineWithoutOrders(this.engine), { fills, open, closed }, isoAt(this.deps.clock.now()));
    } catch (e) {
      // Not persisted = did not happen: go back to the last persisted state.
      this.engine = new MatchingEngine(this.engineOptions, this.store.load());
      throw new DomainError('EXCHANGE_UNAVAILABLE', `paper exchange could not save its state (${e instanceof Error ? e.message.slice(0, 80) : 'error'})`);
    }
    // Closed orders and the fill log are in SQLite now; the scan is skipped when nothing closed or filled.
    if (closed.length > 0 || fills.length > 0) this.engine.forgetClosed();
  }

  override async placeOrder(cmd: PlaceOrderCommand): Promise<OrderAck> {
    if (this.deps.autoStart ?? true) await this.start();
    return super.placeOrder(cmd);
  }

  override async queryOrder(locator: OrderLocator): Promise<OrderStatusReport | null> {
    return (await super.queryOrder(locator)) ?? this.store.findOrder(locator);
  }

  override async listFills(since?: string): Promise<FillReport[]> {
    return this.store.fills(since);
  }

  protected override feeMarkets(): string[] {
    return this.deps.listMarkets ? this.deps.listMarkets() : super.feeMarkets();
  }

  override async start(): Promise<void> {
    const every = this.deps.pollIntervalMs ?? 5000;
    if (this.timer !== undefined || every <= 0 || this.closed) return;
    const scheduler = this.deps.scheduler ?? { setInterval: (fn, ms) => setInterval(fn, ms).unref(), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };
    this.timer = scheduler.setInterval(() => void this.pollOnce(), every);
  }

  /** One poll (the timer's job): skipped while the previous one runs; failures are logged, not thrown. */
  async pollOnce(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = this.tick()
      .catch((e: unknown) => this.deps.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'paper price poll failed'))
      .finally(() => {
        this.ticking = undefined;
      });
    await this.ticking;
  }

  override async close(): Promise<void> {
    if (this.timer !== undefined) (this.deps.scheduler ?? { clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout) }).clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await super.close();
  }
}
