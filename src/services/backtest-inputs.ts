/**
 * Input schemas of the backtest tools (CONTRACT.md "Backtests"), strict: unknown fields are errors.
 * Failures become INVALID_ARGUMENT naming the field and what is allowed.
 */
import { z } from 'zod';
import { decimalString } from '../domain/money.ts';
import { isoTimestamp } from '../domain/order.ts';
import { invalidArgumentFromIssues } from '../domain/errors.ts';

const feeFraction = decimalString.refine((s) => Number(s) < 0.1, 'must be a fraction below 0.1, e.g. "0.0025" for 0.25 %');
const currencyCode = z.string().regex(/^[A-Za-z0-9]{2,10}$/, 'currency codes are 2-10 letters or digits, e.g. "USD"');

/** One source of market data: a file path, or inline rows (exactly one of trades, candles, quotes). */
const dataSource = z.union(
  [
    z.string().min(1).max(4096),
    z.object({ trades: z.array(z.unknown()).min(1).max(2_000_000) }).strict(),
    z.object({ candles: z.array(z.unknown()).min(1).max(2_000_000) }).strict(),
    z.object({ quotes: z.array(z.unknown()).min(1).max(2_000_000) }).strict(),
  ],
  { message: 'must be a file path or an object with exactly one of trades, candles or quotes (arrays of rows)' },
);
export type BacktestDataSource = z.infer<typeof dataSource>;
/** Most sources one backtest merges (mixed data, sim/market-data/merge.ts). */
export const MAX_DATA_SOURCES = 8;

export const backtestCreateSchema = z
  .object({
    /** One source, or several merged by time (ties: array order, then file order). */
    data: z.union([dataSource, z.array(dataSource).min(1).max(MAX_DATA_SOURCES)], {
      message: `must be a file path or an object with exactly one of trades, candles or quotes (arrays of rows), or an array of 1 to ${MAX_DATA_SOURCES} of these`,
    }),
    initial_balances: z.record(currencyCode, decimalString).refine((r) => Object.keys(r).length <= 50, 'at most 50 currencies'),
    fees: z.object({ maker: feeFraction, taker: feeFraction }).strict().optional(),
    latency_ms: z.number().int().min(0).max(86_400_000).optional(),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    name: z.string().min(1).max(64).optional(),
    /** Additions: market of rows that name none (default from the file name, else btcusd), slippage model. */
    market: z.string().regex(/^[a-z0-9-]{2,32}$/, 'must be a market symbol like "btcusd"').optional(),
    slippage_bps: z.number().int().min(0).max(10_000).optional(),
    /** Share of each trade print the account can trade, (0, 1] (sim/README.md "bounded fills"). */
    participation: z.number().gt(0).max(1).optional(),
    /** Candle interval ("1m", "1h", ms); default the spacing of the data (sim/market-data/candles.ts). */
    interval: z.union([z.string().max(16), z.number().int()]).optional(),
    /** Seeded random extra latency of orders and cancels, [0, n] ms; chance a print at a resting order's price fills it (default 1). */
    latency_jitter_ms: z.number().int().min(0).max(60_000).optional(),
    prob_fill_on_touch: z.number().min(0).max(1).optional(),
    /** Queue model of resting orders and its trade-data fraction (sim/queue.ts). */
    queue: z.enum(['none', 'at_touch']).optional(),
    queue_touch_fraction: z.number().min(0).max(100).optional(),
  })
  .strict();
export type BacktestCreateInput = z.infer<typeof backtestCreateSchema>;

export const backtestAdvanceSchema = z
  .object({
    backtest_id: z.string().min(1).max(64),
    until: isoTimestamp.optional(),
    steps: z.number().int().min(1).max(100_000_000).optional(),
  })
  .strict()
  .refine((v) => v.until === undefined || v.steps === undefined, { message: 'give until or steps, not both', path: ['steps'] });

export const backtestReportSchema = z.object({ backtest_id: z.string().min(1).max(64) }).strict();

export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw invalidArgumentFromIssues(r.error.issues);
  return r.data;
}
