/**
 * One backtest: replayed market data driving a MatchingEngine on a simulated clock that moves only
 * when asked (step / runUntil / runToEnd). Samples a bounded equity curve on the way and builds
 * the report (balances, fills, fees, pnl, digest). Used by the backtest service (through a
 * SimExchangeAdapter) and directly by the headless CLI.
 */
import { D, type Dec } from '../src/domain/money.ts';
import { isoAt } from '../src/domain/clock.ts';
import type { Market } from '../src/domain/market.ts';
import type { BalanceReport, FillReport } from '../src/exchanges/adapter.ts';
import { MatchingEngine } from './engine.ts';
import { fillsDigest } from './digest.ts';
import { equityOf, formatMoney, valuationFor, type Valuation } from './equity.ts';
import type { MarketData } from './market-data/parse.ts';
import type { EngineOptions } from './types.ts';

export const MAX_EQUITY_POINTS = 500;

export interface SimReport {
  clock: string;
  balances: BalanceReport[];
  fills: FillReport[];
  fees_paid: Record<string, string>;
  pnl: { quote_currency: string; value: string };
  equity_curve: { at: string; equity: string }[];
  digest: string;
}

export class BacktestSession {
  readonly engine: MatchingEngine;
  private cursor = 0;
  private readonly valuation: Valuation;
  private readonly startEquity: Dec;
  private readonly curve: { at: string; equity: string }[] = [];
  private readonly sampleEvery: number;
  private nextSampleAt: number;

  constructor(
    readonly data: MarketData,
    engineOptions: Omit<EngineOptions, 'startAt'>,
    initialBalances: Record<string, string>,
  ) {
    this.engine = new MatchingEngine({ ...engineOptions, startAt: data.first });
    const markets: Market[] = data.markets.map((m) => this.engine.rulesOf(this.engine.market(m))); // MARKET_NOT_FOUND early
    this.engine.fund(initialBalances);
    this.valuation = valuationFor(markets);
    const firstPrice = new Map<string, string>();
    for (const e of data.events) {
      if (e.kind === 'trade' && !firstPrice.has(e.market)) firstPrice.set(e.market, e.price);
      if (firstPrice.size === data.markets.length) break;
    }
    this.startEquity = equityOf(this.valuation, this.totals(), (m) => firstPrice.get(m));
    this.sampleEvery = Math.max(1, Math.ceil((data.last - data.first) / (MAX_EQUITY_POINTS - 1)));
    this.nextSampleAt = data.first;
  }

  get done(): boolean {
    return this.cursor >= this.data.events.length;
  }

  get eventsProcessed(): number {
    return this.cursor;
  }

  clock(): number {
    return this.engine.now();
  }

  /** Processes the next `n` events. Returns how many were processed. */
  step(n: number): number {
    return this.run(Math.min(this.data.events.length, this.cursor + n), Infinity);
  }

  /** Processes every event at or before `until`, then moves the clock to `until`. */
  runUntil(until: number): number {
    const n = this.run(this.data.events.length, until);
    this.engine.advanceTo(until);
    return n;
  }

  runToEnd(): number {
    return this.run(this.data.events.length, Infinity);
  }

  private run(end: number, until: number): number {
    const events = this.data.events;
    const engine = this.engine;
    const start = this.cursor;
    let i = start;
    for (; i < end; i++) {
      const ev = events[i]!;
      if (ev.ts > until) break;
      if (ev.kind === 'trade') engine.onTrade(ev);
      else engine.onBook(ev);
      if (ev.ts >= this.nextSampleAt) this.sample(ev.ts);
    }
    this.cursor = i;
    return i - start;
  }

  private sample(ts: number): void {
    this.curve.push({ at: isoAt(ts), equity: formatMoney(this.valuation, this.equity()) });
    while (this.nextSampleAt <= ts) this.nextSampleAt += this.sampleEvery;
  }

  private *totals(): Generator<[string, Dec]> {
    for (const b of this.engine.ledger.report()) yield [b.currency, new D(b.total)];
  }

  equity(): Dec {
    return equityOf(this.valuation, this.totals(), (m) => this.engine.lastPrice(m));
  }

  report(): SimReport {
    const fills = this.engine.fills();
    const now = this.engine.now();
    const curve = [...this.curve];
    const last = curve[curve.length - 1];
    const nowIso = isoAt(now);
    const equityNow = this.equity();
    if (!last || last.at !== nowIso) curve.push({ at: nowIso, equity: formatMoney(this.valuation, equityNow) });
    return {
      clock: nowIso,
      balances: this.engine.ledger.report(),
      fills,
      fees_paid: this.engine.ledger.feesPaid(),
      pnl: { quote_currency: this.valuation.quote, value: formatMoney(this.valuation, equityNow.minus(this.startEquity)) },
      equity_curve: curve,
      digest: fillsDigest(fills),
    };
  }
}
