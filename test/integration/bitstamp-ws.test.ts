import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeEvent, FillReport, OrderStatusReport } from '../../src/exchanges/adapter.ts';
import { MAIN, eventually, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const count = (events: ExchangeEvent[], type: ExchangeEvent['type']): number => events.filter((e) => e.type === type).length;
const fills = (events: ExchangeEvent[]): FillReport[] => events.flatMap((e) => (e.type === 'fill' ? [e.fill] : []));
const updates = (events: ExchangeEvent[]): OrderStatusReport[] => events.flatMap((e) => (e.type === 'order_update' ? [e.report] : []));
const tokenRequests = (): number => h.emulator.requests.filter((r) => r.endpoint === 'websockets_token/').length;

async function live(): Promise<{ adapter: Awaited<ReturnType<Harness['adapterFor']>>['adapter']; events: ExchangeEvent[] }> {
  const { adapter, events } = h.adapterFor(MAIN);
  await adapter.start();
  await eventually(() => count(events, 'connected') === 1);
  return { adapter, events };
}

describe('Bitstamp private WebSocket through the connection machine', () => {
  it('subscribes to my_orders and my_trades of every market with the user id, then emits connected', async () => {
    const { events } = await live();
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual([
      'private-my_orders_btcusd-100001',
      'private-my_orders_ethusd-100001',
      'private-my_trades_btcusd-100001',
      'private-my_trades_ethusd-100001',
    ]);
    expect(events[0]).toEqual({ type: 'connected' });
  });

  it('maps my_trades to fill events and my_orders to order updates (deleted with 0 left = filled)', async () => {
    const { adapter, events } = await live();
    await adapter.getFees(); // fee rates for maker/taker inference
    const ack = await adapter.placeOrder({ clientOrderId: 'ws-1', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.3', price: '59000', timeInForce: 'gtc', postOnly: false });
    h.emulator.trade('btcusd', '58900', '0.1');
    h.emulator.trade('btcusd', '58900', '1');
    await eventually(() => fills(events).length === 2 && updates(events).some((u) => u.state === 'filled'));
    // my_trades carries the order id only (no client_order_id), as Bitstamp sends it.
    expect(fills(events).map((f) => ({ ...f, at: '-' }))).toEqual([
      { fillId: expect.stringMatching(new RegExp(`^${ack.exchangeOrderId}:\\d+$`)), exchangeOrderId: ack.exchangeOrderId, market: 'btcusd', side: 'buy', amount: '0.1', price: '59000', fee: '17.7', feeCurrency: 'USD', liquidity: 'maker', at: '-' },
      { fillId: expect.any(String), exchangeOrderId: ack.exchangeOrderId, market: 'btcusd', side: 'buy', amount: '0.2', price: '59000', fee: '35.4', feeCurrency: 'USD', liquidity: 'maker', at: '-' },
    ]);
    expect(updates(events).map((u) => [u.state, u.filledAmount, u.amount])).toEqual([
      ['open', '0', '0.3'],
      ['open', '0.1', '0.3'],
      ['filled', '0.3', '0.3'],
    ]);
    // The same fills through REST carry the same fill ids (WS and reconciliation agree).
    const rest = await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect(rest?.fills.map((f) => f.fillId)).toEqual(fills(events).map((f) => f.fillId));
  });

  it('a cancelled order is reported as cancelled', async () => {
    const { adapter, events } = await live();
    const ack = await adapter.placeOrder({ clientOrderId: 'ws-c', market: 'ethusd', side: 'sell', type: 'limit', amount: '1', price: '3100', timeInForce: 'gtc', postOnly: false });
    await adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    await eventually(() => updates(events).some((u) => u.state === 'cancelled'));
    expect(updates(events).at(-1)).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, side: 'sell', state: 'cancelled', filledAmount: '0', market: 'ethusd' });
  });

  it('reconnects after a dropped connection and emits disconnected then connected again', async () => {
    const { events } = await live();
    h.emulator.dropConnections();
    await eventually(() => count(events, 'connected') === 2);
    expect(events.map((e) => e.type).filter((t) => t !== 'order_update' && t !== 'fill')).toEqual(['connected', 'disconnected', 'connected']);
    expect(tokenRequests()).toBe(2); // a fresh token for the new subscriptions
  });

  it('honours bts:request_reconnect with a fresh token', async () => {
    const { events } = await live();
    h.emulator.requestReconnect();
    await eventually(() => count(events, 'connected') === 2);
    expect(events.find((e) => e.type === 'disconnected')).toEqual({ type: 'disconnected', reason: 'server requested reconnect' });
    expect(tokenRequests()).toBe(2);
  });

  it('an expired token is refused with 4009; the stream backs off and recovers with a new token', async () => {
    h.emulator.faults.tokenValidSec = 0; // every token is already expired when used
    const { adapter, events } = h.adapterFor(MAIN);
    await adapter.start();
    await eventually(() => tokenRequests() >= 2);
    expect(count(events, 'connected')).toBe(0);
    h.emulator.faults.tokenValidSec = 60;
    await eventually(() => count(events, 'connected') === 1);
  });

  it('a silent server (no heartbeat replies) trips the heartbeat timeout and reconnects', async () => {
    const { events } = await live();
    h.emulator.faults.ws.muteHeartbeat = true;
    await eventually(() => events.some((e) => e.type === 'disconnected' && e.reason === 'heartbeat timeout'), 5_000);
    h.emulator.faults.ws.muteHeartbeat = false;
    await eventually(() => count(events, 'connected') === 2, 5_000);
  });

  it('duplicated and reordered events are passed on as-is (fill ids let the runtime dedupe)', async () => {
    const { adapter, events } = await live();
    h.emulator.faults.ws = { dropRate: 0, duplicateRate: 1, reorderRate: 0, muteHeartbeat: false };
    await adapter.placeOrder({ clientOrderId: 'dup', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.1', price: '59000', timeInForce: 'gtc', postOnly: false });
    h.emulator.trade('btcusd', '58000', '1');
    await eventually(() => fills(events).length === 2);
    expect(new Set(fills(events).map((f) => f.fillId)).size).toBe(1);
  });

  it('close() stops the stream: no reconnects afterwards', async () => {
    const { adapter, events } = await live();
    await adapter.close();
    h.emulator.requestReconnect();
    await new Promise((r) => setTimeout(r, 200));
    expect(count(events, 'connected')).toBe(1);
    expect(h.emulator.wsServer.connectionCount).toBe(0);
  });
});
