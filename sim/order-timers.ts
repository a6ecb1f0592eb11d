/**
 * Simulated-time work of the engine: order arrivals (after latency) and expiries (GTD / DAILY time in
 * force) kept in a timer heap and run in time order as the clock advances. No wall clock here.
 */
import type { PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import type { Timer } from './heap.ts';
import { REASONS, type SimOrder } from './order.ts';
import type { EngineCore } from './engine-core.ts';
import { arrive } from './matching.ts';

const DAY_MS = 86_400_000;

/** Sets when a new order expires: GTD at its expire time, DAILY at the next UTC midnight. */
export function applyExpiry(o: SimOrder, expireTime: PlaceOrderCommand['expireTime'], nowMs: number): void {
  if (o.tif === 'gtd' && expireTime) o.expireAt = Date.parse(expireTime);
  if (o.tif === 'daily') o.expireAt = (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
}

export function scheduleTimer(e: EngineCore, t: Timer): void {
  e.timers.push(t);
  if (t.at < e.nextTimerAt) e.nextTimerAt = t.at;
}

/** Moves simulated time forward to ts (never backwards), running arrivals and expiries on the way. */
export function runTimersUntil(e: EngineCore, ts: number): void {
  while (e.nextTimerAt <= ts) {
    const t = e.timers.pop()!;
    e.nextTimerAt = e.timers.peek()?.at ?? Infinity;
    if (t.at > e.nowMs) e.nowMs = t.at;
    runTimer(e, t);
  }
  if (ts > e.nowMs) e.nowMs = ts;
}

/** Simulated latency of one command (an order or a cancel): latencyMs + uniform [0, jitter] from the seeded PRNG (no draw without jitter). */
export function drawLatency(e: EngineCore): number {
  return e.latencyMs + (e.jitterMs > 0 ? e.rng.int(e.jitterMs + 1) : 0);
}

function runTimer(e: EngineCore, t: Timer): void {
  const o = e.open.get(t.orderSeq);
  if (!o) return;
  if (t.kind === 0) e.close(o, 'expired', o.tif === 'daily' ? REASONS.expiredDaily : REASONS.expiredGtd);
  else if (t.kind === 2) e.close(o, 'cancelled', REASONS.userCancel);
  else if (!o.arrived) arrive(e, o);
}
