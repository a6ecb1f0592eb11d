/**
 * The payload of an outbox row: the exchange command exactly as decided at commit time, so a
 * command resent after a restart is the one that was persisted, not a recomputation.
 */
import type { PlaceOrderCommand } from '../exchanges/adapter.ts';
import type { OrderCommand, OrderContext, OrderInput } from '../../machines/order.types.ts';

/** The exchange command as decided at commit time (the submit is sent exactly as written here; preview checks the same). */
export function placeCommandOf(ctx: OrderInput): PlaceOrderCommand {
  const cmd: PlaceOrderCommand = {
    clientOrderId: ctx.clientOrderId,
    market: ctx.market,
    side: ctx.side,
    type: ctx.type,
    amount: ctx.amount,
    timeInForce: ctx.timeInForce,
    postOnly: ctx.postOnly,
  };
  if (ctx.price !== undefined) cmd.price = ctx.price;
  if (ctx.expireTime !== undefined) cmd.expireTime = ctx.expireTime;
  return cmd;
}

export function payloadOf(c: OrderCommand, ctx: OrderContext): Record<string, unknown> {
  if (c.kind === 'submit') return { ...placeCommandOf(ctx) };
  if (c.kind === 'cancel') return { clientOrderId: ctx.clientOrderId, ...(ctx.exchangeOrderId !== undefined ? { exchangeOrderId: ctx.exchangeOrderId } : {}) };
  return { reason: c.reason };
}
