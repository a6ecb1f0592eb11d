/**
 * Row schemas of market-data files (CONTRACT.md "Market-data files") and their conversion into
 * engine events. One zod parse per row (about 0.2 µs with zod 4), so 1M rows stay fast.
 */
import { z } from 'zod';
import { D, DECIMAL_RE, decStr } from '../../src/domain/money.ts';
import type { BookSnapshot, MarketEvent, TradePrint } from '../types.ts';
import { comparePrice } from '../price.ts';

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const EPOCH_MS_RE = /^\d{1,15}$/;

/** A JSON number is accepted where a decimal string is expected (JSONL files written by tools). */
const numText = z.union([z.string(), z.number().finite().transform((n) => String(n))]);
const decimalField = (what: string, positive: boolean) =>
  numText.pipe(
    z
      .string()
      .regex(DECIMAL_RE, `expected ${what} as a decimal string like "123.45" (no exponent, no sign)`)
      .refine((s) => !positive || /[1-9]/.test(s), `expected ${what} greater than 0`),
  );
const timestampField = z
  .union([z.string(), z.number().int().nonnegative().transform((n) => String(n))])
  .pipe(
    z
      .string()
      .refine(
        (s) => EPOCH_MS_RE.test(s) || (ISO_RE.test(s) && !Number.isNaN(Date.parse(s))),
        'expected an ISO-8601 UTC timestamp like "2026-01-31T12:00:00Z" or epoch milliseconds like 1769860800000',
      ),
  );
const marketField = z
  .string()
  .regex(/^[a-z0-9]{2,32}$/, 'expected a market symbol like "btcusd" (2-32 lower-case letters or digits)');

export const tradeRowSchema = z
  .object({
    timestamp: timestampField,
    price: decimalField('a price', true),
    amount: decimalField('an amount', true),
    side: z.enum(['buy', 'sell'], { message: 'expected "buy" or "sell" (the taker\'s side)' }),
    market: marketField.optional(),
  })
  .strict();

export const candleRowSchema = z
  .object({
    timestamp: timestampField,
    open: decimalField('a price', true),
    high: decimalField('a price', true),
    low: decimalField('a price', true),
    close: decimalField('a price', true),
    volume: decimalField('a volume', false),
    market: marketField.optional(),
  })
  .strict();

const levelSchema = z.tuple([decimalField('a price', true), decimalField('an amount', false)]);
export const quoteRowSchema = z
  .object({
    timestamp: timestampField,
    bid: decimalField('a price', true).optional(),
    ask: decimalField('a price', true).optional(),
    bid_amount: decimalField('an amount', false).optional(),
    ask_amount: decimalField('an amount', false).optional(),
    bids: z.array(levelSchema).max(1000).optional(),
    asks: z.array(levelSchema).max(1000).optional(),
    market: marketField.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const s of ['bid', 'ask'] as const) {
      if ((r[s] === undefined) !== (r[`${s}_amount`] === undefined))
        ctx.addIssue({ code: 'custom', path: [`${s}_amount`], message: `expected ${s} and ${s}_amount together` });
    }
    if (r.bid === undefined && r.ask === undefined && r.bids === undefined && r.asks === undefined)
      ctx.addIssue({ code: 'custom', path: ['bid'], message: 'expected bid/ask (with bid_amount/ask_amount) or bids/asks levels' });
  });

export type DataKind = 'trades' | 'candles' | 'quotes';
export const KIND_COLUMNS: Record<DataKind, readonly string[]> = {
  trades: ['timestamp', 'price', 'amount', 'side', 'market'],
  candles: ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'market'],
  quotes: ['timestamp', 'bid', 'ask', 'bid_amount', 'ask_amount', 'bids', 'asks', 'market'],
};
export const KIND_HELP =
  'trades (timestamp,price,amount,side[,market]), candles (timestamp,open,high,low,close,volume[,market]) or quotes (timestamp,bid,ask,bid_amount,ask_amount[,market])';

export function kindOfColumns(cols: readonly string[]): DataKind | undefined {
  if (cols.includes('price')) return 'trades';
  if (cols.includes('open')) return 'candles';
  if (cols.includes('bid') || cols.includes('ask') || cols.includes('bids') || cols.includes('asks')) return 'quotes';
  return undefined;
}

export function schemaOf(kind: DataKind): z.ZodType {
  return kind === 'trades' ? tradeRowSchema : kind === 'candles' ? candleRowSchema : quoteRowSchema;
}

/** "30000.50" -> "30000.5", "7.0" -> "7": equal prices get equal strings without decimal.js. */
export function canonicalDecimal(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

export function parseTimestamp(s: string): number {
  return EPOCH_MS_RE.test(s) ? Number(s) : Date.parse(s);
}

/** Row (already validated) -> events, appended to `out`. */
export function rowToEvents(kind: DataKind, row: Record<string, unknown>, market: string, out: MarketEvent[]): number {
  const ts = parseTimestamp(row.timestamp as string);
  const m = (row.market as string | undefined) ?? market;
  if (kind === 'trades') {
    const price = canonicalDecimal(row.price as string);
    out.push({ kind: 'trade', ts, market: m, price, key: parseFloat(price), amount: canonicalDecimal(row.amount as string), side: row.side as 'buy' | 'sell' });
    return ts;
  }
  if (kind === 'candles') {
    const o = canonicalDecimal(row.open as string);
    const h = canonicalDecimal(row.high as string);
    const l = canonicalDecimal(row.low as string);
    const c = canonicalDecimal(row.close as string);
    const q = decStr(new D(row.volume as string).div(4));
    // Four prints at the candle's open: open, then the extreme nearer the close last; candles.ts
    // spreads them over the candle's interval once the spacing of the data is known.
    const path = parseFloat(c) >= parseFloat(o) ? [o, l, h, c] : [o, h, l, c];
    let prev = parseFloat(o);
    for (const p of path) {
      const key = parseFloat(p);
      const t: TradePrint = { kind: 'trade', ts, market: m, price: p, key, amount: q, side: key >= prev ? 'buy' : 'sell' };
      out.push(t);
      prev = key;
    }
    return ts;
  }
  const levels = (ls: unknown, p: unknown, q: unknown): BookSnapshot['bids'] => {
    if (Array.isArray(ls)) return (ls as [string, string][]).map(([lp, lq]) => ({ price: canonicalDecimal(lp), amount: lq }));
    return p === undefined ? [] : [{ price: canonicalDecimal(p as string), amount: q as string }];
  };
  out.push({
    kind: 'book',
    ts,
    market: m,
    bids: levels(row.bids, row.bid, row.bid_amount),
    asks: levels(row.asks, row.ask, row.ask_amount),
  });
  return ts;
}

/** Extra checks zod cannot do per field: candle high/low consistency. Returns [field, message] or undefined. */
export function rowProblem(kind: DataKind, row: Record<string, unknown>): [string, string] | undefined {
  if (kind !== 'candles') return undefined;
  const [o, h, l, c] = (['open', 'high', 'low', 'close'] as const).map((k) => {
    const p = row[k] as string;
    return { p, k: parseFloat(p) };
  }) as [{ p: string; k: number }, { p: string; k: number }, { p: string; k: number }, { p: string; k: number }];
  const cmp = (a: { p: string; k: number }, b: { p: string; k: number }) => comparePrice(a.k, canonicalDecimal(a.p), b.k, canonicalDecimal(b.p));
  if (cmp(h, o) < 0 || cmp(h, c) < 0 || cmp(h, l) < 0) return ['high', 'expected high >= open, close and low'];
  if (cmp(l, o) > 0 || cmp(l, c) > 0) return ['low', 'expected low <= open and close'];
  return undefined;
}
