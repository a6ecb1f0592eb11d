/**
 * The order machine's contract, shared by machines/order.machine.ts (pure) and src/runtime (which
 * persists snapshots and turns emitted commands into outbox rows). Time and ids arrive in events
 * and input: the machine reads no clock and no randomness.
 */
import type { Liquidity, OrderStatus, OrderType, Side, TimeInForce } from '../src/domain/order.ts';

export const ORDER_MACHINE_VERSION = 1;

export interface OrderInput {
  orderId: string; // public id (ULID)
  account: string; // public account reference "<exchange>:<id>"
  clientOrderId: string;
  market: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  amount: string;
  price?: string;
  expireTime?: string;
  postOnly: boolean;
  createdAt: string; // ISO
}

export interface FillRecord {
  fillId: string;
  amount: string;
  price: string;
  fee: string;
  feeCurrency: string;
  liquidity: Liquidity;
  at: string;
}

export interface OrderContext extends OrderInput {
  exchangeOrderId?: string;
  /** Sum of distinct fills' amounts (decimal string). */
  filledAmount: string;
  /** Sum of fill amount*price, for the average price. */
  filledNotional: string;
  feeTotal: string;
  /** Distinct fill ids seen (a repeated id changes nothing). */
  fillIds: string[];
  statusReason?: string;
  updatedAt: string;
  /** A cancel was requested by the user (kept across ack/fill races). */
  cancelRequested: boolean;
}

/** The exchange's view, used by RECONCILED to jump to the truth from any non-terminal state. */
export interface ReconciledReport {
  state: 'open' | 'filled' | 'cancelled' | 'expired' | 'rejected' | 'not_found';
  exchangeOrderId?: string;
  fills: FillRecord[];
  reason?: string;
}

export type OrderEvent =
  | { type: 'SUBMIT'; at: string }
  | { type: 'EXCHANGE_ACK'; at: string; exchangeOrderId: string }
  | { type: 'EXCHANGE_REJECT'; at: string; reason: string }
  | ({ type: 'FILL' } & FillRecord)
  | { type: 'CANCEL'; at: string }
  | { type: 'CANCEL_ACK'; at: string }
  | { type: 'CANCEL_REJECT'; at: string; reason: string }
  | { type: 'EXPIRE'; at: string; reason?: string }
  | { type: 'OUTCOME_UNKNOWN'; at: string; reason: string }
  | { type: 'RECONCILED'; at: string; report: ReconciledReport };

export type OrderEventType = OrderEvent['type'];
export const ORDER_EVENT_TYPES: readonly OrderEventType[] = [
  'SUBMIT',
  'EXCHANGE_ACK',
  'EXCHANGE_REJECT',
  'FILL',
  'CANCEL',
  'CANCEL_ACK',
  'CANCEL_REJECT',
  'EXPIRE',
  'OUTCOME_UNKNOWN',
  'RECONCILED',
];

/**
 * Side effects a transition asks for. They leave the machine as data (named actions), the runtime
 * writes them to the outbox in the same transaction as the snapshot, and executes them after commit.
 * - submit: send the order (with clientOrderId) to the exchange.
 * - cancel: cancel it (by exchangeOrderId if known, else clientOrderId).
 * - query: ask the exchange for the order's truth (by clientOrderId), then send RECONCILED.
 */
export type OrderCommand = { kind: 'submit' } | { kind: 'cancel' } | { kind: 'query'; reason: string };

/** State value of the machine = the public status. */
export type OrderState = OrderStatus;
