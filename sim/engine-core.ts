/**
 * The engine's internal surface shared by its parts (order intake, matching, order timers).
 * Structural, so those parts never import engine.ts and the MatchingEngine facade can import them
 * without an import cycle (the same pattern as EngineInternals in engine-state.ts).
 */
import type { Dec } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';
import type { FillReport } from '../src/exchanges/adapter.ts';
import type { TimerHeap } from './heap.ts';
import type { Ledger } from './ledger.ts';
import type { MarketState } from './market-state.ts';
import type { SimOrder } from './order.ts';
import type { SimRandom } from './random.ts';
import type { QueueOptions, SimEvent } from './types.ts';

export interface EngineCore {
  nowMs: number;
  orderSeq: number;
  fillSeq: number;
  restCount: number;
  readonly rng: SimRandom;
  readonly ledger: Ledger;
  readonly open: Map<number, SimOrder>;
  readonly fillLog: FillReport[];
  /** Recorded events since the last drainEvents() (pushed only when `record`). */
  readonly events: SimEvent[];
  readonly timers: TimerHeap;
  /** Time of the earliest pending timer (Infinity when none): keeps the trade hot path cheap. */
  nextTimerAt: number;
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly slippageBps: number;
  readonly touch: boolean;
  /** probFillOnTouch (1 = always, no PRNG draw). */
  readonly touchProb: number;
  /** Share of each print's amount the account can trade, (0, 1]. */
  readonly participation: number;
  /** Queue model of resting orders (queue.ts); undefined = none. */
  readonly queue: QueueOptions | undefined;
  readonly record: boolean;
  market(id: string): MarketState;
  rulesOf(ms: MarketState): Market;
  ratesOf(ms: MarketState): { maker: Dec; taker: Dec; max: Dec };
  track(o: SimOrder): void;
  close(o: SimOrder, state: 'cancelled' | 'expired' | 'rejected', reason: string): void;
  finish(o: SimOrder, state: 'filled' | 'cancelled' | 'expired' | 'rejected'): void;
  emitUpdate(o: SimOrder): void;
}
