import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeEvent, PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import { syntheticMarkets } from '../bitstamp-emulator/index.ts';
import { MAIN, eventually, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

/** A bounded private stream: only the markets an account needs, each channel on its own. */
let h: Harness;
afterEach(async () => {
  await h.close();
});

const LISTED = 150;
const ch = (market: string): string[] => [`private-my_orders_${market}-100001`, `private-my_trades_${market}-100001`];
const connected = (events: ExchangeEvent[]): ExchangeEvent[] => events.filter((e) => e.type === 'connected');
const order = (clientOrderId: string, market: string, price: string): PlaceOrderCommand => ({
  clientOrderId, market, side: 'buy', type: 'limit', amount: '0.01', price, timeInForce: 'gtc', postOnly: false,
});

async function liveWith(configured: string[], before?: (h: Harness) => void) {
  h = await startHarness({ emulator: { markets: syntheticMarkets(LISTED) }, markets: configured, factory: { streamWaitMs: 1_500 } });
  before?.(h);
  const { adapter, events } = h.adapterFor(MAIN);
  await adapter.start();
  await eventually(() => connected(events).length === 1);
  return { adapter, events };
}

describe('Bitstamp private stream: bounded channels', () => {
  it('150 listed markets, no live orders: nothing subscribed; one order subscribes its market first, then is sent', async () => {
    const { adapter, events } = await liveWith([]);
    expect(h.emulator.engine.markets.size).toBe(LISTED);
    expect(h.emulator.wsServer.subscriptions()).toEqual([]);
    expect(adapter.streamChannels).toBe(0);

    await adapter.placeOrder(order('one', 'btcusd', '59000'));
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('btcusd'));
    expect(adapter.streamChannels).toBe(2);
    // Both acks came before the order was sent.
    const t = h.emulator.timeline;
    const sentAt = t.indexOf('POST buy/btcusd/');
    expect(sentAt).toBeGreaterThan(-1);
    for (const c of ch('btcusd')) expect(t.indexOf(`ws:ack ${c}`)).toBeLessThan(sentAt);
    // The market is reconciled after its ack (its events before the subscribe were not seen).
    expect(connected(events)).toEqual([{ type: 'connected' }, { type: 'connected', market: 'btcusd' }]);

    // A second order on the same market subscribes nothing more.
    await adapter.placeOrder(order('two', 'btcusd', '58000'));
    expect(h.emulator.timeline.filter((l) => l.startsWith('ws:subscribe'))).toHaveLength(2);
  });

  it('configured markets are subscribed at connect; an order elsewhere adds exactly its two channels', async () => {
    const { adapter } = await liveWith(['ethusd']);
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('ethusd'));
    await adapter.placeOrder(order('b', 'btcusd', '59000'));
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual([...ch('btcusd'), ...ch('ethusd')].sort());
    expect(adapter.streamChannels).toBe(4);
  });

  it('a channel error at connect fails that channel only: the stream goes live, the others stay, it is retried alone', async () => {
    const { adapter, events } = await liveWith(['btcusd', 'ethusd', 'x20usd'], (hh) => {
      hh.emulator.faults.ws.failChannels = ['private-my_trades_ethusd-100001'];
    });
    const wanted = [...ch('btcusd'), 'private-my_orders_ethusd-100001', ...ch('x20usd')].sort();
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(wanted);
    // Retried with backoff, alone; nothing else is subscribed again and the stream never left live.
    await eventually(() => h.emulator.timeline.filter((l) => l === 'ws:error private-my_trades_ethusd-100001').length >= 2);
    expect(h.emulator.timeline.filter((l) => l === 'ws:subscribe private-my_orders_btcusd-100001')).toHaveLength(1);
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
    expect(adapter.streamChannels).toBe(5);

    h.emulator.faults.ws.failChannels = [];
    await eventually(() => adapter.streamChannels === 6);
    expect(h.emulator.wsServer.subscriptions()).toContain('private-my_trades_ethusd-100001');
    // The recovered market is reconciled on its own.
    await eventually(() => connected(events).some((e) => e.type === 'connected' && e.market === 'ethusd'));
    expect(connected(events).filter((e) => e.type === 'connected' && e.market === undefined)).toHaveLength(1);
  });

  it('a refused subscribe on demand: the order is still sent, other channels stay, the channel is retried', async () => {
    const { adapter, events } = await liveWith(['ethusd']);
    h.emulator.faults.ws.failChannels = ['btcusd'];
    const ack = await adapter.placeOrder(order('refused', 'btcusd', '59000'));
    expect(ack.exchangeOrderId).toMatch(/^\d+$/);
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('ethusd'));
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
    h.emulator.faults.ws.failChannels = [];
    await eventually(() => adapter.streamChannels === 4);
    await eventually(() => connected(events).some((e) => e.type === 'connected' && e.market === 'btcusd'));
  });

  it('a token refused (4009) for an on-demand subscribe fails that subscribe only; the retry fetches a new token', async () => {
    // Tokens live 1 s here: the connection's token has expired when the order comes.
    const { adapter, events } = await liveWith(['ethusd'], (hh) => void (hh.emulator.faults.tokenValidSec = 1));
    const tokens = (): number => h.emulator.requests.filter((r) => r.endpoint === 'websockets_token/').length;
    expect(tokens()).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    await adapter.placeOrder(order('tok', 'btcusd', '59000'));
    expect(h.emulator.timeline).toContain('ws:error private-my_orders_btcusd-100001');
    await eventually(() => adapter.streamChannels === 4);
    expect(tokens()).toBeGreaterThan(1); // the retry did not reuse the refused token
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('a subscribe left unanswered fails alone after its ack timeout; the rest go live', async () => {
    const { adapter, events } = await liveWith(['btcusd', 'ethusd'], (hh) => {
      hh.emulator.faults.ws.silentChannels = ['ethusd'];
    });
    expect(adapter.streamChannels).toBe(2);
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('btcusd'));
    h.emulator.faults.ws.silentChannels = [];
    await eventually(() => adapter.streamChannels === 4, 5_000);
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
  });

  it('once its order ends, a market no longer needed is unsubscribed; the configured one stays', async () => {
    const needed = ['ethusd'];
    h = await startHarness({ emulator: { markets: syntheticMarkets(LISTED) }, factory: { marketsFor: () => needed, streamPruneDelayMs: 50 } });
    const { adapter, events } = h.adapterFor(MAIN);
    await adapter.start();
    await eventually(() => connected(events).length === 1);
    const ack = await adapter.placeOrder(order('gone', 'btcusd', '59000'));
    expect(adapter.streamChannels).toBe(4);
    await adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId });
    await eventually(() => adapter.streamChannels === 2 && h.emulator.wsServer.subscriptions().length === 2);
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('ethusd'));
    expect(h.emulator.timeline.filter((l) => l.startsWith('ws:unsubscribe')).sort()).toEqual(ch('btcusd').map((c) => `ws:unsubscribe ${c}`));
  });

  it('a reconnect subscribes again only what is needed (configured markets), not every market used before', async () => {
    const { adapter, events } = await liveWith(['ethusd']);
    await adapter.placeOrder(order('b', 'btcusd', '59000'));
    expect(adapter.streamChannels).toBe(4);
    h.emulator.dropConnections();
    await eventually(() => connected(events).filter((e) => e.type === 'connected' && e.market === undefined).length === 2);
    // The harness names ethusd only (the service adds markets with live orders).
    expect(h.emulator.wsServer.subscriptions().sort()).toEqual(ch('ethusd'));
  });
});
