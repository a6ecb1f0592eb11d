/**
 * The dashboard's portfolio view of one account: its value in one quote currency over time (each
 * balance snapshot valued at the account's prices of that time) and its PnL, which is get_positions
 * (services/positions.ts) summed over the positions in that quote, so it shows MCP's numbers.
 * exec-mcp keeps no price history: a past snapshot is valued at the last price the account
 * traded the market at, at or before it, else at the current mark; the "now" point at the marks.
 */
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock } from '../domain/clock.ts';
import { D, decStr, type Dec } from '../domain/money.ts';
import type { BalancesService, BalanceView, PortfolioPoint, PortfolioResult, PortfolioService, PositionsService, PositionView } from './ports.ts';

/** Quote currencies in the order a "main" one is picked when positions do not decide. */
const PREFERRED_QUOTES = ['USD', 'EUR', 'GBP', 'USDC', 'USDT', 'BTC'];
const OUT_DECIMALS = 8;
export const PORTFOLIO_HISTORY_LIMIT = 500;

export interface PortfolioDeps {
  db: Db;
  clock: Clock;
  directory: AccountDirectory;
  balances: Pick<BalancesService, 'get' | 'history' | 'latestForAll'>;
  positions: PositionsService;
  marketOf: (record: AccountRecord, market: string) => { base: string; quote: string } | undefined;
  /** Current mark price of a market for the account, or undefined. Must not throw. */
  markPrice: (record: AccountRecord, market: string) => Promise<string | undefined>;
}

/** How a currency converts into the quote: through `market`, inverted when the quote is its base. */
interface Conversion {
  market: string;
  inverse: boolean;
  /** Trade prices of the account in that market, oldest first. */
  trades: { at: string; price: Dec }[];
  mark: Dec | undefined;
}

const out = (v: Dec): string => decStr(v.toDecimalPlaces(OUT_DECIMALS, D.ROUND_HALF_EVEN));

/** The quote most of the positions use, else the first preferred currency held, else USD. */
export function mainQuote(positions: PositionView[], held: string[]): string {
  const count = new Map<string, number>();
  for (const p of positions) if (p.quote_currency !== '') count.set(p.quote_currency, (count.get(p.quote_currency) ?? 0) + 1);
  const ranked = [...count].sort((a, b) => b[1] - a[1] || PREFERRED_QUOTES.indexOf(a[0]) - PREFERRED_QUOTES.indexOf(b[0]));
  if (ranked[0]) return ranked[0][0];
  return PREFERRED_QUOTES.find((q) => held.includes(q)) ?? 'USD';
}

export class PortfolioServiceImpl implements PortfolioService {
  constructor(private readonly deps: PortfolioDeps) {}

  async get(account: string, opts: { quote?: string; limit?: number } = {}): Promise<PortfolioResult> {
    const record = this.deps.directory.resolve(account);
    const { positions, as_of } = await this.deps.positions.get(record.ref);
    const { snapshots } = this.deps.balances.history(record.ref, { limit: opts.limit ?? PORTFOLIO_HISTORY_LIMIT });
    // Now: a paper venue is asked (in this process); a live account's stored latest, never an exchange call per page.
    const now =
      record.account.exchange === 'paper'
        ? await this.deps.balances.get(record.ref, false).catch(() => undefined)
        : this.deps.balances.latestForAll().get(record.ref);
    const series: { at: string; balances: BalanceView[] }[] = [...snapshots];
    const nowAt = now?.as_of ?? isoAt(this.deps.clock.now());
    let nowIndex = -1; // the point valued at the marks
    if (now) {
      const lastAt = series[series.length - 1]?.at;
      if (lastAt === undefined || nowAt > lastAt) nowIndex = series.push({ at: nowAt, balances: now.balances }) - 1;
      else if (nowAt === lastAt) nowIndex = series.length - 1;
    }

    const held = [...new Set(series.flatMap((s) => s.balances.filter((b) => !new D(b.total).isZero()).map((b) => b.currency.toUpperCase())))];
    const quote = opts.quote?.toUpperCase() ?? mainQuote(positions, held);
    const choices = [...new Set([...positions.map((p) => p.quote_currency), ...PREFERRED_QUOTES.filter((q) => held.includes(q))])].filter((q) => q !== '' && q !== quote);

    const conversions = new Map<string, Conversion | undefined>();
    for (const c of held) if (c !== quote) conversions.set(c, await this.conversion(record, c, quote));
    const unvalued = new Set<string>();
    const points: PortfolioPoint[] = [];
    for (const [i, s] of series.entries()) {
      let total = new D(0);
      for (const b of s.balances) {
        const cur = b.currency.toUpperCase();
        const amount = new D(b.total);
        if (amount.isZero()) continue;
        if (cur === quote) {
          total = total.plus(amount);
          continue;
        }
        const price = priceAt(conversions.get(cur), i === nowIndex ? undefined : s.at);
        if (price === undefined) unvalued.add(cur);
        else total = total.plus(amount.times(price));
      }
      points.push({ at: s.at, value: out(total) });
    }

    const inQuote = positions.filter((p) => p.quote_currency === quote);
    const sum = (f: (p: PositionView) => string): Dec => inQuote.reduce((acc, p) => acc.plus(f(p)), new D(0));
    const unrealizedKnown = inQuote.every((p) => p.unrealized_pnl !== null);
    return {
      account: record.account.name,
      as_of,
      quote_currency: quote,
      quote_choices: choices,
      points,
      value_now: nowIndex >= 0 ? (points[nowIndex]?.value ?? null) : null,
      unvalued: [...unvalued].sort(),
      realized_pnl: out(sum((p) => p.realized_pnl)),
      unrealized_pnl: unrealizedKnown ? out(sum((p) => p.unrealized_pnl ?? '0')) : null,
      fees_paid: out(sum((p) => p.fees_paid)),
      positions,
    };
  }

  private async conversion(record: AccountRecord, currency: string, quote: string): Promise<Conversion | undefined> {
    for (const [market, inverse] of [[`${currency}${quote}`.toLowerCase(), false], [`${quote}${currency}`.toLowerCase(), true]] as const) {
      const m = this.deps.marketOf(record, market);
      if (!m || m.base.toUpperCase() !== (inverse ? quote : currency) || m.quote.toUpperCase() !== (inverse ? currency : quote)) continue;
      const rows = this.deps.db.prepare('SELECT at, price FROM fills WHERE account_id = ? AND market = ? ORDER BY at, id').all(record.key, market) as { at: string; price: string }[];
      const mark = await this.deps.markPrice(record, market).catch(() => undefined);
      return { market, inverse, trades: rows.map((r) => ({ at: r.at, price: new D(r.price) })), mark: mark !== undefined ? new D(mark) : undefined };
    }
    return undefined;
  }
}

/** Price of one unit of the currency in the quote at `at` (undefined `at`: now, the mark first). */
function priceAt(c: Conversion | undefined, at: string | undefined): Dec | undefined {
  if (!c) return undefined;
  let p: Dec | undefined;
  if (at === undefined) p = c.mark ?? c.trades[c.trades.length - 1]?.price;
  else {
    for (const t of c.trades) {
      if (t.at > at) break;
      p = t.price;
    }
    p ??= c.mark;
  }
  if (p === undefined || p.isZero()) return undefined;
  return c.inverse ? new D(1).div(p) : p;
}
