import { z } from 'zod';
import { decimalString, positiveDecimalString } from './money.ts';

/** Order states, used verbatim in the API (DESIGN.md "Orders"). */
export const ORDER_STATUSES = [
  'pending',
  'submitting',
  'open',
  'partially_filled',
  'filled',
  'cancelling',
  'cancelled',
  'rejected',
  'expired',
  'unknown',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected', 'expired']);
export const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set(
  ORDER_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s)),
);
export function isTerminal(s: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}

export const SIDES = ['buy', 'sell'] as const;
export type Side = (typeof SIDES)[number];
export const ORDER_TYPES = ['limit', 'market', 'instant'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export const TIME_IN_FORCES = ['gtc', 'ioc', 'fok', 'gtd', 'daily'] as const;
export type TimeInForce = (typeof TIME_IN_FORCES)[number];
export const LIQUIDITIES = ['maker', 'taker'] as const;
export type Liquidity = (typeof LIQUIDITIES)[number];

/** client_order_id: printable ASCII without spaces, what Bitstamp accepts safely. */
export const clientOrderIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -');

export const isoTimestamp = z.string().datetime({ offset: true, message: 'must be an ISO-8601 timestamp like 2026-01-31T12:00:00Z' });

/** place_order arguments without `account` (CONTRACT.md). Strict: unknown fields are errors. */
export const orderRequestSchema = z
  .object({
    market: z.string().min(1).max(32),
    side: z.enum(SIDES),
    type: z.enum(ORDER_TYPES),
    amount: positiveDecimalString,
    price: positiveDecimalString.optional(),
    time_in_force: z.enum(TIME_IN_FORCES).optional(),
    expire_time: isoTimestamp.optional(),
    post_only: z.boolean().optional(),
    client_order_id: clientOrderIdSchema.optional(),
  })
  .strict();
export type OrderRequest = z.infer<typeof orderRequestSchema>;

/** The `order` object of the contract. */
export const orderViewSchema = z.object({
  order_id: z.string(),
  client_order_id: z.string(),
  exchange_order_id: z.string().optional(),
  account: z.string(),
  market: z.string(),
  side: z.enum(SIDES),
  type: z.enum(ORDER_TYPES),
  time_in_force: z.enum(TIME_IN_FORCES),
  amount: decimalString,
  price: decimalString.optional(),
  status: z.enum(ORDER_STATUSES),
  filled_amount: decimalString,
  average_price: decimalString.optional(),
  fee_total: decimalString,
  created_at: z.string(),
  updated_at: z.string(),
  status_reason: z.string().optional(),
});
export type OrderView = z.infer<typeof orderViewSchema>;

/** The `fill` object of the contract. */
export const fillViewSchema = z.object({
  fill_id: z.string(),
  order_id: z.string(),
  market: z.string(),
  side: z.enum(SIDES),
  amount: decimalString,
  price: decimalString,
  fee: decimalString,
  fee_currency: z.string(),
  liquidity: z.enum(LIQUIDITIES),
  at: z.string(),
});
export type FillView = z.infer<typeof fillViewSchema>;
