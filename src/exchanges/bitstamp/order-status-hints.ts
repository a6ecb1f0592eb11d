/**
 * Market and side for an order_status reply that omits them (documented as optional): what the
 * adapter saw of the order, the caller's locator, the transactions' currency keys; for the side of
 * an open order its open_orders row, of a traded one the sign of its user_transactions rows.
 */
import type { z } from 'zod';
import type { Side } from '../../domain/order.ts';
import type { OrderLocator, OrderStatusReport } from '../adapter.ts';
import { marketFromCurrencies, marketPartsOf, type OrderHintBook } from './order-hints.ts';
import {
  bitstampDatetimeToIso,
  splitMarketName,
  transactionCurrencies,
  userTransactionToFill,
  type OrderHints,
  type orderStatusSchema,
  type userTransactionSchema,
} from './parse.ts';

type OrderStatus = z.output<typeof orderStatusSchema>;
type TxParams = { limit: number; sort: 'asc'; since_timestamp?: number };

export interface StatusHintDeps {
  book: OrderHintBook;
  quoteOf: (market: string) => string | undefined;
  openOrders: (market?: string) => Promise<OrderStatusReport[]>;
  userTransactions: (params: TxParams, market: string) => Promise<Array<z.output<typeof userTransactionSchema>>>;
  /** Called when nothing tells the side of an order without fills (reported as buy). */
  onGuessedSide: () => void;
}

const TX_PAGE = 1000;

export async function hintsForStatus(o: OrderStatus, locator: OrderLocator, d: StatusHintDeps): Promise<OrderHints> {
  if (o.market !== undefined && o.type !== undefined) return {};
  const seen = d.book.lookup({ exchangeOrderId: o.id, clientOrderId: o.client_order_id ?? locator.clientOrderId });
  const hints: OrderHints = {};
  const symbol = seen.market ?? locator.market;
  const parts =
    (o.market !== undefined ? splitMarketName(o.market) : undefined) ??
    (symbol !== undefined ? marketPartsOf(symbol, d.quoteOf) : undefined) ??
    marketFromCurrencies(transactionCurrencies(o), d.quoteOf);
  if (parts) hints.market = parts;
  let side: Side | undefined = o.type ?? seen.side;
  if (side === undefined && o.status.toLowerCase() === 'open') side = (await d.openOrders(parts?.market)).find((r) => r.exchangeOrderId === o.id)?.side;
  if (side === undefined && o.transactions.length > 0 && parts) side = await sideFromTransactions(o, parts.market, d);
  if (side === undefined && o.transactions.length === 0) {
    // Nothing was traded, so no fill depends on it; the report still needs a value.
    d.onGuessedSide();
    side = 'buy';
  }
  if (side !== undefined) hints.side = side;
  return hints;
}

/** The side of a traded order from the sign of its base amounts in user_transactions. */
async function sideFromTransactions(o: OrderStatus, market: string, d: StatusHintDeps): Promise<Side | undefined> {
  const times = o.transactions.map((t) => Date.parse(bitstampDatetimeToIso(t.datetime) ?? '')).filter((t) => !Number.isNaN(t));
  const params: TxParams = { limit: TX_PAGE, sort: 'asc' };
  if (times.length > 0) params.since_timestamp = Math.floor(Math.min(...times) / 1000) - 1;
  for (const row of await d.userTransactions(params, market)) {
    if (row.order_id !== o.id) continue;
    const f = userTransactionToFill(row, 'user_transactions/');
    if (f) return f.side;
  }
  return undefined;
}
