/**
 * Executes operations of the stream through MCP and keeps the client's own record: for every
 * client_order_id what was sent, which order_ids the service answered with, and whether an answer
 * was lost (service killed). Contract breaches seen on the way (protocol errors, non-contract or
 * INTERNAL codes, a client_order_id answered with two order_ids, an acknowledged order that
 * get_order cannot find) are recorded as violations at once.
 */
import type { McpClient, Outcome } from './mcp-client.ts';
import { isContractCode } from './mcp-client.ts';
import type { Op, PlaceArgs } from './op-stream.ts';

export type ViolationKind = 'lost' | 'duplicated' | 'divergent' | 'contract';

export interface Violation {
  kind: ViolationKind;
  account: string;
  cid?: string;
  detail: string;
}

export interface CidRecord {
  cid: string;
  args: PlaceArgs;
  /** order_ids the service answered place_order (or get_order) with; more than one = duplicate. */
  orderIds: Set<string>;
  /** place_order calls that got no answer (the service died meanwhile). */
  unanswered: number;
  accepted: boolean;
  lastStatus?: string;
}

/** Moves the market on the exchange side (emulator trade / paper price). */
export type MarketMover = (price: string, amount: string) => void | Promise<void>;

export class LatencyStats {
  private readonly samples: number[] = [];
  add(ms: number): void {
    this.samples.push(ms);
  }
  get count(): number {
    return this.samples.length;
  }
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const s = [...this.samples].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  }
}

export class DriverLedger {
  readonly cids = new Map<string, CidRecord>();
  readonly violations: Violation[] = [];
  readonly outcomes: Record<string, number> = {};
  readonly latency = new LatencyStats();
  /** Orders known to be accepted by the service at least once (an answer with an order). */
  accepted = 0;

  constructor(readonly account: string) {}

  count(key: string): void {
    this.outcomes[key] = (this.outcomes[key] ?? 0) + 1;
  }

  violation(kind: ViolationKind, detail: string, cid?: string): void {
    this.violations.push({ kind, account: this.account, detail, ...(cid !== undefined ? { cid } : {}) });
  }

  /** The record of a client_order_id (created on first use). */
  register(args: PlaceArgs): CidRecord {
    let rec = this.cids.get(args.client_order_id);
    if (!rec) this.cids.set(args.client_order_id, (rec = { cid: args.client_order_id, args, orderIds: new Set(), unanswered: 0, accepted: false }));
    return rec;
  }

  /** client_order_ids whose last place_order got no answer and that are not known to be accepted. */
  unanswered(): CidRecord[] {
    return [...this.cids.values()].filter((r) => r.unanswered > 0 && !r.accepted);
  }

  /** Checks an outcome for contract breaches; returns it unchanged. */
  check(tool: string, o: Outcome, cid?: string): Outcome {
    this.count(`${tool}:${o.kind === 'error' ? o.code : o.kind}`);
    if (o.kind === 'protocol') this.violation('contract', `${tool}: ${o.message}`, cid);
    if (o.kind === 'error' && !isContractCode(o.code)) this.violation('contract', `${tool}: non-contract error code ${o.code}: ${o.message}`, cid);
    if (o.kind === 'error' && o.code === 'INTERNAL') this.violation('contract', `${tool}: INTERNAL: ${o.message}`, cid);
    return o;
  }

  /** Records an order the service answered with for `cid`. */
  sawOrder(cid: string, order: Record<string, unknown>): void {
    const rec = this.cids.get(cid);
    const id = String(order.order_id);
    if (!rec) return;
    if (order.client_order_id !== cid) this.violation('contract', `asked for ${cid}, got an order with client_order_id ${String(order.client_order_id)}`, cid);
    if (rec.orderIds.size > 0 && !rec.orderIds.has(id)) this.violation('duplicated', `${cid} answered with order ${id} after ${[...rec.orderIds].join(',')}`, cid);
    rec.orderIds.add(id);
    if (!rec.accepted) this.accepted++;
    rec.accepted = true;
    rec.lastStatus = String(order.status);
  }
}

export interface ExecContext {
  account: string;
  ledger: DriverLedger;
  move: MarketMover;
}

async function timed(ctx: ExecContext, client: McpClient, tool: string, args: Record<string, unknown>, cid?: string): Promise<Outcome> {
  const t0 = performance.now();
  const o = await client.call(tool, { account: ctx.account, ...args });
  if (o.kind === 'ok' || o.kind === 'error') ctx.ledger.latency.add(performance.now() - t0);
  return ctx.ledger.check(tool, o, cid);
}

async function place(ctx: ExecContext, client: McpClient, args: PlaceArgs): Promise<void> {
  const { ledger } = ctx;
  const rec = ledger.register(args);
  const o = await timed(ctx, client, 'place_order', { ...args }, args.client_order_id);
  if (o.kind === 'ok') ledger.sawOrder(args.client_order_id, o.data.order as Record<string, unknown>);
  // A definite refusal still names the stored (rejected) order: a second id for the same cid is a duplicate.
  else if (o.kind === 'error' && typeof o.details?.order === 'object') ledger.sawOrder(args.client_order_id, o.details.order as Record<string, unknown>);
  else if (o.kind === 'transport') rec.unanswered++;
  else rec.unanswered = 0; // a definite answer (an error): nothing to re-send
}

/** Runs one operation. Never throws for service-side failures; they land in the ledger. */
export async function executeOp(ctx: ExecContext, client: McpClient, op: Op): Promise<void> {
  const { ledger } = ctx;
  switch (op.kind) {
    case 'place':
      return place(ctx, client, op.args);
    case 'resend': {
      const rec = ledger.cids.get(op.cid);
      if (rec) await place(ctx, client, rec.args);
      return;
    }
    case 'cancel': {
      const rec = ledger.cids.get(op.cid);
      const orderId = rec ? [...rec.orderIds][0] : undefined;
      const lookup = op.by === 'order_id' && orderId !== undefined ? { order_id: orderId } : { client_order_id: op.cid };
      const o = await timed(ctx, client, 'cancel_order', lookup, op.cid);
      if (o.kind === 'ok') ledger.sawOrder(op.cid, o.data.order as Record<string, unknown>);
      return;
    }
    case 'get': {
      const rec = ledger.cids.get(op.cid);
      const o = await timed(ctx, client, 'get_order', { client_order_id: op.cid }, op.cid);
      if (o.kind === 'ok') ledger.sawOrder(op.cid, o.data.order as Record<string, unknown>);
      else if (o.kind === 'error' && o.code === 'ORDER_NOT_FOUND' && rec?.accepted)
        ledger.violation('lost', `get_order: acknowledged order ${op.cid} (${[...rec.orderIds].join(',')}) not found`, op.cid);
      return;
    }
    case 'list': {
      const o = await timed(ctx, client, 'list_orders', { status: 'open', limit: 200 });
      if (o.kind !== 'ok') return;
      const seen = new Set<string>();
      for (const order of o.data.orders as Array<Record<string, unknown>>) {
        const cid = String(order.client_order_id);
        if (seen.has(cid)) ledger.violation('duplicated', `list_orders shows client_order_id ${cid} twice`, cid);
        seen.add(cid);
      }
      return;
    }
    case 'move':
      await ctx.move(op.price, op.amount);
      ledger.count('move');
      return;
  }
}
