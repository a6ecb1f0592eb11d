/**
 * The ORDERS.jsonl of `exec-mcp backtest`: each line `{"at": timestamp, "place": {place_order args
 * without account}}` or `{"at": timestamp, "cancel": client_order_id}`, in time order. A place
 * without client_order_id gets "line-<n>", so both runners (service and sim-only) send the
 * simulator identical commands and the digest matches. Also the sim-only runner itself.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { DomainError } from '../src/domain/errors.ts';
import { clientOrderIdSchema, orderRequestSchema, type OrderRequest } from '../src/domain/order.ts';
import type { PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import { BacktestSession, type SimReport } from './backtest-session.ts';
import { parseTimestamp } from './market-data/rows.ts';

const atSchema = z
  .union([z.number().int().nonnegative(), z.string()])
  .refine((v) => typeof v === 'number' || /^\d{1,15}$/.test(v) || !Number.isNaN(Date.parse(v)), 'expected an ISO-8601 timestamp or epoch milliseconds');
const lineSchema = z.union([
  z.object({ at: atSchema, place: orderRequestSchema }).strict(),
  z.object({ at: atSchema, cancel: clientOrderIdSchema }).strict(),
]);

export type ScriptStep = { line: number; at: number } & ({ place: OrderRequest & { client_order_id: string } } | { cancel: string });

export function parseOrdersScript(text: string, source: string): ScriptStep[] {
  const steps: ScriptStep[] = [];
  let n = 0;
  let prev = -Infinity;
  for (const raw of text.split('\n')) {
    n++;
    const line = raw.trim();
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new DomainError('INVALID_ARGUMENT', `${source} line ${n}: expected one JSON object per line`, { source, line: n });
    }
    const r = lineSchema.safeParse(obj);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const field = issue.path.map(String).join('.') || 'line';
      const hint = issue.code === 'invalid_union' ? 'expected {"at", "place": {...}} or {"at", "cancel": client_order_id}' : issue.message;
      throw new DomainError('INVALID_ARGUMENT', `${source} line ${n}: field "${field}": ${hint}`, { source, line: n, field });
    }
    const at = typeof r.data.at === 'number' ? r.data.at : parseTimestamp(r.data.at);
    if (at < prev) throw new DomainError('INVALID_ARGUMENT', `${source} line ${n}: field "at": expected lines in time order`, { source, line: n, field: 'at' });
    prev = at;
    if ('place' in r.data) steps.push({ line: n, at, place: { ...r.data.place, client_order_id: r.data.place.client_order_id ?? `line-${n}` } });
    else steps.push({ line: n, at, cancel: r.data.cancel });
  }
  return steps;
}

export function readOrdersScript(file: string): ScriptStep[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `orders file ${file} does not exist or cannot be read`);
  }
  return parseOrdersScript(text, file);
}

export function toPlaceCommand(o: OrderRequest & { client_order_id: string }): PlaceOrderCommand {
  const cmd: PlaceOrderCommand = {
    clientOrderId: o.client_order_id,
    market: o.market,
    side: o.side,
    type: o.type,
    amount: o.amount,
    timeInForce: o.time_in_force ?? 'gtc',
    postOnly: o.post_only ?? false,
  };
  if (o.price !== undefined) cmd.price = o.price;
  if (o.expire_time !== undefined) cmd.expireTime = o.expire_time;
  return cmd;
}

export interface Rejection {
  line: number;
  client_order_id: string;
  code: string;
  message: string;
}

/** Runs a script straight on the simulator (no service, no database). */
export function runScript(session: BacktestSession, steps: ScriptStep[]): { report: SimReport; rejected: Rejection[] } {
  const rejected: Rejection[] = [];
  for (const s of steps) {
    session.runUntil(Math.max(s.at, session.clock()));
    try {
      if ('place' in s) session.engine.place(toPlaceCommand(s.place));
      else session.engine.cancel({ clientOrderId: s.cancel });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      rejected.push({ line: s.line, client_order_id: 'place' in s ? s.place.client_order_id : s.cancel, code: e.code, message: e.message });
    }
  }
  session.runToEnd();
  return { report: session.report(), rejected };
}
