/**
 * The order's public view (CONTRACT.md `order` object) projected from a machine snapshot. Pure;
 * the runtime writes it to the orders table in the same transaction as the snapshot.
 */
import { Decimal } from 'decimal.js';
import { D, decStr } from '../src/domain/money.ts';
import type { OrderStatus, OrderView } from '../src/domain/order.ts';
import { canonicalOrUndefined, cmpPlain, divRoundedStr, shortQuotientStr } from './order.decimal.ts';
import type { OrderContext } from './order.types.ts';

/** Fraction digits of average_price: the most a decimal string may carry at the boundary. */
export const AVERAGE_PRICE_DECIMALS = 18;

/** The parts of a snapshot the view needs (any OrderSnapshot fits). */
export interface OrderSnapshotLike {
  value: unknown;
  context: OrderContext;
}

/**
 * notional / filled, rounded half-even to 18 fraction digits, canonical (no trailing zeros);
 * undefined until something has filled.
 */
export function averagePriceOf(ctx: Pick<OrderContext, 'filledAmount' | 'filledNotional'>): string | undefined {
  // Exact BigInt path (order.decimal.ts) for plain decimals; decimal.js for anything else.
  const sign = cmpPlain(ctx.filledAmount, '0');
  if (sign !== undefined) {
    if (sign <= 0) return undefined;
    const avg = shortQuotientStr(ctx.filledNotional, ctx.filledAmount) ?? divRoundedStr(ctx.filledNotional, ctx.filledAmount, AVERAGE_PRICE_DECIMALS);
    if (avg !== undefined) return avg;
  }
  const filled = new D(ctx.filledAmount);
  if (filled.lte(0)) return undefined;
  return decStr(new D(ctx.filledNotional).div(filled).toDecimalPlaces(AVERAGE_PRICE_DECIMALS, Decimal.ROUND_HALF_EVEN));
}

/** decStr without decimal.js for the usual already-canonical string. */
function canon(s: string): string {
  return canonicalOrUndefined(s) ?? decStr(s);
}

export function orderViewOf(snapshot: OrderSnapshotLike): OrderView {
  const c = snapshot.context;
  const view: OrderView = {
    order_id: c.orderId,
    client_order_id: c.clientOrderId,
    account: c.account,
    market: c.market,
    side: c.side,
    type: c.type,
    time_in_force: c.timeInForce,
    amount: canon(c.amount),
    status: snapshot.value as OrderStatus,
    filled_amount: canon(c.filledAmount),
    fee_total: canon(c.feeTotal),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
  if (c.exchangeOrderId !== undefined) view.exchange_order_id = c.exchangeOrderId;
  if (c.price !== undefined) view.price = canon(c.price);
  const avg = averagePriceOf(c);
  if (avg !== undefined) view.average_price = avg;
  if (c.statusReason !== undefined) view.status_reason = c.statusReason;
  return view;
}
