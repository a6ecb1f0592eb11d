/**
 * Human confirmation of orders on accounts with `require_confirmation` (CONTRACT additions 2026-12):
 * place_order asks through the caller's confirmer (MCP elicitation) after the order passed the
 * market rules and before anything is stored or sent; anything but "accept" places nothing.
 */
import type { AccountRecord } from '../domain/account.ts';
import { DomainError } from '../domain/errors.ts';
import { orderNotional } from '../domain/market.ts';
import { decStr } from '../domain/money.ts';
import type { OrderRequest } from '../domain/order.ts';
import type { MarketRules, OrderConfirmer } from './ports.ts';

/** The line the human reads, e.g. "BUY 0.01 BTC on btcusd at 50000 USD (limit, gtc), about 500 USD, on account main (bitstamp:123, live)". */
export function confirmationMessage(record: AccountRecord, market: MarketRules, req: OrderRequest, referencePrice: string | undefined): string {
  const how = req.type === 'limit' ? `at ${decStr(req.price ?? '0')} ${market.quote}` : `at ${req.type} price`;
  const tif = req.type === 'limit' ? `${req.type}, ${req.time_in_force ?? 'gtc'}${req.post_only ? ', post_only' : ''}` : req.type;
  const notional = orderNotional(req, referencePrice);
  const value = notional !== undefined ? `, about ${notional} ${market.quote}` : '';
  const id = req.client_order_id !== undefined ? `, client_order_id ${req.client_order_id}` : '';
  const a = record.account;
  return `${req.side.toUpperCase()} ${decStr(req.amount)} ${market.base} on ${market.market} ${how} (${tif})${value}, on account ${a.name} (${record.ref}, ${a.mode})${id}. Accept to place it.`;
}

/** Resolves when the human accepted; otherwise throws CONFIRMATION_REQUIRED/CONFIRMATION_DECLINED. */
export async function confirmOrder(record: AccountRecord, confirm: OrderConfirmer | undefined, message: string): Promise<void> {
  if (confirm === undefined)
    throw new DomainError(
      'CONFIRMATION_REQUIRED',
      `account ${record.ref} requires a human to confirm each order, and this client cannot ask one (it did not declare the MCP elicitation capability); use a client that supports elicitation, or turn require_confirmation off in the dashboard or with "exec-mcp accounts update"`,
    );
  const answer = await confirm({ account: record.ref, message });
  if (answer === 'accept') return;
  const why = answer === 'unanswered' ? 'got no answer in time' : answer === 'decline' ? 'was declined' : 'was cancelled';
  throw new DomainError('CONFIRMATION_DECLINED', `the confirmation of this order on ${record.ref} ${why}; nothing was placed`, { action: answer });
}
