/**
 * Random event sequences through the order machine (duplicate fills, fills after cancel,
 * out-of-order ack/fill, rejects, unknown, reconciliation) must keep DESIGN.md's invariants, and
 * persisting + restoring at any step must not change where the order ends. ORDER_PROP_RUNS=5000
 * for a longer run.
 */
import fc from 'fast-check';
import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { D, decStr } from '../../src/domain/money.ts';
import { TERMINAL_STATUSES } from '../../src/domain/order.ts';
import {
  applyOrderEvent,
  commandsFromActions,
  createOrderSnapshot,
  orderMachine,
  persistOrderSnapshot,
  restoreOrderSnapshot,
  type OrderSnapshot,
} from '../../machines/order.machine.ts';
import type { FillRecord, OrderCommand, OrderEvent, OrderInput, ReconciledReport } from '../../machines/order.types.ts';

const RUNS = Number(process.env.ORDER_PROP_RUNS ?? 500);

/** A fixed pool: one fill id always means the same fill, as on a real exchange. */
const POOL: FillRecord[] = ['0.1', '0.25', '0.5', '0.05', '1', '1.5', '0.3', '0.75'].map((amount, i) => ({
  fillId: `f${i}`,
  amount,
  price: ['99.5', '100', '101.25'][i % 3]!,
  fee: ['0', '0.01', '0.2'][i % 3]!,
  feeCurrency: 'usd',
  liquidity: i % 2 ? 'taker' : 'maker',
  at: '2026-01-01T00:00:00.000Z',
}));
const amountOf = new Map(POOL.map((f) => [f.fillId, f.amount]));

/** An event without its time; times are assigned in sequence order. */
type Timeless = OrderEvent extends infer E ? (E extends OrderEvent ? Omit<E, 'at'> : never) : never;

const fillIdx = fc.integer({ min: 0, max: POOL.length - 1 });
const eventArb: fc.Arbitrary<Timeless> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ type: 'SUBMIT' } as const) },
  { weight: 2, arbitrary: fc.constantFrom('X1', 'X2').map((id) => ({ type: 'EXCHANGE_ACK' as const, exchangeOrderId: id })) },
  { weight: 1, arbitrary: fc.constant({ type: 'EXCHANGE_REJECT' as const, reason: 'refused' }) },
  { weight: 6, arbitrary: fillIdx.map((i) => ({ type: 'FILL' as const, ...POOL[i]! })) },
  { weight: 2, arbitrary: fc.constant({ type: 'CANCEL' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'CANCEL_ACK' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'CANCEL_REJECT' as const, reason: 'too late' }) },
  { weight: 1, arbitrary: fc.option(fc.constant('gtd'), { nil: undefined }).map((reason) => ({ type: 'EXPIRE' as const, ...(reason ? { reason } : {}) })) },
  { weight: 2, arbitrary: fc.constant({ type: 'OUTCOME_UNKNOWN' as const, reason: 'timeout' }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        state: fc.constantFrom<ReconciledReport['state']>('open', 'open', 'filled', 'cancelled', 'expired', 'rejected', 'not_found'),
        fills: fc.uniqueArray(fillIdx, { maxLength: 3 }).map((is) => is.map((i) => POOL[i]!)),
        id: fc.option(fc.constantFrom('X1', 'X2'), { nil: undefined }),
      })
      .map(({ state, fills, id }) => ({
        type: 'RECONCILED' as const,
        report: { state, fills: state === 'not_found' ? [] : fills, ...(id && state !== 'not_found' ? { exchangeOrderId: id } : {}) },
      })),
  },
);

const scenarioArb = fc.record({
  amount: fc.constantFrom('1', '2.5', '0.3', '0.35'),
  events: fc.array(eventArb, { maxLength: 30 }),
  // Where to stop and restore (index into events), for the "restart once" property.
  cut: fc.nat(),
});

function inputFor(amount: string): OrderInput {
  return {
    orderId: '01JPROP0000000000000000000',
    account: 'paper:1',
    clientOrderId: 'prop-1',
    market: 'btcusd',
    side: 'buy',
    type: 'limit',
    timeInForce: 'gtc',
    amount,
    price: '100',
    postOnly: false,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

const timed = (events: Timeless[]): OrderEvent[] =>
  events.map((e, i) => ({ ...e, at: `2026-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z` }) as OrderEvent);

interface Trace {
  final: OrderSnapshot;
  commands: OrderCommand[];
}

function runAll(input: OrderInput, events: OrderEvent[], restoreAt?: (i: number) => boolean): Trace {
  let s = createOrderSnapshot(input).snapshot;
  const commands: OrderCommand[] = [];
  events.forEach((e, i) => {
    if (restoreAt?.(i)) s = restoreOrderSnapshot(JSON.parse(JSON.stringify(persistOrderSnapshot(s))));
    const step = applyOrderEvent(s, e);
    commands.push(...step.commands);
    s = step.snapshot;
  });
  return { final: s, commands };
}

const text = (s: OrderSnapshot) => JSON.stringify(persistOrderSnapshot(s));

describe('order machine invariants over random event sequences', () => {
  it('keeps filled ≤ amount, filled = capped sum of distinct fills, terminal absorbing, one submit at most', () => {
    fc.assert(
      fc.property(scenarioArb, ({ amount, events }) => {
        let s = createOrderSnapshot(inputFor(amount)).snapshot;
        let submits = 0;
        for (const e of timed(events)) {
          const before = s;
          const step = applyOrderEvent(s, e);
          s = step.snapshot;
          const c = s.context;
          // filled ≤ amount, and filled is the capped running sum of the distinct fills seen.
          expect(new D(c.filledAmount).lte(amount)).toBe(true);
          expect(new Set(c.fillIds).size).toBe(c.fillIds.length);
          const capped = c.fillIds.reduce((acc, id) => D.min(amount, acc.plus(amountOf.get(id)!)), new D(0));
          expect(c.filledAmount).toBe(decStr(capped));
          // Terminal states absorb every event.
          if (TERMINAL_STATUSES.has(before.value)) expect(step).toEqual({ snapshot: before, commands: [], changed: false });
          expect(s.status).toBe(TERMINAL_STATUSES.has(s.value) ? 'done' : 'active');
          // Nothing changed ⇒ nothing to send; changed ⇒ the time moved to the event's.
          if (!step.changed) expect(step.commands).toEqual([]);
          else expect(c.updatedAt).toBe(e.at);
          // Status agrees with the fills.
          if (new D(c.filledAmount).eq(amount)) expect(s.value).toBe('filled');
          if (s.value === 'open') expect(c.filledAmount).toBe('0');
          if (s.value === 'partially_filled') expect(new D(c.filledAmount).gt(0)).toBe(true);
          // A cancel command only when the user asked; never from a terminal state.
          for (const cmd of step.commands) {
            if (cmd.kind === 'cancel') expect(c.cancelRequested).toBe(true);
            expect(TERMINAL_STATUSES.has(s.value)).toBe(false);
            if (cmd.kind === 'submit') submits++;
          }
          // A repeated fill id changes nothing.
          if (e.type === 'FILL' && before.context.fillIds.includes(e.fillId)) expect(step.changed).toBe(false);
        }
        expect(submits).toBeLessThanOrEqual(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('restoring a persisted snapshot at any step and continuing ends exactly as never stopping', () => {
    fc.assert(
      fc.property(scenarioArb, ({ amount, events, cut }) => {
        const input = inputFor(amount);
        const evs = timed(events);
        const straight = runAll(input, evs);
        const once = runAll(input, evs, (i) => i === cut % (evs.length + 1));
        const always = runAll(input, evs, () => true);
        for (const t of [once, always]) {
          expect(text(t.final)).toBe(text(straight.final));
          expect(t.final.status).toBe(straight.final.status);
          expect(t.commands).toEqual(straight.commands);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("applyOrderEvent's fast path agrees with xstate's transition() at every step", () => {
    fc.assert(
      fc.property(scenarioArb, ({ amount, events }) => {
        let s = createOrderSnapshot(inputFor(amount)).snapshot;
        for (const e of timed(events)) {
          const [ref, actions] = transition(orderMachine, s, e);
          const step = applyOrderEvent(s, e);
          expect(step.snapshot.value).toBe(ref.value);
          expect(step.snapshot.context).toEqual(ref.context);
          expect(step.commands).toEqual(commandsFromActions(actions));
          expect(step.changed).toBe(ref !== s);
          s = step.snapshot;
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
