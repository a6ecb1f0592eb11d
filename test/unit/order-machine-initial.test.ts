/**
 * createOrderSnapshot runs the machine's getInitialSnapshot on the shared inert scope instead of
 * xstate's initialTransition() (which builds an actor per call): same snapshot, same actions.
 */
import { initialTransition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { commandsFromActions, createOrderSnapshot, orderMachine, persistOrderSnapshot } from '../../machines/order.machine.ts';
import type { OrderInput } from '../../machines/order.types.ts';

const inputs: OrderInput[] = [
  { orderId: 'O1', account: 'paper:a', clientOrderId: 'c1', market: 'btcusd', side: 'buy', type: 'limit', timeInForce: 'gtc', amount: '1', price: '100', postOnly: false, createdAt: '2026-01-01T00:00:00.000Z' },
  { orderId: 'O2', account: 'paper:a', clientOrderId: 'c2', market: 'ethusd', side: 'sell', type: 'market', timeInForce: 'ioc', amount: '0.5', postOnly: true, createdAt: '2026-01-01T00:00:01.000Z' },
  { orderId: 'O3', account: 'paper:b', clientOrderId: 'c3', market: 'btcusd', side: 'buy', type: 'limit', timeInForce: 'gtd', amount: '2', price: '1', expireTime: '2026-02-01T00:00:00.000Z', postOnly: false, createdAt: '2026-01-01T00:00:02.000Z' },
];

describe('createOrderSnapshot', () => {
  it.each(inputs)('equals initialTransition() for $orderId', (input) => {
    const [reference, actions] = initialTransition(orderMachine, input);
    const ours = createOrderSnapshot(input);
    expect(ours.snapshot.value).toBe(reference.value);
    expect(ours.snapshot.status).toBe(reference.status);
    expect(ours.snapshot.context).toStrictEqual(reference.context);
    expect(persistOrderSnapshot(ours.snapshot)).toStrictEqual(persistOrderSnapshot(reference));
    expect(ours.commands).toEqual(commandsFromActions(actions));
  });

  it('does not leak state between calls', () => {
    const a = createOrderSnapshot(inputs[0]!);
    const b = createOrderSnapshot(inputs[1]!);
    expect(a.snapshot.context.orderId).toBe('O1');
    expect(b.snapshot.context.orderId).toBe('O2');
    expect(a.snapshot.context).not.toBe(b.snapshot.context);
  });
});
