import { DomainError } from '../domain/errors.ts';
import type {
  BalanceReport,
  ExchangeAdapter,
  FeeReport,
  FillReport,
  OrderAck,
  OrderStatusReport,
} from './adapter.ts';

/**
 * The exchange of an account whose venue no longer exists: a backtest account after a restart
 * (its simulator lived in memory only). It holds no orders and no fills; new orders are refused
 * as definitely not placed, and reads of balances or fees fail with the reason, so the account
 * never falls back to a live simulator with the wall clock.
 */
export class ClosedVenueAdapter implements ExchangeAdapter {
  constructor(
    readonly exchange: string,
    private readonly reason: string,
  ) {}

  placeOrder(): Promise<OrderAck> {
    return Promise.reject(new DomainError('EXCHANGE_REJECTED', `${this.reason}; the order was not placed`));
  }

  cancelOrder(): Promise<void> {
    return Promise.reject(new DomainError('ORDER_NOT_FOUND', `${this.reason}; it has no open orders`));
  }

  cancelAllOrders(): Promise<string[]> {
    return Promise.resolve([]);
  }

  queryOrder(): Promise<OrderStatusReport | null> {
    return Promise.resolve(null);
  }

  listOpenOrders(): Promise<OrderStatusReport[]> {
    return Promise.resolve([]);
  }

  listFills(): Promise<FillReport[]> {
    return Promise.resolve([]);
  }

  getBalances(): Promise<BalanceReport[]> {
    return Promise.reject(new DomainError('EXCHANGE_UNAVAILABLE', this.reason));
  }

  getFees(): Promise<FeeReport[]> {
    return Promise.reject(new DomainError('EXCHANGE_UNAVAILABLE', this.reason));
  }

  subscribe(): () => void {
    return () => undefined;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Why a backtest account without a live session cannot trade. */
/** Why a backtest's simulated exchange can be gone (it lives in memory only). */
export const ENDED_BACKTEST_CAUSES =
  'its simulated exchange is no longer in memory (backtests end with a restart of exec-mcp, and the least recently used end when newer backtests need the room)';

export function endedBacktestReason(accountName: string): string {
  return `backtest account ${accountName}: ${ENDED_BACKTEST_CAUSES}; create a new backtest`;
}
