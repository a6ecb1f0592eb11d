/**
 * ccxt's unified structures (numbers, symbols like "BTC/USD") to adapter reports (decimal strings,
 * the exchange's own market ids like "btcusd"). ccxt numbers are JS floats parsed from the reply's
 * text; their shortest decimal form is what the exchange sent for ordinary amounts.
 */
import { isoAt } from '../../domain/clock.ts';
import { DomainError } from '../../domain/errors.ts';
import { D } from '../../domain/money.ts';
import type { Side } from '../../domain/order.ts';
import type { BalanceReport, ExchangeOrderState, FeeReport, FillReport, OrderStatusReport } from '../adapter.ts';
import type { CcxtBalanceEntry, CcxtMarket, CcxtOrder, CcxtTrade } from './ccxt-like.ts';

export function decOf(n: number | undefined, fallback = '0'): string {
  return n === undefined || !Number.isFinite(n) ? fallback : new D(n).toFixed();
}

/** Market ids <-> ccxt symbols, built from loadMarkets(). */
export class MarketIndex {
  private readonly byId = new Map<string, CcxtMarket>();
  constructor(private readonly bySymbol: Record<string, CcxtMarket>) {
    // Ids are matched case-insensitively: the metadata cache and list_markets hold them lower case.
    for (const m of Object.values(bySymbol)) if (!this.byId.has(m.id.toLowerCase())) this.byId.set(m.id.toLowerCase(), m);
  }
  /** The ccxt symbol of a market id ("btcusd" -> "BTC/USD"); MARKET_NOT_FOUND otherwise. */
  symbolOf(marketId: string): string {
    const m = this.byId.get(marketId.toLowerCase());
    if (!m) throw new DomainError('MARKET_NOT_FOUND', `market ${marketId} is not listed on this exchange`);
    return m.symbol;
  }
  idOf(symbol: string | undefined): string | undefined {
    return symbol === undefined ? undefined : this.bySymbol[symbol]?.id.toLowerCase();
  }
  quoteOf(symbol: string | undefined): string | undefined {
    return symbol === undefined ? undefined : this.bySymbol[symbol]?.quote;
  }
}

function sideOf(s: string | undefined, fallback: Side = 'buy'): Side {
  return s === 'sell' ? 'sell' : s === 'buy' ? 'buy' : fallback;
}

function atOf(timestamp: number | undefined, datetime: string | undefined, now: string): string {
  if (timestamp !== undefined && Number.isFinite(timestamp)) return isoAt(timestamp);
  if (datetime !== undefined && !Number.isNaN(Date.parse(datetime))) return new Date(datetime).toISOString();
  return now;
}

/** One fill; trades without an id get one derived from what identifies them (stable across calls). */
export function toFillReport(t: CcxtTrade, markets: MarketIndex, now: string, hint: { market?: string; side?: Side; clientOrderId?: string } = {}): FillReport {
  const market = markets.idOf(t.symbol) ?? hint.market ?? '';
  const amount = decOf(t.amount);
  const price = decOf(t.price);
  const at = atOf(t.timestamp, t.datetime, now);
  const orderId = t.order ?? '';
  const f: FillReport = {
    fillId: t.id ?? `${orderId}:${at}:${amount}@${price}`,
    exchangeOrderId: orderId,
    market,
    side: sideOf(t.side, hint.side),
    amount,
    price,
    fee: decOf(t.fee?.cost),
    feeCurrency: (t.fee?.currency ?? markets.quoteOf(t.symbol) ?? '').toUpperCase(),
    liquidity: t.takerOrMaker === 'maker' ? 'maker' : 'taker',
    at,
  };
  if (hint.clientOrderId !== undefined) f.clientOrderId = hint.clientOrderId;
  return f;
}

function stateOf(o: CcxtOrder): ExchangeOrderState {
  switch (o.status) {
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      return o.amount !== undefined && o.filled !== undefined && o.amount > 0 && o.filled >= o.amount ? 'filled' : 'open';
  }
}

/** A decimal string field of the raw reply, if there is one. */
function rawDecimal(info: unknown, field: string | undefined): string | undefined {
  if (field === undefined || typeof info !== 'object' || info === null) return undefined;
  const v = (info as Record<string, unknown>)[field];
  return typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? v : undefined;
}

export function toOrderReport(
  o: CcxtOrder,
  markets: MarketIndex,
  now: string,
  hint: { market?: string; side?: Side; clientOrderId?: string } = {},
  remainingField?: string,
): OrderStatusReport {
  const market = markets.idOf(o.symbol) ?? hint.market ?? '';
  const side = sideOf(o.side, hint.side);
  const clientOrderId = o.clientOrderId ?? hint.clientOrderId;
  const fillHint: { market: string; side: Side; clientOrderId?: string } = { market, side };
  if (clientOrderId !== undefined) fillHint.clientOrderId = clientOrderId;
  const fills = (o.trades ?? []).map((t) => toFillReport({ ...t, order: t.order ?? o.id }, markets, now, fillHint));
  const filledFromTrades = fills.reduce((a, f) => a.plus(f.amount), new D(0));
  const filled = o.filled !== undefined ? decOf(o.filled) : filledFromTrades.toFixed();
  // An amount ccxt could not read: what is filled plus what remains, when it knows those.
  const rawRemaining = rawDecimal(o.info, remainingField);
  const amount =
    rawRemaining !== undefined && !(o.amount !== undefined && o.amount > 0)
      ? new D(filled).plus(rawRemaining).toFixed()
      : o.amount !== undefined
        ? decOf(o.amount)
        : new D(filled).plus(decOf(o.remaining)).toFixed();
  const r: OrderStatusReport = { exchangeOrderId: o.id, market, side, state: stateOf(o), amount, filledAmount: filled, fills, at: atOf(o.timestamp, o.datetime, now) };
  if (clientOrderId !== undefined) r.clientOrderId = clientOrderId;
  if (o.price !== undefined && o.price > 0) r.price = decOf(o.price);
  return r;
}

const NON_CURRENCY_KEYS = new Set(['info', 'free', 'used', 'total', 'timestamp', 'datetime', 'debt']);

/** fetchBalance() -> one report per currency; available = total - reserved exactly. */
export function toBalanceReports(b: Record<string, unknown>): BalanceReport[] {
  const out: BalanceReport[] = [];
  for (const [currency, v] of Object.entries(b)) {
    if (NON_CURRENCY_KEYS.has(currency) || typeof v !== 'object' || v === null) continue;
    const e = v as CcxtBalanceEntry;
    const reserved = new D(decOf(e.used));
    const total = e.total !== undefined ? new D(decOf(e.total)) : new D(decOf(e.free)).plus(reserved);
    out.push({ currency: currency.toUpperCase(), total: total.toFixed(), available: total.minus(reserved).toFixed(), reserved: reserved.toFixed() });
  }
  return out.sort((a, b2) => a.currency.localeCompare(b2.currency));
}

export function toFeeReports(fees: Record<string, { maker?: number | undefined; taker?: number | undefined }>, markets: MarketIndex, percent: boolean): FeeReport[] {
  const out: FeeReport[] = [];
  const scale = (n: number | undefined): string => (percent ? new D(decOf(n)).div(100) : new D(decOf(n))).toFixed();
  for (const [symbol, f] of Object.entries(fees)) {
    const market = markets.idOf(symbol);
    if (market === undefined || f.maker === undefined || f.taker === undefined) continue;
    out.push({ market, maker: scale(f.maker), taker: scale(f.taker) });
  }
  return out;
}
