/**
 * The incremental snapshot JSON (machines/order.snapshot-json.ts) must be byte-for-byte what the
 * reference serialisation gives, JSON.stringify(persistOrderSnapshot(s)), at every step of random
 * order lives — including after the exchange order id changes and for fields needing escapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOrderEvent, createOrderSnapshot, persistOrderSnapshot, restoreOrderSnapshot } from '../../machines/order.machine.ts';
import { newOrderJsonCache, orderSnapshotJson } from '../../machines/order.snapshot-json.ts';
import type { OrderEvent, OrderInput } from '../../machines/order.types.ts';

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
const inputArb: fc.Arbitrary<OrderInput> = fc.record(
  {
    orderId: text,
    account: text,
    clientOrderId: text,
    market: fc.constantFrom('btcusd', 'eth"usd'),
    side: fc.constantFrom('buy', 'sell'),
    type: fc.constantFrom('limit', 'market'),
    timeInForce: fc.constantFrom('gtc', 'ioc'),
    amount: fc.constantFrom('1', '0.5', '2.25'),
    price: fc.constantFrom('100', '99.5'),
    expireTime: fc.constant('2026-02-01T00:00:00.000Z'),
    postOnly: fc.boolean(),
    createdAt: fc.constant('2026-01-01T00:00:00.000Z'),
  },
  { requiredKeys: ['orderId', 'account', 'clientOrderId', 'market', 'side', 'type', 'timeInForce', 'amount', 'postOnly', 'createdAt'] },
) as fc.Arbitrary<OrderInput>;

const at = '2026-01-01T00:00:01.000Z';
const eventArb: fc.Arbitrary<OrderEvent> = fc.oneof(
  fc.constant<OrderEvent>({ type: 'SUBMIT', at }),
  text.map<OrderEvent>((id) => ({ type: 'EXCHANGE_ACK', at, exchangeOrderId: id })),
  fc.record({ id: fc.constantFrom('f1', 'f2', 'f"3', 'f4'), amount: fc.constantFrom('0.25', '0.5', '3') }).map<OrderEvent>(({ id, amount }) => ({
    type: 'FILL', fillId: id, amount, price: '100.5', fee: '0.01', feeCurrency: 'usd', liquidity: 'maker', at,
  })),
  fc.constant<OrderEvent>({ type: 'CANCEL', at }),
  text.map<OrderEvent>((reason) => ({ type: 'CANCEL_REJECT', at, reason })),
  text.map<OrderEvent>((reason) => ({ type: 'OUTCOME_UNKNOWN', at, reason })),
  fc.constantFrom('open', 'filled', 'not_found').chain((state) =>
    fc.option(text, { nil: undefined }).map<OrderEvent>((id) => ({ type: 'RECONCILED', at, report: { state: state as 'open', fills: [], ...(id !== undefined ? { exchangeOrderId: id } : {}) } })),
  ),
);

describe('incremental order snapshot JSON', () => {
  it('equals JSON.stringify(persistOrderSnapshot(s)) at every step, cache reused across steps and restores', () => {
    fc.assert(
      fc.property(inputArb, fc.array(eventArb, { maxLength: 25 }), (input, events) => {
        let s = createOrderSnapshot(input).snapshot;
        const cache = newOrderJsonCache();
        expect(orderSnapshotJson(s, cache)).toBe(JSON.stringify(persistOrderSnapshot(s)));
        for (const e of events) {
          s = applyOrderEvent(s, e).snapshot;
          const json = orderSnapshotJson(s, cache);
          expect(json).toBe(JSON.stringify(persistOrderSnapshot(s)));
          // A restored snapshot (fresh objects, same values) serialises the same with the old cache and a new one.
          const restored = restoreOrderSnapshot(JSON.parse(json));
          expect(orderSnapshotJson(restored, cache)).toBe(json);
          expect(orderSnapshotJson(restored, newOrderJsonCache())).toBe(json);
        }
      }),
      { numRuns: 400 },
    );
  });
});
