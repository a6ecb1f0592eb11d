/**
 * How much the backtests of one process may keep in memory. A backtest holds its whole market data
 * and simulator until the process ends, and nothing in the contract ends one: without a bound, a
 * client creating backtest after backtest would grow the server that also carries live orders
 * until it runs out of memory. Beyond the limits the least recently used backtests end (their
 * accounts then behave as after a restart); the newest one always stays, and it fits: a backtest
 * holding more than maxEvents alone is refused while its data is read (BacktestsServiceImpl).
 */
export interface BacktestRetentionLimits {
  /** Live backtests at most. */
  maxSessions: number;
  /** Market-data events (trades, candles or quotes) held by all live backtests together at most. */
  maxEvents: number;
}

export const DEFAULT_BACKTEST_RETENTION: BacktestRetentionLimits = { maxSessions: 20, maxEvents: 5_000_000 };

export class BacktestRetention {
  /** Backtest id -> events it holds; Map order is use order, least recently used first. */
  private readonly live = new Map<string, number>();
  private events = 0;

  constructor(readonly limits: BacktestRetentionLimits = DEFAULT_BACKTEST_RETENTION) {}

  add(id: string, events: number): void {
    this.remove(id);
    this.live.set(id, events);
    this.events += events;
  }

  /** Marks a backtest as just used. */
  touch(id: string): void {
    const events = this.live.get(id);
    if (events === undefined) return;
    this.live.delete(id);
    this.live.set(id, events);
  }

  remove(id: string): void {
    const events = this.live.get(id);
    if (events === undefined) return;
    this.live.delete(id);
    this.events -= events;
  }

  /** The backtests to end, least recently used first, so that the rest fit the limits; never `keep`. */
  beyondLimits(keep: string): string[] {
    const out: string[] = [];
    let sessions = this.live.size;
    let events = this.events;
    for (const [id, held] of this.live) {
      if (sessions <= this.limits.maxSessions && events <= this.limits.maxEvents) break;
      if (id === keep) continue;
      out.push(id);
      sessions -= 1;
      events -= held;
    }
    return out;
  }
}
