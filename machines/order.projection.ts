/**
 * The order's public view (CONTRACT.md `order` object) projected from a machine snapshot. Pure;
 * the runtime writes it to the orders table in the same transaction as the snapshot.
 */
import { Decimal } from 'decimal.js';
import { D, decStr } from '../src/domain/money.ts';
import type { OrderStatus, OrderView } from '../src/domain/order.ts';
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
  const filled = new D(ctx.filledAmount);
  if (filled.lte(0)) return undefined;
  return decStr(new D(ctx.filledNotional).div(filled).toDecimalPlaces(AVERAGE_PRICE_DECIMALS, Decimal.ROUND_HALF_EVEN));
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
    amount: decStr(c.amount),
    status: snapshot.value as OrderStatus,
    filled_amount: decStr(c.filledAmount),
    fee_total: decStr(c.feeTotal),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
  if (c.exchangeOrderId !== undefined) view.exchange_order_id = c.exchangeOrderId;
  if (c.price !== undefined) view.price = decStr(c.price);
  const avg = averagePriceOf(c);
  if (avg !== undefined) view.average_price = avg;
  if (c.statusReason !== undefined) view.status_reason = c.statusReason;
  return view;
}
