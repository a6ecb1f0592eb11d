import type { Context } from 'koa';
import { OPEN_STATUSES, ORDER_STATUSES, TERMINAL_STATUSES, type OrderStatus, type OrderView } from '../../domain/order.ts';
import type { OrderHistoryFilter, Services } from '../../services/ports.ts';
import { sendCsv, type CsvColumn } from '../csv.ts';
import { queryText } from './common.ts';
import { rangeQuery } from './history-query.ts';

const OPEN_LIST: readonly OrderStatus[] = [...OPEN_STATUSES];
const CLOSED_LIST: readonly OrderStatus[] = [...TERMINAL_STATUSES];

export const STATUS_CHOICES = ['all', 'open', 'closed', ...ORDER_STATUSES] as const;

/** The orders page's query (account, status, market, since, until) as a HistoryService filter. */
export interface OrderListQuery {
  filter: OrderHistoryFilter;
  values: { account: string; status: string; market: string; since: string; until: string };
  error?: string;
}

export function orderListQuery(ctx: Context): OrderListQuery {
  const account = queryText(ctx, 'account');
  const status = queryText(ctx, 'status') ?? 'all';
  const market = queryText(ctx, 'market')?.toLowerCase();
  const range = rangeQuery(ctx);
  const filter: OrderHistoryFilter = { ...range.range };
  if (account !== undefined) filter.account = account;
  if (market !== undefined) filter.market = market;
  if (status === 'open') filter.statuses = OPEN_LIST;
  else if (status === 'closed') filter.statuses = CLOSED_LIST;
  else if ((ORDER_STATUSES as readonly string[]).includes(status)) filter.statuses = [status as OrderStatus];
  const problems: string[] = [];
  if (!(STATUS_CHOICES as readonly string[]).includes(status)) problems.push(`status must be one of ${STATUS_CHOICES.join(', ')}`);
  if (range.error !== undefined) problems.push(range.error);
  const q: OrderListQuery = { filter, values: { account: account ?? '', status, market: market ?? '', ...range.values } };
  if (problems.length > 0) q.error = problems.join('; ');
  return q;
}

export const ORDER_CSV_COLUMNS: readonly CsvColumn<OrderView>[] = [
  { header: 'created_at', value: (o) => o.created_at },
  { header: 'updated_at', value: (o) => o.updated_at },
  { header: 'account', value: (o) => o.account },
  { header: 'order_id', value: (o) => o.order_id },
  { header: 'client_order_id', value: (o) => o.client_order_id },
  { header: 'exchange_order_id', value: (o) => o.exchange_order_id },
  { header: 'market', value: (o) => o.market },
  { header: 'side', value: (o) => o.side },
  { header: 'type', value: (o) => o.type },
  { header: 'time_in_force', value: (o) => o.time_in_force },
  { header: 'amount', value: (o) => o.amount },
  { header: 'price', value: (o) => o.price },
  { header: 'status', value: (o) => o.status },
  { header: 'status_reason', value: (o) => o.status_reason },
  { header: 'filled_amount', value: (o) => o.filled_amount },
  { header: 'average_price', value: (o) => o.average_price },
  { header: 'fee_total', value: (o) => o.fee_total },
];

/** `?format=csv` of the orders page: every order the filter matches. */
export function sendOrdersCsv(ctx: Context, services: Services, now: number, filter: OrderHistoryFilter): void {
  sendCsv(ctx, 'orders', now, ORDER_CSV_COLUMNS, (cursor, limit) => services.history.orders({ ...filter, ...(cursor !== undefined ? { cursor } : {}), limit }), (o) => [o]);
}
