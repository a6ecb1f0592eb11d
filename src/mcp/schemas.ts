/**
 * Input schemas of every MCP tool (CONTRACT.md "MCP tools"). All are STRICT zod objects: an unknown
 * field or a wrong type is an INVALID_ARGUMENT naming the field. The same objects are turned into the
 * JSON schemas advertised in tools/list, so what a client reads is what the server enforces.
 */
import { z } from 'zod';
import { ACCOUNT_MODES, accountNameSchema } from '../domain/account.ts';
import { decimalString } from '../domain/money.ts';
import { clientOrderIdSchema, isoTimestamp, orderRequestSchema } from '../domain/order.ts';

export const accountRefArg = z
  .string()
  .min(1)
  .max(140)
  .describe('Account name or "<exchange>:<exchange_account_id>"');
// A string, not an enum: which exchanges exist is configuration (EXEC_MCP_EXCHANGES); services check it.
export const exchangeArg = z
  .string()
  .min(1)
  .max(32)
  .describe('"bitstamp" (live), "paper" (simulated, same markets and rules), or an enabled ccxt exchange id (list_exchanges)');
export const marketArg = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a market id such as "btcusd" (letters and digits)')
  .describe('Market id, e.g. "btcusd"');
export const currencyArg = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[A-Za-z0-9]+$/, 'must be a currency code such as "BTC"')
  .describe('Currency code, e.g. "BTC"');
export const limitArg = z.number().int().min(1).max(1000).describe('Max items (default 100)');
export const orderIdArg = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an order_id as returned by place_order')
  .describe('order_id from place_order');

// ---------------------------------------------------------------- discovery
export const listExchangesInput = z.object({}).strict();
export const listAccountsInput = z
  .object({
    exchange: exchangeArg.optional(),
    enabled: z.boolean().optional().describe('Only enabled (true) or disabled (false) accounts'),
    mode: z.enum(ACCOUNT_MODES).optional().describe('Only live, paper or backtest accounts'),
    include_ended: z.boolean().optional().describe('Also backtests that ended (default false)'),
  })
  .strict();
export const accountOnlyInput = z.object({ account: accountRefArg }).strict();
export const getBalancesInput = z
  .object({
    account: accountRefArg,
    refresh: z.boolean().optional().describe('true = fetch from the exchange now instead of the cached balances'),
  })
  .strict();
export const getBalanceHistoryInput = z
  .object({
    account: accountRefArg,
    currency: currencyArg.optional(),
    since: isoTimestamp.optional().describe('Only snapshots at or after this ISO-8601 time'),
    until: isoTimestamp.optional().describe('Only snapshots at or before this ISO-8601 time'),
    limit: limitArg.optional(),
  })
  .strict();
export const getFeesInput = z.object({ account: accountRefArg, market: marketArg.optional() }).strict();
export const listCurrenciesInput = z.object({ exchange: exchangeArg }).strict();
export const listMarketsInput = z
  .object({
    exchange: exchangeArg,
    base: currencyArg.optional().describe('Only this base currency'),
    quote: currencyArg.optional().describe('Only this quote currency'),
  })
  .strict();
export const getMarketRulesInput = z.object({ exchange: exchangeArg, market: marketArg }).strict();

// ---------------------------------------------------------------- orders
const ORDER_FIELD_DOCS = {
  market: 'Market id, e.g. "btcusd"',
  side: 'buy or sell',
  type: 'limit (needs price), market, or instant (Bitstamp instant order: fills at once, like market)',
  amount: 'In BASE currency, decimal string, e.g. "0.01"',
  price: 'Limit price in QUOTE currency, decimal string (limit only)',
  time_in_force: 'Limit only: gtc (default), ioc, fok, gtd (until expire_time) or daily (cancelled at 00:00 UTC)',
  expire_time: 'Expiry, only with gtd',
  post_only: 'Limit only: refused instead of taking liquidity',
  client_order_id: 'Your idempotency key (1-64 of A-Z a-z 0-9 . _ : -); same id on the account = same order',
} as const;

/** More significant digits than this and a JSON number no longer names one decimal for sure (doubles hold 15). */
const MAX_NUMBER_DIGITS = 15;

/**
 * Decimal text of a JSON number, through its shortest round-trip form (0.1 -> "0.1"), or why it is
 * refused. Many LLM tool calls and the MCP Inspector send amounts as numbers; a number that does not
 * name one exact decimal must come as a string instead.
 */
export function decimalTextOfNumber(n: number): { text: string } | { refused: string } {
  const text = String(n);
  const askString = 'send it as a decimal string, e.g. "0.0001"';
  if (!Number.isFinite(n)) return { refused: `the number ${text} is not a decimal; ${askString}` };
  if (/e/i.test(text)) return { refused: `the number ${text} is in exponent form, which is not exact; ${askString}` };
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;
  if (digits > MAX_NUMBER_DIGITS)
    return { refused: `the number ${text} has ${digits} significant digits (at most ${MAX_NUMBER_DIGITS} in a JSON number); ${askString}` };
  return { text };
}

/** A decimal field that takes a decimal string or a JSON number that converts exactly (then checked as the string). */
export function decimalArg(inner: z.ZodType<string, string>): z.ZodType<string, string | number> {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      if (typeof v === 'string') return v;
      const r = decimalTextOfNumber(v);
      if ('text' in r) return r.text;
      ctx.addIssue({ code: 'custom', message: r.refused });
      return z.NEVER;
    })
    .pipe(inner);
}

const NUMBER_OK = ' (or an exact JSON number)';
const DECIMAL_ORDER_FIELDS: ReadonlySet<string> = new Set(['amount', 'price']);

function documentedOrderField(key: string, schema: z.ZodType): z.ZodType {
  const doc = ORDER_FIELD_DOCS[key as keyof typeof ORDER_FIELD_DOCS];
  if (!DECIMAL_ORDER_FIELDS.has(key)) return schema.describe(doc);
  const optional = schema instanceof z.ZodOptional;
  const inner = (optional ? schema.unwrap() : schema) as z.ZodType<string, string>;
  const field = decimalArg(inner);
  return (optional ? field.optional() : field).describe(doc + NUMBER_OK);
}

const documentedOrderShape = Object.fromEntries(
  Object.entries(orderRequestSchema.shape).map(([k, s]) => [k, documentedOrderField(k, s)]),
) as unknown as typeof orderRequestSchema.shape;

export const placeOrderInput = z.object({ account: accountRefArg, ...documentedOrderShape }).strict();
export type PlaceOrderArgs = z.infer<typeof placeOrderInput>;

/**
 * Exactly one of order_id / client_order_id. Checked here and said in the tool descriptions, not as a
 * root oneOf: the Anthropic, OpenAI, Bedrock and Vertex APIs refuse a tool list with a root oneOf/anyOf/allOf.
 */
function exactlyOneLookup(v: { order_id?: string | undefined; client_order_id?: string | undefined }, ctx: z.RefinementCtx): void {
  const n = (v.order_id !== undefined ? 1 : 0) + (v.client_order_id !== undefined ? 1 : 0);
  if (n !== 1)
    ctx.addIssue({
      code: 'custom',
      path: [n === 0 ? 'order_id' : 'client_order_id'],
      message: n === 0 ? 'give order_id or client_order_id' : 'give only one of order_id and client_order_id',
    });
}
export const orderLookupInput = z
  .object({
    account: accountRefArg,
    order_id: orderIdArg.optional().describe('order_id from place_order (this or client_order_id, not both)'),
    client_order_id: clientOrderIdSchema.optional().describe('client_order_id of the order (this or order_id, not both)'),
  })
  .strict()
  .superRefine(exactlyOneLookup);

export const cancelAllInput = z
  .object({ account: accountRefArg, market: marketArg.optional().describe('Only this market') })
  .strict();
export const cursorArg = z.string().min(1).max(400).describe('next_cursor from the previous page (none: first page)');
export const listOrdersInput = z
  .object({
    account: accountRefArg,
    status: z.enum(['open', 'closed', 'all']).optional().describe('open (default): not terminal; closed: filled/cancelled/rejected/expired; all'),
    market: marketArg.optional(),
    since: isoTimestamp.optional().describe('Created at or after'),
    until: isoTimestamp.optional().describe('Created at or before'),
    limit: limitArg.optional(),
    cursor: cursorArg.optional(),
  })
  .strict();
export const listFillsInput = z
  .object({
    account: accountRefArg,
    market: marketArg.optional(),
    since: isoTimestamp.optional().describe('Fills at or after this time'),
    until: isoTimestamp.optional().describe('Fills at or before this time'),
    limit: limitArg.optional(),
    cursor: cursorArg.optional(),
  })
  .strict();

// ---------------------------------------------------------------- backtests
/**
 * Rows are validated by the backtests service (it names the row and field of a bad value, like for
 * files); here they are only typed for the client (JSON-schema meta on z.unknown()), so the two
 * validators cannot disagree. Decimals may also be JSON numbers there; strings are what we advertise.
 */
type RowField = { type: string | string[]; enum?: readonly string[]; description?: string };
const TS: RowField = { type: ['string', 'integer'] };
const DEC: RowField = { type: 'string' };
function documentedRow(fields: Record<string, RowField>, required: readonly string[]): z.ZodType {
  return z.looseObject(
    Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, required.includes(k) ? z.unknown().meta(f) : z.unknown().optional().meta(f)])),
  );
}
const MARKET: RowField = { type: 'string' };
const tradeRow = documentedRow(
  { timestamp: TS, price: DEC, amount: DEC, side: { type: 'string', enum: ['buy', 'sell'], description: "the taker's side" }, market: MARKET },
  ['timestamp', 'price', 'amount', 'side'],
);
const candleRow = documentedRow(
  { timestamp: TS, open: DEC, high: DEC, low: DEC, close: DEC, volume: DEC, market: MARKET },
  ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
);
const LEVELS: RowField = { type: 'array', description: '[[price, amount], ...]' };
const quoteRow = documentedRow(
  { timestamp: TS, bid: DEC, ask: DEC, bid_amount: DEC, ask_amount: DEC, bids: LEVELS, asks: LEVELS, market: MARKET },
  ['timestamp'],
);
const MAX_ROWS = 2_000_000;
const backtestIdArg = z.string().min(1).max(64).describe('The backtest_id returned by backtest_create');
export const backtestCreateInput = z
  .object({
    data: z
      .union([
        z.string().min(1).max(4096).describe('Path of a CSV or JSONL file on the server'),
        z.object({ trades: z.array(tradeRow).min(1).max(MAX_ROWS) }).strict(),
        z.object({ candles: z.array(candleRow).min(1).max(MAX_ROWS) }).strict(),
        z.object({ quotes: z.array(quoteRow).min(1).max(MAX_ROWS) }).strict(),
        z.array(z.unknown()).min(1).max(8), // mixed data: sources of the forms above, each checked by the service
      ])
      .describe('Market data: a file path, or inline {trades}, {candles} or {quotes} rows (timestamp: ISO-8601 or epoch ms; decimals as strings; market only when several), or an array of these merged by time'),
    initial_balances: z
      .record(currencyArg, decimalString)
      .describe('Starting balances, e.g. {"USD": "10000", "BTC": "0"}'),
    fees: z
      .object({ maker: decimalString, taker: decimalString })
      .strict()
      .optional()
      .describe('Fee fractions, e.g. {"maker": "0.0015", "taker": "0.0025"}'),
    latency_ms: z.number().int().min(0).max(86_400_000).optional().describe('Simulated order latency (ms)'),
    seed: z.number().int().min(0).max(4_294_967_295).optional().describe('PRNG seed; same seed + data + orders = identical fills'),
    name: accountNameSchema
      .optional()
      .describe('A label only; the account is always "backtest-<backtest_id>" (returned as `account`)'),
    market: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, 'must be a market id like "btcusd"')
      .optional()
      .describe('Market of rows that name none (default: from the file name, else btcusd)'),
    slippage_bps: z.number().int().min(0).max(10_000).optional().describe('Extra slippage for taker fills, in basis points'),
    participation: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('Share of each trade print the account can fill (default 1): a taker gets at most participation x print, at its price'),
    interval: z.string().optional().describe('Candle length, e.g. "1h" (default: data spacing)'),
    latency_jitter_ms: z.number().int().min(0).max(60_000).optional(),
    prob_fill_on_touch: z.number().min(0).max(1).optional(),
    queue: z.enum(['none', 'at_touch']).optional().describe('Resting-order queue model (default none)'),
    queue_touch_fraction: z.number().min(0).max(100).optional().describe('at_touch on trades: share of recent volume at the price ahead (default 1)'),
  })
  .strict();
export const backtestAdvanceInput = z
  .object({
    backtest_id: backtestIdArg,
    until: isoTimestamp.optional().describe('Advance the clock to this time (until or steps, not both; neither = to the end)'),
    steps: z.number().int().min(1).max(100_000_000).optional().describe('Advance by this many data events'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.until !== undefined && v.steps !== undefined)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give until or steps, not both (neither = run to the end of the data)' });
  });
export const backtestReportInput = z
  .object({
    backtest_id: backtestIdArg,
    fills: z.enum(['page', 'all']).optional().describe('page (default): fills_limit fills, at most 500 equity points; all: every fill and point'),
    fills_limit: limitArg.optional(),
    fills_cursor: cursorArg.optional().describe('next_fills_cursor of the previous call'),
  })
  .strict();
