/**
 * Output schemas of every MCP tool (CONTRACT.md). Results are parsed through them before they leave,
 * so only documented fields reach a client (an internal key can never slip out). They are plain
 * (non-strict) objects in the advertised JSON so that later additive fields do not break clients.
 */
import { z } from 'zod';
import { ACCOUNT_MODES, riskLimitsSchema } from '../domain/account.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import { fillViewSchema, orderViewSchema } from '../domain/order.ts';

export const errorBody = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const errorOutput = z.object({ error: errorBody });

const balance = z.object({ currency: z.string(), total: z.string(), available: z.string(), reserved: z.string() });
const account = z.object({
  name: z.string(),
  exchange: z.string(),
  exchange_account_id: z.string(),
  parent: z.string().optional(),
  mode: z.enum(ACCOUNT_MODES),
  enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string().optional(),
});
const market = z.object({
  market: z.string(),
  name: z.string().optional(),
  base: z.string(),
  quote: z.string(),
  price_decimals: z.number().int(),
  amount_decimals: z.number().int(),
  instant_order_counter_decimals: z.number().int().optional(),
  min_order_value: z.string(),
  trading_enabled: z.boolean(),
  instant_and_market_orders_enabled: z.boolean(),
});

export const listExchangesOutput = z.object({
  exchanges: z.array(z.object({ id: z.string(), name: z.string(), live: z.boolean(), paper: z.boolean() })),
});
export const listAccountsOutput = z.object({ accounts: z.array(account) });
export const getAccountOutput = account.extend({
  has_credentials: z.boolean(),
  credentials_set_at: z.string().optional(),
  limits: riskLimitsSchema.strip(),
  require_confirmation: z.boolean().optional(),
  last_balance_at: z.string().optional(),
});
export const balancesOutput = z.object({ account: z.string(), as_of: z.string(), balances: z.array(balance) });
export const balanceHistoryOutput = z.object({ snapshots: z.array(z.object({ at: z.string(), balances: z.array(balance) })) });
export const feesOutput = z.object({
  fees: z.array(z.object({ market: z.string(), maker: z.string(), taker: z.string() })),
});
export const currenciesOutput = z.object({
  currencies: z.array(z.object({ code: z.string(), name: z.string(), decimals: z.number().int(), type: z.string(), enabled: z.boolean() })),
});
export const marketsOutput = z.object({ markets: z.array(market) });
export const marketRulesOutput = market.extend({ tick_size: z.string(), step_size: z.string() });
export const previewOutput = z.object({
  valid: z.boolean(),
  problems: z.array(z.object({ code: z.enum(ERROR_CODES), message: z.string(), field: z.string().optional() })),
  normalized: z.record(z.string(), z.unknown()),
  estimated_fee: z.string().optional(),
  estimated_notional: z.string().optional(),
});
export const orderOutput = z.object({ order: orderViewSchema });
/** place_order: `replayed` is true when a client_order_id already used with the same parameters returned the existing order. */
export const placedOrderOutput = z.object({ order: orderViewSchema, replayed: z.boolean().optional() });
export const cancelAllOutput = z.object({ cancelled: z.array(z.string()) });
/** Pass as `cursor` for the next page; absent on the last page (said in the input's description). */
const nextCursor = z.string().optional();
export const ordersOutput = z.object({ orders: z.array(orderViewSchema), next_cursor: nextCursor });
export const fillsOutput = z.object({ fills: z.array(fillViewSchema), next_cursor: nextCursor });

export const backtestCreateOutput = z.object({
  backtest_id: z.string(),
  account: z.string(),
  clock: z.string(),
  markets: z.array(z.string()),
});
export const backtestAdvanceOutput = z.object({
  clock: z.string(),
  events_processed: z.number().int(),
  done: z.boolean(),
  fills: z.array(fillViewSchema),
});
export const backtestReportOutput = z.object({
  backtest_id: z.string(),
  clock: z.string(),
  balances: z.array(balance),
  fills: z.array(fillViewSchema),
  fees_paid: z.record(z.string(), z.string()),
  pnl: z.object({ quote_currency: z.string(), value: z.string() }),
  pnl_by_currency: z.record(z.string(), z.string()),
  equity_curve: z.array(z.object({ at: z.string(), equity: z.string() })),
  digest: z.string(),
  fills_total: z.number().int().optional(),
  next_fills_cursor: z.string().optional(),
});

export const noopOutput = z.object({ ok: z.boolean() });
