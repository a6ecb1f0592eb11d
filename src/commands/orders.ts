/**
 * `exec-mcp orders list|cancel|cancel-all`: the operator's view of orders and the brake from a
 * shell. Lists read the store; cancels go through the order actors of whoever owns the data dir
 * (brake-target.ts: relayed to a running serve, else this process), audited with actor "cli".
 */
import { DomainError } from '../domain/errors.ts';
import type { OrderView } from '../domain/order.ts';
import type { BrakeServices } from '../services/brake.ts';
import type { ListOrdersFilter, OrderLookup } from '../services/ports.ts';
import { UsageError } from './args.ts';
import { type BrakeCliIo, invocation, printCancels, realIo, runCli, table } from './brake-cli.ts';
import { brakeFor } from './brake-target.ts';
import { commandHelp } from './command-table.ts';

const SPEC: Record<string, { args: number; flags: string[] }> = {
  list: { args: 0, flags: ['account', 'status', 'market', 'limit', 'json'] },
  cancel: { args: 1, flags: ['account', 'client-order-id', 'json'] },
  'cancel-all': { args: 0, flags: ['account', 'json'] },
};
const CANCEL_BY_CLIENT_ID = { args: 0, flags: SPEC['cancel']!.flags };

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runOrders(args, env, realIo());
}

export async function runOrders(args: string[], env: NodeJS.ProcessEnv, io: BrakeCliIo): Promise<number> {
  const usage = commandHelp('orders').trimEnd();
  return runCli(usage, io, async (open) => {
    // `cancel --account X --client-order-id C` names the order without a positional ORDER_ID.
    const byClientId = args[0] === 'cancel' && args.some((a) => a === '--client-order-id' || a.startsWith('--client-order-id='));
    const inv = invocation('orders', args, env, byClientId ? { ...SPEC, cancel: CANCEL_BY_CLIENT_ID } : SPEC, ['json']);
    const json = inv.own['json'] === true;
    const account = inv.str('account');
    switch (inv.sub) {
      case 'list': {
        const filter: ListOrdersFilter & { account?: string } = {};
        const status = inv.str('status');
        if (status !== undefined) {
          if (status !== 'open' && status !== 'closed' && status !== 'all') throw new UsageError('--status must be open, closed or all');
          filter.status = status;
        }
        const market = inv.str('market');
        if (market !== undefined) filter.market = market.toLowerCase();
        const limit = inv.str('limit');
        if (limit !== undefined) {
          if (!/^\d{1,4}$/.test(limit)) throw new UsageError('--limit must be a whole number from 1 to 1000');
          filter.limit = Number(limit);
        }
        if (account !== undefined) filter.account = account;
        const app = await open(inv.config, 'orders');
        const orders = app.services.orders.listAll(filter);
        io.stdout.write(json ? JSON.stringify({ orders }, null, 2) + '\n' : formatOrders(orders));
        return 0;
      }
      case 'cancel': {
        const clientOrderId = inv.str('client-order-id');
        if (clientOrderId !== undefined && account === undefined) throw new UsageError('orders cancel --client-order-id needs --account (client order ids are unique per account)');
        const lookup: OrderLookup = clientOrderId !== undefined ? { client_order_id: clientOrderId } : { order_id: inv.positional[0]! };
        const app = await open(inv.config, 'orders');
        const ref = account ?? accountOfOrder(app.services, inv.positional[0]!);
        app.services.orders.get(ref, lookup); // ORDER_NOT_FOUND here, before anything is started or relayed
        const brake = await brakeFor(inv.config, app, io.fetch);
        const o = await brake.cancel(ref, lookup);
        if (json) io.stdout.write(JSON.stringify({ via: brake.via, order: o }, null, 2) + '\n');
        else io.stdout.write(`order ${o.order_id} (${o.client_order_id}) on ${o.account}: ${o.status === 'cancelled' ? 'cancelled' : `cancel sent, now ${o.status}`}${o.status_reason ? ` (${o.status_reason})` : ''} (${brake.via})\n`);
        return 0;
      }
      case 'cancel-all': {
        if (account === undefined) throw new UsageError('orders cancel-all needs --account REF (every account at once: exec-mcp kill-switch on --cancel-open)');
        const app = await open(inv.config, 'orders');
        app.services.accounts.get(account); // ACCOUNT_NOT_FOUND before anything is started or relayed
        const brake = await brakeFor(inv.config, app, io.fetch);
        return printCancels(io, brake.via, await brake.cancelAll(account), json);
      }
    }
    throw new UsageError(`unknown orders command "${inv.sub}"`);
  });
}

/** The account holding ORDER_ID (order ids are unique across accounts). */
function accountOfOrder(s: BrakeServices, orderId: string): string {
  for (const a of s.accounts.list()) {
    const ref = `${a.exchange}:${a.exchange_account_id}`;
    try {
      s.orders.get(ref, { order_id: orderId });
      return ref;
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'ORDER_NOT_FOUND') throw e;
    }
  }
  throw new DomainError('ORDER_NOT_FOUND', `no order ${orderId.slice(0, 64)} on any account; list them with "exec-mcp orders list"`);
}

function formatOrders(orders: readonly OrderView[]): string {
  if (orders.length === 0) return 'no orders\n';
  return table([
    ['ORDER_ID', 'CLIENT_ORDER_ID', 'ACCOUNT', 'MARKET', 'SIDE', 'TYPE', 'AMOUNT', 'PRICE', 'STATUS', 'FILLED', 'CREATED'],
    ...orders.map((o) => [o.order_id, o.client_order_id, o.account, o.market, o.side, o.type, o.amount, o.price ?? '-', o.status, o.filled_amount, o.created_at]),
  ]);
}
