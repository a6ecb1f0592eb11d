/**
 * The order machine's context arithmetic, reasons, snapshot persistence and projection. The
 * state × event coverage lives in order-machine-table.test.ts (driven by machines/order.table.md).
 */
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.ts';
import { orderViewSchema } from '../../src/domain/order.ts';
import {
  applyOrderEvent,
  commandsFromActions,
  createOrderSnapshot,
  migrateOrderSnapshot,
  persistOrderSnapshot,
  restoreOrderSnapshot,
  type OrderSnapshot,
} from '../../machines/order.machine.ts';
import { averagePriceOf, orderViewOf } from '../../machines/order.projection.ts';
import { ORDER_MACHINE_VERSION, type OrderEvent, type OrderInput } from '../../machines/order.types.ts';

const INPUT: OrderInput = {
  orderId: '01JUNIT00000000000000000000',
  account: 'bitstamp:main',
  clientOrderId: 'unit-1',
  market: 'btcusd',
  side: 'sell',
  type: 'limit',
  timeInForce: 'gtc',
  amount: '2.5',
  price: '100.10',
  postOnly: true,
  createdAt: '2026-01-01T00:00:00.000Z',
};

let n = 0;
const at = () => `2026-01-01T00:00:${String(++n % 60).padStart(2, '0')}.000Z`;
const fill = (fillId: string, amount: string, price: string, fee = '0.01'): OrderEvent => ({
  type: 'FILL',
  fillId,
  amount,
  price,
  fee,
  feeCurrency: 'usd',
  liquidity: 'maker',
  at: at(),
});

function run(events: OrderEvent[], input: OrderInput = INPUT): OrderSnapshot {
  let s = createOrderSnapshot(input).snapshot;
  for (const e of events) s = applyOrderEvent(s, e).snapshot;
  return s;
}

const SUBMIT: OrderEvent = { type: 'SUBMIT', at: '2026-01-01T00:00:01.000Z' };
const ACK: OrderEvent = { type: 'EXCHANGE_ACK', at: '2026-01-01T00:00:02.000Z', exchangeOrderId: '1234' };

describe('createOrderSnapshot', () => {
  it('starts pending with zero totals, updatedAt = createdAt and no command', () => {
    const { snapshot, commands } = createOrderSnapshot(INPUT);
    expect(snapshot.value).toBe('pending');
    expect(commands).toEqual([]);
    expect(snapshot.context).toMatchObject({ ...INPUT, filledAmount: '0', filledNotional: '0', feeTotal: '0', fillIds: [] });
    expect(snapshot.context.updatedAt).toBe(INPUT.createdAt);
    expect(snapshot.context.cancelRequested).toBe(false);
  });
});

describe('fills', () => {
  it('sums amounts, notional and fees of distinct fills and ignores a repeated id', () => {
    const s = run([SUBMIT, ACK, fill('a', '1', '100.1', '0.2'), fill('b', '0.5', '101', '0.05'), fill('a', '1', '100.1', '0.2')]);
    expect(s.value).toBe('partially_filled');
    expect(s.context).toMatchObject({ filledAmount: '1.5', filledNotional: '150.6', feeTotal: '0.25', fillIds: ['a', 'b'] });
  });

  it('reports the duplicate as unchanged so the runtime can skip persisting', () => {
    const s = run([SUBMIT, ACK, fill('a', '1', '100')]);
    const step = applyOrderEvent(s, fill('a', '1', '100'));
    expect(step).toEqual({ snapshot: s, commands: [], changed: false });
  });

  it('caps an overfill at the amount, counts its fee and says so in statusReason', () => {
    const s = run([SUBMIT, ACK, fill('a', '2', '100', '0.1'), fill('b', '1', '110', '0.3')]);
    expect(s.value).toBe('filled');
    expect(s.context).toMatchObject({ filledAmount: '2.5', filledNotional: '255', feeTotal: '0.4', fillIds: ['a', 'b'] });
    expect(s.context.statusReason).toBe('overfill: fill b of 1 exceeds the remaining 0.5; counted 0.5');
  });

  it('a fill during cancelling keeps the cancel going; a completing one ends it filled', () => {
    const cancelling = run([SUBMIT, ACK, { type: 'CANCEL', at: at() }, fill('a', '1', '100')]);
    expect(cancelling.value).toBe('cancelling');
    expect(cancelling.context.cancelRequested).toBe(true);
    const done = applyOrderEvent(cancelling, fill('b', '1.5', '100'));
    expect(done.snapshot.value).toBe('filled');
    expect(done.commands).toEqual([]);
    expect(applyOrderEvent(done.snapshot, { type: 'CANCEL_ACK', at: at() }).changed).toBe(false);
  });
});

describe('reasons and flags', () => {
  it('records reject, unknown and expire reasons', () => {
    expect(run([SUBMIT, { type: 'EXCHANGE_REJECT', at: at(), reason: 'Insufficient balance' }]).context.statusReason).toBe(
      'Insufficient balance',
    );
    const unknown = applyOrderEvent(run([SUBMIT]), { type: 'OUTCOME_UNKNOWN', at: at(), reason: 'submit timed out after 10 s' });
    expect(unknown.snapshot.context.statusReason).toBe('submit timed out after 10 s');
    expect(unknown.commands).toEqual([{ kind: 'query', reason: 'submit timed out after 10 s' }]);
    expect(run([SUBMIT, ACK, { type: 'EXPIRE', at: at() }]).context.statusReason).toBe('expired');
    expect(run([SUBMIT, ACK, { type: 'EXPIRE', at: at(), reason: 'gtd reached' }]).context.statusReason).toBe('gtd reached');
  });

  it('leaving unknown for a live state clears the unknown reason', () => {
    const s = run([SUBMIT, { type: 'OUTCOME_UNKNOWN', at: at(), reason: 'timeout' }, ACK]);
    expect(s.value).toBe('open');
    expect(s.context.statusReason).toBeUndefined();
    expect(s.context.exchangeOrderId).toBe('1234');
  });

  it('a cancel reject drops the cancel request, keeps the reason and queries', () => {
    const s = run([SUBMIT, ACK, { type: 'CANCEL', at: at() }]);
    const step = applyOrderEvent(s, { type: 'CANCEL_REJECT', at: at(), reason: 'Order not found' });
    expect(step.snapshot.value).toBe('open');
    expect(step.snapshot.context).toMatchObject({ cancelRequested: false, statusReason: 'cancel rejected: Order not found' });
    expect(step.commands).toEqual([{ kind: 'query', reason: 'cancel rejected; the order may have filled meanwhile' }]);
  });

  it('a pending cancel is local and says why', () => {
    const s = run([{ type: 'CANCEL', at: at() }]);
    expect(s.value).toBe('cancelled');
    expect(s.context.statusReason).toBe('cancelled before it was sent');
  });

  it('RECONCILED not_found before landing rejects with the documented reason', () => {
    const s = run([SUBMIT, { type: 'RECONCILED', at: at(), report: { state: 'not_found', fills: [] } }]);
    expect(s.value).toBe('rejected');
    expect(s.context.statusReason).toBe('exchange has no record of this order');
  });

  it('RECONCILED filled with fills short of the amount still ends filled and says so', () => {
    const s = run([SUBMIT, ACK, { type: 'RECONCILED', at: at(), report: { state: 'filled', fills: [{ ...fillRecord('r1', '1') }] } }]);
    expect(s.value).toBe('filled');
    expect(s.context.filledAmount).toBe('1');
    expect(s.context.statusReason).toBe('exchange reports filled; fills seen so far total 1 of 2.5');
  });

  it('RECONCILED deduplicates report fills against known ones and within the report', () => {
    const s = run([
      SUBMIT,
      ACK,
      fill('a', '1', '100'),
      { type: 'RECONCILED', at: at(), report: { state: 'open', exchangeOrderId: '1234', fills: [fillRecord('a', '1'), fillRecord('b', '0.5'), fillRecord('b', '0.5')] } },
    ]);
    expect(s.value).toBe('partially_filled');
    expect(s.context).toMatchObject({ filledAmount: '1.5', fillIds: ['a', 'b'] });
  });
});

function fillRecord(fillId: string, amount: string) {
  return { fillId, amount, price: '100', fee: '0', feeCurrency: 'usd', liquidity: 'taker' as const, at: '2026-01-01T00:01:00.000Z' };
}

describe('commandsFromActions', () => {
  it('maps enqueue actions in order and drops the rest', () => {
    expect(
      commandsFromActions([
        { type: 'xstate.assign' },
        { type: 'enqueueCancel' },
        { type: 'enqueueQuery', params: { reason: 'why' } },
        { type: 'enqueueSubmit', params: undefined },
        { type: 'touch' },
      ]),
    ).toEqual([{ kind: 'cancel' }, { kind: 'query', reason: 'why' }, { kind: 'submit' }]);
  });
});

describe('persist / restore', () => {
  const samples: OrderSnapshot[] = [
    run([]),
    run([SUBMIT]),
    run([SUBMIT, ACK, fill('a', '1', '100')]),
    run([SUBMIT, ACK, { type: 'CANCEL', at: at() }, { type: 'OUTCOME_UNKNOWN', at: at(), reason: 'cancel timed out' }]),
    run([SUBMIT, ACK, fill('a', '2.5', '100')]),
  ];

  it('round-trips through JSON text to an equivalent snapshot that continues identically', () => {
    for (const s of samples) {
      const text = JSON.stringify(persistOrderSnapshot(s));
      const restored = restoreOrderSnapshot(JSON.parse(text));
      expect(restored.value).toBe(s.value);
      expect(restored.status).toBe(s.status);
      expect(persistOrderSnapshot(restored)).toEqual(JSON.parse(text));
      const e: OrderEvent = { type: 'CANCEL', at: at() };
      const a = applyOrderEvent(s, e);
      const b = applyOrderEvent(restored, e);
      expect(JSON.stringify(persistOrderSnapshot(b.snapshot))).toBe(JSON.stringify(persistOrderSnapshot(a.snapshot)));
      expect(b.commands).toEqual(a.commands);
    }
  });

  it('is compact: only value and context, no undefined fields', () => {
    const p = persistOrderSnapshot(run([SUBMIT, { type: 'OUTCOME_UNKNOWN', at: at(), reason: 'x' }, ACK]));
    expect(Object.keys(p)).toEqual(['value', 'context']);
    expect('statusReason' in p.context).toBe(false);
  });

  it('refuses a stored snapshot with an unknown status or a broken context', () => {
    for (const bad of [null, 'open', { value: 'live', context: {} }, { value: 'open' }, { value: 'open', context: { orderId: 'x' } }]) {
      let caught: unknown;
      try {
        restoreOrderSnapshot(bad);
      } catch (e) {
        caught = e;
      }
      expect(isDomainError(caught) && caught.code === 'INTERNAL', JSON.stringify(bad)).toBe(true);
    }
  });

  it('migrates version 1 as identity and refuses other versions', () => {
    const json = persistOrderSnapshot(samples[2]!);
    expect(migrateOrderSnapshot(ORDER_MACHINE_VERSION, json)).toBe(json);
    expect(() => migrateOrderSnapshot(ORDER_MACHINE_VERSION + 1, json)).toThrow(/version 2 cannot be migrated/);
  });
});

describe('orderViewOf', () => {
  it('projects the contract shape with canonical decimals', () => {
    const s = run([SUBMIT, ACK, fill('a', '1', '100.10', '0.10'), fill('b', '0.50', '100.40', '0.05')]);
    const view = orderViewOf(s);
    expect(orderViewSchema.strict().parse(view)).toEqual(view);
    expect(view).toEqual({
      order_id: INPUT.orderId,
      client_order_id: 'unit-1',
      exchange_order_id: '1234',
      account: 'bitstamp:main',
      market: 'btcusd',
      side: 'sell',
      type: 'limit',
      time_in_force: 'gtc',
      amount: '2.5',
      price: '100.1',
      status: 'partially_filled',
      filled_amount: '1.5',
      average_price: '100.2',
      fee_total: '0.15',
      created_at: INPUT.createdAt,
      updated_at: s.context.updatedAt,
    });
  });

  it('omits average_price before any fill and exchange_order_id before the ack', () => {
    const view = orderViewOf(run([SUBMIT]));
    expect(view.average_price).toBeUndefined();
    expect(view.exchange_order_id).toBeUndefined();
    expect(view.status).toBe('submitting');
  });

  it('rounds the average price half-even to 18 fraction digits', () => {
    expect(averagePriceOf({ filledAmount: '3', filledNotional: '100' })).toBe('33.333333333333333333');
    expect(averagePriceOf({ filledAmount: '3', filledNotional: '200' })).toBe('66.666666666666666667');
    expect(averagePriceOf({ filledAmount: '0', filledNotional: '0' })).toBeUndefined();
  });

  it('shows the status reason', () => {
    expect(orderViewOf(run([SUBMIT, { type: 'EXCHANGE_REJECT', at: at(), reason: 'nope' }])).status_reason).toBe('nope');
  });
});
