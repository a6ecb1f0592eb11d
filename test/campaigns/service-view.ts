/**
 * The service's own view of one account: through MCP while it runs (list_orders status all,
 * list_fills, get_balances refresh) and, complete, from its projection tables after it stopped
 * (list_orders is capped at 1000 rows; a soak places more). The two must agree row for row.
 */
import Database from 'better-sqlite3';
import { D, decStr } from '../../src/domain/money.ts';
import type { Balances } from './exchange-truth.ts';
import type { McpClient } from './mcp-client.ts';

export interface ServiceOrder {
  order_id: string;
  client_order_id: string;
  exchange_order_id?: string;
  market: string;
  side: string;
  status: string;
  amount: string;
  filled_amount: string;
  status_reason?: string;
}

export interface ServiceFill {
  fill_id: string;
  order_id: string;
  amount: string;
  price: string;
  fee: string;
}

export interface ServiceView {
  orders: ServiceOrder[];
  fills: ServiceFill[];
}

const canon = (s: string): string => decStr(new D(s));

export function serviceViewFromDb(dbFile: string, accountRef: string): ServiceView {
  const [exchange, ...rest] = accountRef.split(':');
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const acc = db.prepare('SELECT id FROM accounts WHERE exchange = ? AND exchange_account_id = ?').get(exchange, rest.join(':')) as { id: number } | undefined;
    if (!acc) throw new Error(`no account ${accountRef} in ${dbFile}`);
    const orders = (
      db
        .prepare('SELECT order_id, client_order_id, exchange_order_id, market, side, status, amount, filled_amount, status_reason FROM orders WHERE account_id = ? ORDER BY id')
        .all(acc.id) as Array<Record<string, string | null>>
    ).map((r) => {
      const o: ServiceOrder = {
        order_id: r.order_id!,
        client_order_id: r.client_order_id!,
        market: r.market!,
        side: r.side!,
        status: r.status!,
        amount: canon(r.amount!),
        filled_amount: canon(r.filled_amount!),
      };
      if (r.exchange_order_id) o.exchange_order_id = r.exchange_order_id;
      if (r.status_reason) o.status_reason = r.status_reason;
      return o;
    });
    const fills = (db.prepare('SELECT fill_id, order_id, amount, price, fee FROM fills WHERE account_id = ? ORDER BY id').all(acc.id) as Array<Record<string, string>>).map((r) => ({
      fill_id: r.fill_id!,
      order_id: r.order_id!,
      amount: canon(r.amount!),
      price: canon(r.price!),
      fee: canon(r.fee!),
    }));
    return { orders, fills };
  } finally {
    db.close();
  }
}

/** Orders (newest 1000) and fills through MCP; undefined fields when a call failed. */
export async function serviceViewFromMcp(client: McpClient, account: string): Promise<{ orders?: ServiceOrder[]; fills?: ServiceFill[]; balances?: Balances; errors: string[] }> {
  const errors: string[] = [];
  const out: { orders?: ServiceOrder[]; fills?: ServiceFill[]; balances?: Balances; errors: string[] } = { errors };
  const o = await client.call('list_orders', { account, status: 'all', limit: 1000 });
  if (o.kind === 'ok') out.orders = (o.data.orders as ServiceOrder[]).map((x) => ({ ...x, amount: canon(x.amount), filled_amount: canon(x.filled_amount) }));
  else errors.push(`list_orders: ${JSON.stringify(o)}`);
  const f = await client.call('list_fills', { account, limit: 1000 });
  if (f.kind === 'ok') out.fills = (f.data.fills as ServiceFill[]).map((x) => ({ fill_id: x.fill_id, order_id: x.order_id, amount: canon(x.amount), price: canon(x.price), fee: canon(x.fee) }));
  else errors.push(`list_fills: ${JSON.stringify(f)}`);
  const b = await client.call('get_balances', { account, refresh: true });
  if (b.kind === 'ok') {
    const balances: Balances = {};
    for (const x of b.data.balances as Array<{ currency: string; total: string; reserved: string }>) balances[x.currency.toUpperCase()] = { total: canon(x.total), reserved: canon(x.reserved) };
    out.balances = balances;
  } else errors.push(`get_balances: ${JSON.stringify(b)}`);
  return out;
}

const OPEN_STATUSES = new Set(['pending', 'submitting', 'cancelling', 'unknown']);

/** Orders still waiting for the exchange's word (submitting/cancelling/unknown/pending), via MCP. */
export async function unsettledOrders(client: McpClient, account: string): Promise<ServiceOrder[] | undefined> {
  const o = await client.call('list_orders', { account, status: 'open', limit: 1000 });
  if (o.kind !== 'ok') return undefined;
  return (o.data.orders as ServiceOrder[]).filter((x) => OPEN_STATUSES.has(x.status));
}
