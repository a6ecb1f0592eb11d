import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/clock.ts';
import { ChannelBook, type SetTimer } from '../../src/exchanges/bitstamp/channels.ts';

/** Manual timers: run() fires every due timer in time order. */
function manualTimers(): { setTimer: SetTimer; advance: (ms: number) => void } {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  return {
    setTimer: (ms, fn) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => void (t.live = false);
    },
    advance: (ms) => {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        due.live = false;
        due.fn();
      }
      now = until;
      timers = timers.filter((t) => t.live);
    },
  };
}

function book() {
  const timers = manualTimers();
  const sent: string[][] = [];
  const log: string[] = [];
  const b = new ChannelBook({
    subscribe: async (channels) => void sent.push(channels),
    onAcked: (c) => log.push(`ack ${c}`),
    onFailed: (c) => log.push(`fail ${c}`),
    onMarketReady: (m) => log.push(`ready ${m}`),
    onCount: () => {},
    random: seededRandom(1),
    ackTimeoutMs: 1_000,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
    setTimer: timers.setTimer,
  });
  return { b, timers, sent, log };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('ChannelBook', () => {
  it('an error without a channel name answers the oldest unanswered subscribe; only that one is retried', async () => {
    const { b, timers, sent, log } = book();
    const first = b.begin(['btcusd', 'ethusd'], '7');
    b.sent(first);
    // Sent in order orders_btc, trades_btc, orders_eth, trades_eth; btc's two are answered first.
    b.acked('private-my_orders_btcusd-7');
    b.acked('private-my_trades_btcusd-7');
    expect(b.errored('', 'Bad subscription string.')).toBe('private-my_orders_ethusd-7');
    b.acked('private-my_trades_ethusd-7');
    b.wentLive();
    expect(b.count).toBe(3);
    expect(log).toContain('fail private-my_orders_ethusd-7');
    timers.advance(2_000);
    await flush();
    expect(sent).toEqual([['private-my_orders_ethusd-7']]);
    b.acked('private-my_orders_ethusd-7');
    expect(b.count).toBe(4);
    expect(log.at(-1)).toBe('ready ethusd'); // recovered while live: reconcile that market
  });

  it('ensure() waits for both acks, resolves false on an error or a timeout, and at once when not live', async () => {
    const { b, timers, sent } = book();
    expect(await b.ensure('btcusd', 500)).toBe(false); // not connected: asked for at the next connect
    expect(b.begin([], '7')).toEqual(['private-my_orders_btcusd-7', 'private-my_trades_btcusd-7']);
    b.wentLive();
    const ok = b.ensure('xrpusd', 500);
    await flush();
    expect(sent.at(-1)).toEqual(['private-my_orders_xrpusd-7', 'private-my_trades_xrpusd-7']);
    b.acked('private-my_orders_xrpusd-7');
    b.acked('private-my_trades_xrpusd-7');
    expect(await ok).toBe(true);

    const refused = b.ensure('ltcusd', 500);
    await flush();
    b.errored('', 'refused');
    expect(await refused).toBe(false);

    const silent = b.ensure('solusd', 500);
    await flush();
    timers.advance(500);
    expect(await silent).toBe(false);
  });

  it('prune() drops markets no longer wanted, keeps wanted ones and ones an order waits for', () => {
    const { b } = book();
    const first = b.begin(['btcusd', 'ethusd'], '7');
    b.sent(first);
    for (const c of first) b.acked(c);
    b.wentLive();
    expect(b.prune(new Set(['ethusd']))).toEqual(['private-my_orders_btcusd-7', 'private-my_trades_btcusd-7']);
    expect(b.list('subscribed')).toEqual(['private-my_orders_ethusd-7', 'private-my_trades_ethusd-7']);
    expect(b.prune(new Set(['ethusd']))).toEqual([]);
  });
});
