import type { AccountDirectory, AccountRecord } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import type { OrderView } from '../domain/order.ts';
import type { OrderEvent } from '../../machines/order.types.ts';
import { endedBacktestReason } from '../exchanges/closed-venue.ts';

export interface RetireEndedBacktestsDeps {
  directory: AccountDirectory;
  orders: { list(account: string, filter: { status: 'open' }): OrderView[] };
  runtime: { send(orderId: string, event: OrderEvent, actor: string): Promise<OrderView> };
  /** True when the backtest account has a session in this process. */
  hasSession: (accountRef: string) => boolean;
  clock: Clock;
}

/**
 * On start: the orders still open on backtest accounts whose session ended with the restart can
 * never fill again (their simulated exchange is gone), so they expire, with the reason. Returns
 * how many expired. (A backtest ended to make room expires its orders the same way at once.)
 */
export async function retireEndedBacktests(deps: RetireEndedBacktestsDeps, actor: string): Promise<number> {
  let expired = 0;
  for (const record of deps.directory.all()) {
    if (record.account.mode !== 'backtest' || deps.hasSession(record.ref)) continue;
    expired += await expireOrdersOfEndedBacktest(record, deps, actor);
  }
  return expired;
}

/** The open orders of one backtest account whose session ended expire, with the reason; returns how many. */
export async function expireOrdersOfEndedBacktest(
  record: AccountRecord,
  deps: Pick<RetireEndedBacktestsDeps, 'orders' | 'runtime' | 'clock'>,
  actor: string,
): Promise<number> {
  const reason = endedBacktestReason(record.account.name);
  const open = deps.orders.list(record.ref, { status: 'open' });
  for (const o of open) await deps.runtime.send(o.order_id, { type: 'EXPIRE', at: isoAt(deps.clock.now()), reason }, actor);
  return open.length;
}
