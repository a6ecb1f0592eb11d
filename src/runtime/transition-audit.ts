/**
 * What the audit log records about each order transition: the action name and a compact payload.
 * Both are on every transition's path, so they are built cheaply (cached names, pre-sorted keys).
 */
import type { OrderStatus } from '../domain/order.ts';
import type { OrderCommand, OrderEvent } from '../../machines/order.types.ts';

const AUDIT_ACTIONS = new Map<string, string>();
/** "order.<event type, lower case>", built once per type (it is on every transition). */
export function auditAction(type: OrderEvent['type']): string {
  let action = AUDIT_ACTIONS.get(type);
  if (action === undefined) AUDIT_ACTIONS.set(type, (action = `order.${type.toLowerCase()}`));
  return action;
}

/**
 * What the audit row says about a transition: compact (it is hashed on every transition), never a
 * secret. Keys are added in sorted order, which spares the audit log's canonical JSON a sort.
 */
export function auditPayload(from: OrderStatus, to: OrderStatus, e: OrderEvent, commands: readonly OrderCommand[]): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  switch (e.type) {
    case 'FILL':
      p.amount = e.amount;
      if (commands.length > 0) p.commands = commands.map((c) => c.kind);
      p.fee = e.fee;
      p.fill_id = e.fillId;
      p.from = from;
      p.price = e.price;
      break;
    case 'EXCHANGE_ACK':
      if (commands.length > 0) p.commands = commands.map((c) => c.kind);
      p.exchange_order_id = e.exchangeOrderId;
      p.from = from;
      break;
    case 'RECONCILED':
      if (commands.length > 0) p.commands = commands.map((c) => c.kind);
      if (e.report.exchangeOrderId !== undefined) p.exchange_order_id = e.report.exchangeOrderId;
      if (e.report.fills.length > 0) p.fill_ids = e.report.fills.map((f) => f.fillId);
      p.from = from;
      if (e.report.reason !== undefined) p.reason = e.report.reason;
      p.state = e.report.state;
      break;
    default:
      if (commands.length > 0) p.commands = commands.map((c) => c.kind);
      p.from = from;
      if ('reason' in e && e.reason !== undefined) p.reason = e.reason;
  }
  p.to = to;
  return p;
}
