/**
 * Order tools. Reads (get_order, list_orders, list_fills) are always registered; the execution tools
 * (place_order, cancel_order, cancel_all_orders) only when the server is not read-only.
 */
import type { OrderRequest } from '../domain/order.ts';
import type { Services } from '../services/ports.ts';
import { codedReason, DomainError, type ErrorCode } from '../domain/errors.ts';
import type { OrderView } from '../domain/order.ts';
import { D } from '../domain/money.ts';
import { cancelAllOutput, fillsOutput, orderOutput, ordersOutput, placedOrderOutput } from './output-schemas.ts';
import {
  cancelAllInput,
  listFillsInput,
  listOrdersInput,
  orderLookupInput,
  placeOrderInput,
  type PlaceOrderArgs,
} from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';

/** Codes under which a rejected order was definitely not placed: place_order answers them as errors. */
const DEFINITE_REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'INSUFFICIENT_FUNDS', 'BELOW_MINIMUM', 'PRECISION_VIOLATION', 'RISK_LIMIT', 'MARKET_DISABLED', 'EXCHANGE_REJECTED',
]);

/**
 * A new order the venue rejected, as the error result a client acts on: the code comes from the
 * "CODE: message" prefix the runtime keeps in status_reason (anything else counts as
 * EXCHANGE_REJECTED: a rejected order was never placed), the stored order in details.order.
 */
export function refusalOf(order: OrderView): DomainError {
  const reason = order.status_reason ?? 'rejected by the exchange';
  const { code, message } = codedReason(reason);
  const definite = code !== undefined && DEFINITE_REFUSALS.has(code);
  return new DomainError(definite ? code : 'EXCHANGE_REJECTED', `order ${order.order_id} was not placed: ${definite ? message : reason}`, { order });
}

/** A new order the venue cancelled on arrival without a fill for a coded refusal (a post_only that would take): not placed either. */
function cancelledOnArrival(order: OrderView): boolean {
  if (order.status !== 'cancelled' || !new D(order.filled_amount).isZero()) return false;
  const { code } = codedReason(order.status_reason ?? '');
  return code !== undefined && DEFINITE_REFUSALS.has(code);
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

/** place_order/preview_order args → (account, request) for the orders service. */
export function splitOrderArgs(a: PlaceOrderArgs): { account: string; request: OrderRequest } {
  const { account, ...request } = a;
  return { account, request };
}

function lookupOf(a: { order_id?: string | undefined; client_order_id?: string | undefined }): { order_id?: string; client_order_id?: string } {
  return a.order_id !== undefined ? { order_id: a.order_id } : { client_order_id: a.client_order_id as string };
}

export function registerOrderReadTools(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'get_order',
      title: 'Get order',
      description: 'One order by order_id or client_order_id (exactly one): status, filled_amount, average_price, fee_total.',
      input: orderLookupInput,
      output: orderOutput,
      annotations: READ,
      handler: (a) => ({ order: services.orders.get(a.account, lookupOf(a)) }),
    }),
  );
  reg.add(
    defineTool({
      name: 'list_orders',
      title: 'List orders',
      description:
        'Orders of an account, newest first, `limit` per page; next_cursor pages on (stable while orders are added). status "open" (default) = pending, submitting, open, partially_filled, cancelling, unknown. Subscribe to orders://<account>/open to be notified of changes instead of polling.',
      input: listOrdersInput,
      output: ordersOutput,
      annotations: READ,
      // "open" is the advertised default (the service's own default, for other callers, is all).
      handler: ({ account, status, ...filter }) => services.orders.listPage(account, { status: status ?? 'open', ...filter }),
    }),
  );
  reg.add(
    defineTool({
      name: 'list_fills',
      title: 'List fills',
      description: 'Fills of an account, newest first, `limit` per page (next_cursor pages on): amount (base), price (quote), fee, fee_currency, liquidity maker/taker.',
      input: listFillsInput,
      output: fillsOutput,
      annotations: READ,
      handler: ({ account, ...filter }) => services.orders.listFillsPage(account, filter),
    }),
  );
}

export function registerOrderExecutionTools(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'place_order',
      title: 'Place order',
      description:
        'Places an order (live account: real money; run preview_order first). A client_order_id makes retries safe: same id + parameters returns the existing order (replayed: true), other parameters fail with CLIENT_ORDER_ID_CONFLICT. A refused order (e.g. INSUFFICIENT_FUNDS) is an error result with that code and the stored order in error.details.order. require_confirmation accounts ask a human first (elicitation). Status: submitting, open, partially_filled, filled (or cancelled, rejected, expired; unknown while reconciling).',
      input: placeOrderInput,
      output: placedOrderOutput,
      // Not idempotent by itself: only a client_order_id makes a repeat return the first order.
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (a, ctx) => {
        const { account, request } = splitOrderArgs(a);
        const { order, replayed } = await services.orders.placeOrder(account, request, ctx.actor, ctx.confirm ? { confirm: ctx.confirm } : {});
        if (replayed) return { order, replayed: true };
        if (order.status === 'rejected' || cancelledOnArrival(order)) throw refusalOf(order);
        return { order };
      },
    }),
  );
  reg.add(
    defineTool({
      name: 'cancel_order',
      title: 'Cancel order',
      description:
        'Cancels one order by order_id or client_order_id (exactly one). Returns it, usually "cancelling" or "cancelled" (a fill can still arrive while cancelling); ORDER_NOT_CANCELLABLE once it is terminal.',
      input: orderLookupInput,
      output: orderOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async (a, ctx) => ({ order: await services.orders.cancel(a.account, lookupOf(a), ctx.actor) }),
    }),
  );
  reg.add(
    defineTool({
      name: 'cancel_all_orders',
      title: 'Cancel all orders',
      description: 'Cancels every open order of the account (or of one market). Returns the order_ids asked to cancel.',
      input: cancelAllInput,
      output: cancelAllOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (a, ctx) => ({ cancelled: await services.orders.cancelAll(a.account, a.market, ctx.actor) }),
    }),
  );
}
