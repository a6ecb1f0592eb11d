/**
 * zod schemas of Bitstamp's private REST replies (BITSTAMP.md §3) and their mapping to adapter types.
 * Exchange replies are untrusted input: anything off-shape throws EXCHANGE_UNAVAILABLE (reads) or
 * OUTCOME_UNKNOWN (writes) with the offending field named, never a TypeError.
 */
import { z } from 'zod';
import { D, decStr } from '../../domain/money.ts';
import type { Liquidity, Side } from '../../domain/order.ts';
import type { BalanceReport, ExchangeOrderState, FeeReport, FillReport, OrderStatusReport } from '../adapter.ts';
import { noAnswerError, type CallKind } from './errors.ts';

/** A decimal that Bitstamp may send as a string or a JSON number; normalized to a canonical string. */
export const bsDecimal = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const s = typeof v === 'number' ? String(v) : v.trim();
    if (!/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(s)) {
      ctx.addIssue({ code: 'custom', message: `not a decimal: ${JSON.stringify(v).slice(0, 40)}` });
      return z.NEVER;
    }
    return decStr(new D(s));
  });
/**
 * An id, string or number (Bitstamp sends both). Replies are parsed with parseJsonLossless, so ids
 * beyond 2^53 arrive as strings; a number that is no longer exact is refused rather than rounded
 * (two fills must never collapse into one id).
 */
export const bsId = z
  .union([z.string().min(1), z.number().int().refine(Number.isSafeInteger, 'id beyond 2^53 lost precision')])
  .transform((v) => String(v));
const sideCode = z.union([z.literal('0'), z.literal('1'), z.literal(0), z.literal(1)]).transform((v): Side => (String(v) === '0' ? 'buy' : 'sell'));

export const balanceSchema = z.looseObject({ currency: z.string().min(1), total: bsDecimal, available: bsDecimal, reserved: bsDecimal });
export const feeSchema = z.looseObject({
  market: z.string().optional(),
  currency_pair: z.string().optional(),
  fees: z.looseObject({ maker: bsDecimal, taker: bsDecimal }),
});
export const orderAckSchema = z.looseObject({
  id: bsId,
  datetime: z.string().optional(),
  type: sideCode.optional(),
  price: bsDecimal.optional(),
  amount: bsDecimal.optional(),
  client_order_id: z.string().nullish(),
  market: z.string().optional(),
});
export const cancelReplySchema = z.looseObject({ id: bsId, type: sideCode.optional().catch(undefined), market: z.string().optional().catch(undefined) });
export const cancelAllSchema = z.looseObject({ canceled: z.array(z.looseObject({ id: bsId })), success: z.boolean().optional() });
export const openOrderSchema = z.looseObject({
  id: bsId,
  datetime: z.string(),
  type: sideCode,
  price: bsDecimal,
  amount: bsDecimal, // remaining
  amount_at_create: bsDecimal.optional(),
  market: z.string().optional(),
  currency_pair: z.string().optional(),
  client_order_id: z.string().nullish(),
});
const statusTxSchema = z.looseObject({ tid: bsId, price: bsDecimal, fee: bsDecimal, datetime: z.string(), type: z.union([z.string(), z.number()]) });
/** `type`, `market` and `datetime` are optional in Bitstamp's docs and absent from replies recorded in 2021. */
export const orderStatusSchema = z.looseObject({
  id: bsId,
  datetime: z.string().optional(),
  type: sideCode.optional(),
  status: z.string(),
  market: z.string().optional(),
  amount_remaining: bsDecimal,
  client_order_id: z.string().nullish(),
  transactions: z.array(statusTxSchema),
});
export const userTransactionSchema = z.looseObject({
  id: bsId,
  datetime: z.string(),
  type: z.union([z.string(), z.number()]).transform((v) => String(v)),
  fee: bsDecimal,
  order_id: bsId.optional(),
});
export const wsTokenSchema = z.looseObject({ token: z.string().min(1), user_id: bsId, valid_sec: z.number().positive().optional() });

/** Parses a reply or throws the "no trustworthy answer" error of this call kind. */
export function parseReply<T extends z.ZodType>(schema: T, body: unknown, kind: CallKind, endpoint: string): z.output<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(reply)';
  throw noAnswerError(kind, endpoint, `malformed reply at ${where}: ${issue?.message ?? 'unexpected shape'}`);
}

/** "2021-11-25 12:59:59.322000" (UTC, no zone; unverified that it is UTC) -> ISO-8601. */
export function bitstampDatetimeToIso(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(s.trim());
  if (!m) return undefined;
  const ms = m[3] ? m[3].slice(1, 4).padEnd(3, '0') : '000';
  const d = new Date(`${m[1]}T${m[2]}.${ms}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export interface MarketParts {
  market: string; // "btcusd"
  base: string; // "BTC"
  quote: string; // "USD"
}

/** "BTC/USD" -> {market: "btcusd", base: "BTC", quote: "USD"}. */
export function splitMarketName(name: string): MarketParts | undefined {
  const [base, quote, ...rest] = name.split('/');
  if (!base || !quote || rest.length > 0) return undefined;
  return { market: `${base}${quote}`.toLowerCase(), base: base.toUpperCase(), quote: quote.toUpperCase() };
}

/** Maker/taker fractions per market, used to tell maker from taker fills (Bitstamp does not say). */
export type FeeRates = ReadonlyMap<string, { maker: string; taker: string }>;

/**
 * Bitstamp's fills carry no maker/taker flag (unverified for my_trades): infer it from the fee
 * rate actually charged, nearest of the account's maker/taker rates; zero fee = maker; unknown = taker.
 */
export function inferLiquidity(market: string, amount: string, price: string, fee: string, rates?: FeeRates): Liquidity {
  const feeD = new D(fee);
  if (feeD.isZero()) return 'maker';
  const r = rates?.get(market);
  const notional = new D(amount).times(price);
  if (!r || notional.isZero()) return 'taker';
  const charged = feeD.div(notional);
  return charged.minus(r.maker).abs().lt(charged.minus(r.taker).abs()) ? 'maker' : 'taker';
}

export function toBalanceReport(b: z.output<typeof balanceSchema>): BalanceReport {
  return { currency: b.currency.toUpperCase(), total: b.total, available: b.available, reserved: b.reserved };
}

/** Bitstamp fees are percent strings ("0.15" = 0.15 %); the contract wants fractions ("0.0015"). */
export function toFeeReport(f: z.output<typeof feeSchema>): FeeReport | undefined {
  const market = f.market ?? f.currency_pair;
  if (market === undefined) return undefined;
  return {
    market: market.toLowerCase().replace('/', ''),
    maker: decStr(new D(f.fees.maker).div(100)),
    taker: decStr(new D(f.fees.taker).div(100)),
  };
}

export function fillId(exchangeOrderId: string, tradeId: string): string {
  // Trade ids are shared by both sides of a self-trade; prefixing the order id keeps fill ids unique per account.
  return `${exchangeOrderId}:${tradeId}`;
}

const STATUS_STATE: Record<string, ExchangeOrderState> = {
  open: 'open',
  'in queue': 'open',
  'cancel pending': 'open',
  finished: 'filled',
  canceled: 'cancelled',
  cancelled: 'cancelled',
  expired: 'expired',
};

/** What the caller knows of an order when the reply leaves `market`/`type` out. */
export interface OrderHints {
  market?: MarketParts;
  side?: Side;
}

/** The currency keys of order_status transactions ("btc", "usd"): the candidates for base and quote. */
export function transactionCurrencies(o: z.output<typeof orderStatusSchema>): string[] {
  const keys = new Set<string>();
  for (const t of o.transactions) for (const k of Object.keys(t)) if (!TX_FIELDS.has(k) && /^[a-z0-9]+$/.test(k)) keys.add(k);
  return [...keys];
}
const TX_FIELDS = new Set(['tid', 'price', 'fee', 'datetime', 'type', 'order_id', 'id']);

export function toOrderStatusReport(
  o: z.output<typeof orderStatusSchema>,
  endpoint: string,
  nowIso: string,
  rates?: FeeRates,
  hints: OrderHints = {},
): OrderStatusReport {
  const parts = o.market !== undefined ? splitMarketName(o.market) : hints.market;
  const side = o.type ?? hints.side;
  const state = STATUS_STATE[o.status.toLowerCase()];
  if (!parts) throw noAnswerError('read', endpoint, o.market !== undefined ? `malformed reply at market: ${o.market.slice(0, 40)}` : 'reply has no market and the order\'s market is unknown');
  if (!side) throw noAnswerError('read', endpoint, 'reply has no type and the order\'s side is unknown');
  if (!state) throw noAnswerError('read', endpoint, `unknown order status "${o.status.slice(0, 40)}"`);
  const fills: FillReport[] = o.transactions.map((t) => {
    const amount = parseReply(bsDecimal, t[parts.base.toLowerCase()], 'read', endpoint);
    const at = bitstampDatetimeToIso(t.datetime);
    if (at === undefined) throw noAnswerError('read', endpoint, `malformed transaction datetime "${t.datetime}"`);
    const abs = decStr(new D(amount).abs());
    const fill: FillReport = {
      fillId: fillId(o.id, t.tid),
      exchangeOrderId: o.id,
      market: parts.market,
      side,
      amount: abs,
      price: t.price,
      fee: t.fee,
      feeCurrency: parts.quote,
      liquidity: inferLiquidity(parts.market, abs, t.price, t.fee, rates),
      at,
    };
    if (o.client_order_id) fill.clientOrderId = o.client_order_id;
    return fill;
  });
  const filled = fills.reduce((acc, f) => acc.plus(f.amount), new D(0));
  const report: OrderStatusReport = {
    exchangeOrderId: o.id,
    market: parts.market,
    side,
    state,
    // order_status has no original amount: remaining + filled (for a cancelled order, remaining is what was left).
    amount: decStr(filled.plus(o.amount_remaining)),
    filledAmount: decStr(filled),
    fills,
    at: (o.datetime !== undefined ? bitstampDatetimeToIso(o.datetime) : undefined) ?? nowIso,
  };
  // order_status carries no limit price, so `price` stays unset here (open_orders has it).
  if (o.client_order_id) report.clientOrderId = o.client_order_id;
  return report;
}

export function toOpenOrderReport(o: z.output<typeof openOrderSchema>, endpoint: string, nowIso: string): OrderStatusReport {
  const name = o.market ?? o.currency_pair ?? '';
  const parts = splitMarketName(name) ?? (name !== '' ? { market: name.toLowerCase(), base: '', quote: '' } : undefined);
  if (!parts) throw noAnswerError('read', endpoint, 'malformed reply: open order without market');
  const original = o.amount_at_create ?? o.amount;
  const report: OrderStatusReport = {
    exchangeOrderId: o.id,
    market: parts.market,
    side: o.type,
    state: 'open',
    amount: original,
    filledAmount: decStr(new D(original).minus(o.amount).abs()),
    price: o.price,
    fills: [],
    at: bitstampDatetimeToIso(o.datetime) ?? nowIso,
  };
  if (o.client_order_id) report.clientOrderId = o.client_order_id;
  return report;
}

/**
 * One user_transactions row of type 2 (market trade) -> FillReport. The pair is found from the
 * "<base>_<quote>" rate key; the base amount's sign gives the side (negative = sold).
 */
export function userTransactionToFill(
  row: z.output<typeof userTransactionSchema>,
  endpoint: string,
  rates?: FeeRates,
): FillReport | undefined {
  if (row.type !== '2' || row.order_id === undefined) return undefined;
  const rec = row as Record<string, unknown>;
  for (const [key, value] of Object.entries(rec)) {
    const m = /^([a-z0-9]+)_([a-z0-9]+)$/.exec(key);
    if (!m || m[1] === undefined || m[2] === undefined || key === 'order_id' || key === 'self_trade_order_id') continue;
    const rate = bsDecimal.safeParse(value);
    const baseAmt = bsDecimal.safeParse(rec[m[1]]);
    if (!rate.success || !baseAmt.success || new D(rate.data).isZero() || new D(baseAmt.data).isZero()) continue;
    const at = bitstampDatetimeToIso(row.datetime);
    if (at === undefined) throw noAnswerError('read', endpoint, `malformed transaction datetime "${row.datetime}"`);
    const market = `${m[1]}${m[2]}`;
    const amount = decStr(new D(baseAmt.data).abs());
    return {
      fillId: fillId(row.order_id, row.id),
      exchangeOrderId: row.order_id,
      market,
      side: new D(baseAmt.data).isNegative() ? 'sell' : 'buy',
      amount,
      price: rate.data,
      fee: decStr(new D(row.fee).abs()),
      feeCurrency: m[2].toUpperCase(),
      liquidity: inferLiquidity(market, amount, rate.data, row.fee, rates),
      at,
    };
  }
  throw noAnswerError('read', endpoint, `trade transaction ${row.id} has no recognizable "<base>_<quote>" rate`);
}
