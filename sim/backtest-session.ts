/**
 * One backtest: replayed market data driving a MatchingEngine on a simulated clock that moves only
 * when asked (step / runUntil / runToEnd). Samples a bounded equity curve on the way and builds
 * the report (balances, fills, fees, pnl, digest). Used by the backtest service (through a
 * SimExchangeAdapter) and directly by the headless CLI.
 */
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { isoAt } from '../src/domain/clock.ts';
import type { Market } from '../src/domain/market.ts';
import type { BalanceReport, FillReport } from '../src/exchanges/adapter.ts';
import { MatchingEngine } from './engine.ts';
import { fillsDigest } from './digest.ts';
import { bookMid, equityByCurrency, formatMoney, valuationFor, type Valuation } from './equity.ts';
import { toObserved } from './liquidity.ts';
import type { MarketData } from './market-data/parse.ts';
import type { EngineOptions } from './types.ts';

export const MAX_EQUITY_POINTS = 500;

export interface SimReport {
  clock: string;
  balances: BalanceReport[];
  fills: FillReport[];
  fees_paid: Record<string, string>;
  /** In the first market's quote: the equity curve's last point minus its first. */
  pnl: { quote_currency: string; value: string };
  /** pnl per valuation currency (sim/equity.ts): a second quote currency is reported, never 0. */
  pnl_by_currency: Record<string, string>;
  equity_curve: { at: string; equity: string }[];
  digest: string;
}

export class BacktestSession {
  readonly engine: MatchingEngine;
  private cursor = 0;
  private readonly valuation: Valuation;
  /** Each market's first mark (first trade, or first book mid): its value until it prints. */
  private readonly firstMark = new Map<string, string>();
  /** Equity at the start per valuation currency, formatted (the curve's first point). */
  private readonly startEquity: Map<string, string>;
  private readonly curve: { at: string; equity: string }[] = [];
  private readonly sampleEvery: number;
  private nextSampleAt: number;
  private readonly mark = (m: string): string | undefined => this.engine.markPrice(m) ?? this.firstMark.get(m);

  constructor(
    readonly data: MarketData,
    engineOptions: Omit<EngineOptions, 'startAt'>,
    initialBalances: Record<string, string>,
  ) {
    this.engine = new MatchingEngine({ ...engineOptions, startAt: data.first });
    const markets: Market[] = data.markets.map((m) => this.engine.rulesOf(this.engine.market(m))); // MARKET_NOT_FOUND early
    this.engine.fund(initialBalances);
    this.valuation = valuationFor(markets);
    for (const e of data.events) {
      if (this.firstMark.has(e.market)) continue;
      const p = e.kind === 'trade' ? e.price : bookMid(toObserved(e));
      if (p !== undefined) this.firstMark.set(e.market, p);
      if (this.firstMark.size === data.markets.length) break;
    }
    this.startEquity = this.formatted(equityByCurrency(this.valuation, this.totals(), (m) => this.firstMark.get(m)));
    this.curve.push({ at: isoAt(data.first), equity: this.startEquity.get(this.valuation.quote)! });
    this.sampleEvery = Math.max(1, Math.ceil((data.last - data.first) / (MAX_EQUITY_POINTS - 1)));
    this.nextSampleAt = data.first + this.sampleEvery;
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
      // Sampled as time is about to move on: the point holds every event of its millisecond.
      if (ev.ts > engine.nowMs && engine.nowMs >= this.nextSampleAt) this.sample(engine.nowMs);
      if (ev.kind === 'trade') engine.onTrade(ev);
      else engine.onBook(ev);
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

  private formatted(eq: Map<string, Dec>): Map<string, string> {
    return new Map([...eq].map(([c, x]) => [c, formatMoney(this.valuation, x, c)]));
  }

  /** Equity now in the first market's quote, at the marks (last trade, or mid on quote data). */
  equity(): Dec {
    return equityByCurrency(this.valuation, this.totals(), this.mark).get(this.valuation.quote)!;
  }

  report(): SimReport {
    const fills = this.engine.fills();
    const nowIso = isoAt(this.engine.now());
    const now = this.formatted(equityByCurrency(this.valuation, this.totals(), this.mark));
    const q = this.valuation.quote;
    // The last point is the final state: a sample taken earlier in the same millisecond is replaced.
    const curve = [...this.curve];
    const final = { at: nowIso, equity: now.get(q)! };
    if (curve.length > 1 && curve[curve.length - 1]!.at === nowIso) curve[curve.length - 1] = final;
    else curve.push(final);
    const byCurrency: Record<string, string> = {};
    for (const c of [...new Set([...this.startEquity.keys(), ...now.keys()])].sort())
      byCurrency[c] = decStr(new D(now.get(c) ?? '0').minus(this.startEquity.get(c) ?? '0'));
    return {
      clock: nowIso,
      balances: this.engine.ledger.report(),
      fills,
      fees_paid: this.engine.ledger.feesPaid(),
      pnl: { quote_currency: q, value: byCurrency[q]! },
      pnl_by_currency: byCurrency,
      equity_curve: curve,
      digest: fillsDigest(fills),
    };
  }
}
