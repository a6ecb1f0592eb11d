/**
 * Model-based test (fc.commands) of one order's life: random interleavings of exchange answers,
 * user cancels, duplicate/out-of-order fills, timeouts, reconciliation and crash-and-restore. The
 * "real" side persists like the runtime does (only when a step says changed) and restarts from
 * the stored JSON; a shadow that never restarts must always agree with it. The model is a
 * deliberately coarse reference: fills, terminal outcomes and which commands may leave.
 * ORDER_PROP_RUNS=20000 for a longer run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, decStr, type Dec } from '../../src/domain/money.ts';
import { TERMINAL_STATUSES, type OrderStatus } from '../../src/domain/order.ts';
import {
  applyOrderEvent,
  createOrderSnapshot,
  persistOrderSnapshot,
  restoreOrderSnapshot,
  type OrderSnapshot,
  type OrderStep,
} from '../../machines/order.machine.ts';
import type { FillRecord, OrderEvent, OrderInput, ReconciledReport } from '../../machines/order.types.ts';

const RUNS = Number(process.env.ORDER_PROP_RUNS ?? 1000);
const AMOUNT = '1';
const POOL: FillRecord[] = ['0.2', '0.3', '0.5', '0.25', '0.6', '1.2'].map((amount, i) => ({
  fillId: `m${i}`,
  amount,
  price: '100',
  fee: '0.01',
  feeCurrency: 'usd',
  liquidity: 'taker',
  at: '2026-01-01T00:00:00.000Z',
}));

interface Model {
  filled: Dec;
  fillIds: string[];
  terminal?: OrderStatus;
  pending: boolean; // never submitted nor seen on the exchange
  landed: boolean; // the exchange showed it knows the order (ack id, fill, report id)
  cancelEver: boolean;
  submits: number;
  t: number;
}
interface Real {
  store: string; // what the runtime would have in the orders table
  live: OrderSnapshot;
  shadow: OrderSnapshot; // never restarted
}

const text = (s: OrderSnapshot) => JSON.stringify(persistOrderSnapshot(s));
const live = (m: Model) => m.terminal === undefined;

/** Model side of a new fill: capped at the amount; completing it ends the order filled. */
function modelFills(m: Model, fills: readonly FillRecord[]): void {
  for (const f of fills) {
    if (m.fillIds.includes(f.fillId)) continue;
    m.fillIds.push(f.fillId);
    m.filled = D.min(AMOUNT, m.filled.plus(f.amount));
    m.landed = true;
    m.pending = false;
  }
}

abstract class EventCommand implements fc.Command<Model, Real> {
  abstract event(at: string): OrderEvent;
  /** Update the model and check what the model can predict about this step. */
  abstract predict(m: Model, prev: OrderSnapshot, step: OrderStep): void;
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const e = this.event(new Date(Date.UTC(2026, 0, 1) + ++m.t * 1000).toISOString());
    const prev = r.live;
    const step = applyOrderEvent(prev, e);
    r.live = step.snapshot;
    if (step.changed) r.store = text(step.snapshot); // the runtime persists only changes
    r.shadow = applyOrderEvent(r.shadow, e).snapshot;
    const wasLive = live(m);
    this.predict(m, prev, step);
    if (!wasLive) expect(step).toEqual({ snapshot: prev, commands: [], changed: false });
    for (const c of step.commands) {
      if (c.kind === 'submit') m.submits++;
      if (c.kind === 'cancel') expect(m.cancelEver, 'cancel only after the user asked').toBe(true);
    }
    checkAgreement(m, r);
  }
  toString(): string {
    return JSON.stringify(this.event('t'));
  }
}

function checkAgreement(m: Model, r: Real): void {
  expect(text(r.live)).toBe(text(r.shadow));
  // What is stored restores to what is live: a step that said "unchanged" really changed nothing.
  expect(text(restoreOrderSnapshot(JSON.parse(r.store)))).toBe(text(r.live));
  const c = r.live.context;
  expect(c.filledAmount).toBe(decStr(m.filled));
  expect(c.fillIds).toEqual(m.fillIds);
  expect(TERMINAL_STATUSES.has(r.live.value) ? r.live.value : undefined).toBe(m.terminal);
  expect(m.submits).toBeLessThanOrEqual(1);
}

const simple = (type: 'SUBMIT' | 'CANCEL' | 'CANCEL_ACK' | 'EXPIRE', predict: EventCommand['predict']) =>
  fc.constant(
    new (class extends EventCommand {
      event = (at: string) => ({ type, at }) as OrderEvent;
      predict = predict;
    })(),
  );

const submit = simple('SUBMIT', (m, _prev, step) => {
  const expected = live(m) && m.pending ? [{ kind: 'submit' }] : [];
  expect(step.commands).toEqual(expected);
  if (expected.length) m.pending = false;
});
const cancel = simple('CANCEL', (m, prev, step) => {
  if (!live(m)) return;
  if (m.pending) return void (m.terminal = 'cancelled');
  m.cancelEver = true;
  expect(step.snapshot.value).toBe('cancelling');
  expect(step.commands).toEqual(prev.value === 'cancelling' ? [] : [{ kind: 'cancel' }]);
});
const cancelAck = simple('CANCEL_ACK', (m, prev, step) => {
  if (!live(m)) return;
  const expectCancelled = prev.value === 'cancelling' || (prev.value === 'unknown' && prev.context.cancelRequested);
  expect(step.snapshot.value).toBe(expectCancelled ? 'cancelled' : prev.value);
  if (expectCancelled) m.terminal = 'cancelled';
});
const expire = simple('EXPIRE', (m) => {
  if (live(m)) m.terminal = 'expired';
});

const ack = fc.constantFrom('X1', 'X2').map(
  (id) =>
    new (class extends EventCommand {
      event = (at: string): OrderEvent => ({ type: 'EXCHANGE_ACK', at, exchangeOrderId: id });
      predict = (m: Model, prev: OrderSnapshot, step: OrderStep) => {
        if (!live(m) || m.pending) return expect(step.changed).toBe(false);
        m.landed = true;
        expect(step.snapshot.context.exchangeOrderId).toBe(id);
        if (prev.value === 'submitting') expect(['open', 'partially_filled']).toContain(step.snapshot.value);
      };
    })(),
);
const reject = fc.constant(
  new (class extends EventCommand {
    event = (at: string): OrderEvent => ({ type: 'EXCHANGE_REJECT', at, reason: 'no' });
    predict = (m: Model, _prev: OrderSnapshot, step: OrderStep) => {
      if (live(m) && !m.pending && !m.landed) m.terminal = 'rejected';
      else expect(step.changed).toBe(false);
    };
  })(),
);
const fill = fc.integer({ min: 0, max: POOL.length - 1 }).map(
  (i) =>
    new (class extends EventCommand {
      event = (at: string): OrderEvent => ({ type: 'FILL', ...POOL[i]!, at });
      predict = (m: Model, _prev: OrderSnapshot, step: OrderStep) => {
        const isNew = !m.fillIds.includes(POOL[i]!.fillId);
        if (!live(m) || !isNew) return expect(step.changed).toBe(false);
        modelFills(m, [POOL[i]!]);
        if (m.filled.eq(AMOUNT)) m.terminal = 'filled';
      };
    })(),
);
const cancelReject = fc.constant(
  new (class extends EventCommand {
    event = (at: string): OrderEvent => ({ type: 'CANCEL_REJECT', at, reason: 'too late' });
    predict = (m: Model, prev: OrderSnapshot, step: OrderStep) => {
      if (!live(m) || prev.value !== 'cancelling') return expect(step.changed).toBe(false);
      expect(['open', 'partially_filled', 'unknown']).toContain(step.snapshot.value);
      expect(step.commands.map((c) => c.kind)).toEqual(['query']);
    };
  })(),
);
const outcomeUnknown = fc.constant(
  new (class extends EventCommand {
    event = (at: string): OrderEvent => ({ type: 'OUTCOME_UNKNOWN', at, reason: 'timeout' });
    predict = (m: Model, prev: OrderSnapshot, step: OrderStep) => {
      if (live(m) && (prev.value === 'submitting' || prev.value === 'cancelling')) {
        expect(step.snapshot.value).toBe('unknown');
        expect(step.commands).toEqual([{ kind: 'query', reason: 'timeout' }]);
      } else expect(step.changed).toBe(false);
    };
  })(),
);
const reconciled = fc
  .record({
    state: fc.constantFrom<ReconciledReport['state']>('open', 'open', 'filled', 'cancelled', 'expired', 'rejected', 'not_found'),
    fills: fc.uniqueArray(fc.integer({ min: 0, max: POOL.length - 1 }), { maxLength: 2 }),
  })
  .map(
    ({ state, fills }) =>
      new (class extends EventCommand {
        // A real report names the exchange's order id whenever the exchange has the order.
        report: ReconciledReport =
          state === 'not_found' ? { state, fills: [] } : { state, exchangeOrderId: 'X1', fills: fills.map((i) => POOL[i]!) };
        event = (at: string): OrderEvent => ({ type: 'RECONCILED', at, report: this.report });
        predict = (m: Model) => {
          if (!live(m)) return;
          if (state === 'not_found') {
            if (!m.pending && !m.landed) m.terminal = 'rejected';
            return;
          }
          modelFills(m, this.report.fills);
          m.landed = true;
          m.pending = false;
          if (m.filled.eq(AMOUNT)) m.terminal = 'filled';
          else if (state !== 'open') m.terminal = state;
        };
      })(),
  );

/** Crash and restart: the in-memory snapshot is lost, the stored one is restored. */
class Restart implements fc.Command<Model, Real> {
  check = () => true;
  run(_m: Model, r: Real): void {
    r.live = restoreOrderSnapshot(JSON.parse(r.store));
    expect(text(r.live)).toBe(text(r.shadow));
    expect(r.live.status).toBe(r.shadow.status);
  }
  toString = () => 'RESTART';
}

const INPUT: OrderInput = {
  orderId: '01JMODEL000000000000000000',
  account: 'paper:1',
  clientOrderId: 'model-1',
  market: 'btcusd',
  side: 'sell',
  type: 'limit',
  timeInForce: 'gtc',
  amount: AMOUNT,
  price: '100',
  postOnly: false,
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('order machine, model-based', () => {
  it('agrees with the model through random lives with crashes and restores', () => {
    const all = [submit, ack, reject, fill, fill, fill, cancel, cancelAck, cancelReject, expire, outcomeUnknown, reconciled, fc.constant(new Restart())];
    fc.assert(
      fc.property(fc.commands(all, { maxCommands: 40 }), (cmds) => {
        const s = createOrderSnapshot(INPUT).snapshot;
        const model: Model = { filled: new D(0), fillIds: [], pending: true, landed: false, cancelEver: false, submits: 0, t: 0 };
        fc.modelRun(() => ({ model, real: { store: text(s), live: s, shadow: s } }), cmds);
      }),
      { numRuns: RUNS },
    );
  });
});
