/**
 * get_positions: per market traded, the position the account's recorded fills add up to (average
 * cost, realized PnL net of quote fees; rules in domain/positions.ts) and its unrealized PnL at the
 * account's mark: the paper/backtest venue's price, or for a live account the configured price
 * source (null when there is none or it fails).
 */
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock } from '../domain/clock.ts';
import { D, decStr, type Dec } from '../domain/money.ts';
import { positionsFromFills, unrealizedPnl, type PositionFill, type PositionState } from '../domain/positions.ts';
import type { PositionsResult, PositionsService, PositionView } from './ports.ts';

export interface PositionsDeps {
  db: Db;
  clock: Clock;
  directory: AccountDirectory;
  /** Base and quote of a market on the account's exchange; undefined if unknown. */
  marketOf: (record: AccountRecord, market: string) => { base: string; quote: string } | undefined;
  /** The account's mark price of a market, or undefined when there is none. Must not throw. */
  markPrice: (record: AccountRecord, market: string) => Promise<string | undefined>;
  /** The account's own clock (a backtest's simulated time), else the service clock. */
  nowFor?: (record: AccountRecord) => number | undefined;
}

/** Output precision: more fraction digits than any market has, few enough for DECIMAL_RE. */
const OUT_DECIMALS = 18;

function out(v: Dec): string {
  return decStr(v.toDecimalPlaces(OUT_DECIMALS, D.ROUND_HALF_EVEN));
}

export class PositionsServiceImpl implements PositionsService {
  constructor(private readonly deps: PositionsDeps) {}

  async get(account: string): Promise<PositionsResult> {
    const record = this.deps.directory.resolve(account);
    const fills = this.deps.db
      .prepare('SELECT market, side, amount, price, fee, fee_currency FROM fills WHERE account_id = ? ORDER BY at, id')
      .all(record.key) as PositionFill[];
    const states = positionsFromFills(fills, (m) => this.deps.marketOf(record, m) ?? { base: m.toUpperCase(), quote: '' });
    const asOf = isoAt(this.deps.nowFor?.(record) ?? this.deps.clock.now());
    const positions = await Promise.all(states.map((s) => this.view(record, s)));
    positions.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
    return { account: record.account.name, as_of: asOf, positions };
  }

  private async view(record: AccountRecord, s: PositionState): Promise<PositionView> {
    const flat = s.amount.isZero();
    const mark = flat ? undefined : await this.deps.markPrice(record, s.market).catch(() => undefined);
    const unrealized = flat ? '0' : mark !== undefined ? out(unrealizedPnl(s, new D(mark))) : null;
    return {
      currency: s.base,
      quote_currency: s.quote,
      market: s.market,
      amount: out(s.amount),
      average_cost: flat ? null : out(s.averageCost),
      realized_pnl: out(s.realized),
      unrealized_pnl: unrealized,
      mark_price: mark ?? null,
      fees_paid: out(s.quoteFees),
      ...(s.otherFees.size > 0 ? { other_fees: [...s.otherFees].map(([currency, amount]) => ({ currency, amount: out(amount) })) } : {}),
    };
  }
}
