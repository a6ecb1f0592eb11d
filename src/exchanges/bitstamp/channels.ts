/**
 * The private channels of one account's Bitstamp stream, per connection: which markets are wanted,
 * which channels were asked for, acked or failed. Bounded by design (ccxt and Hummingbot do the
 * same): only markets with live orders, the configured ones, and those an order is about to use.
 *
 * - A market is two channels: private-my_orders_<m>-<uid> and private-my_trades_<m>-<uid>.
 * - A channel refused (bts:error) or left unanswered fails alone and is retried alone with
 *   jittered exponential backoff; the other channels stay subscribed.
 * - Bitstamp's bts:error names no channel (`"channel":""`), and one socket answers in order, so an
 *   error belongs to the oldest subscribe still unanswered.
 * - A market subscribed while the stream is live (on demand or by a retry) is announced with
 *   `onMarketReady`, so the runtime reconciles it: its events before the ack are lost.
 */
import { backoffDelay } from '../../../machines/connection.machine.ts';
import type { Random } from '../../domain/clock.ts';

type ChannelState = 'pending' | 'subscribed' | 'failed';
interface Channel {
  market: string;
  state: ChannelState;
  attempt: number;
  cancelTimer?: () => void;
}

export type SetTimer = (ms: number, fn: () => void) => () => void;

export const realTimer: SetTimer = (ms, fn) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface ChannelBookOptions {
  /** Sends bts:subscribe for these channels with a token valid now (fetched or cached by the driver). */
  subscribe: (channels: string[]) => Promise<void>;
  /** Told about every acked or failed channel (the machine counts the initial ones). */
  onAcked: (channel: string) => void;
  onFailed: (channel: string, error: string) => void;
  /** A market became fully subscribed while live: reconcile it. */
  onMarketReady: (market: string) => void;
  /** Subscribed channel count changed. */
  onCount: (count: number) => void;
  random: Random;
  ackTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  setTimer?: SetTimer;
}

export function marketChannels(market: string, userId: string): string[] {
  return [`private-my_orders_${market}-${userId}`, `private-my_trades_${market}-${userId}`];
}

export class ChannelBook {
  private readonly channels = new Map<string, Channel>();
  /** Subscribes sent and not answered yet, oldest first. */
  private outstanding: string[] = [];
  /** Markets an order waits for (kept across reconnects until answered). */
  private readonly waiters = new Map<string, Array<(ok: boolean) => void>>();
  /** Markets asked for while the stream was down: part of the next connection's first set. */
  private readonly requested = new Set<string>();
  private userId: string | undefined;
  private live = false;
  private generation = 0;
  private readonly setTimer: SetTimer;

  constructor(private readonly o: ChannelBookOptions) {
    this.setTimer = o.setTimer ?? realTimer;
  }

  /** Channels acked on this connection. */
  get count(): number {
    let n = 0;
    for (const c of this.channels.values()) if (c.state === 'subscribed') n++;
    return n;
  }

  /** Channel names by state, for tests and logs. */
  list(state?: ChannelState): string[] {
    return [...this.channels].filter(([, c]) => state === undefined || c.state === state).map(([name]) => name).sort();
  }

  isReady(market: string): boolean {
    if (this.userId === undefined) return false;
    return marketChannels(market, this.userId).every((ch) => this.channels.get(ch)?.state === 'subscribed');
  }

  /** A new connection (token fetched): forget the old one; returns the channels to subscribe first. */
  begin(markets: string[], userId: string): string[] {
    this.reset();
    this.live = false;
    this.userId = userId;
    const wanted = new Set([...markets, ...this.waiters.keys(), ...this.requested]);
    this.requested.clear();
    const names = [...wanted].sort().flatMap((m) => marketChannels(m, userId));
    for (const name of names) this.channels.set(name, { market: marketOf(name), state: 'pending', attempt: 0 });
    this.o.onCount(0);
    return names;
  }

  /** The initial subscribes went out. */
  sent(channels: string[]): void {
    for (const ch of channels) this.track(ch);
  }

  /** The stream reached live: markets asked for meanwhile are subscribed now. */
  wentLive(): void {
    this.live = true;
    for (const m of this.waiters.keys()) if (!this.known(m)) this.subscribeMarket(m);
    // Channels that failed during the first subscribes are retried now (their timer waited for live).
    const failed = [...this.channels].filter(([, c]) => c.state === 'failed' && c.cancelTimer === undefined);
    for (const [, c] of failed) c.state = 'pending';
    if (failed.length > 0) this.send(failed.map(([name]) => name));
  }

  /** The connection is gone (or stopped): waiting orders go on without the stream. */
  down(): void {
    this.live = false;
    this.reset();
    for (const [m, list] of this.waiters) {
      this.waiters.delete(m);
      for (const w of list) w(false);
    }
    this.o.onCount(0);
  }

  /**
   * Subscribes the market (if needed) and resolves true once both its channels are acked, false on
   * a failure, a timeout or when the stream is not live (it is subscribed on the next connect then).
   */
  ensure(market: string, timeoutMs: number): Promise<boolean> {
    if (this.isReady(market)) return Promise.resolve(true);
    if (!this.live) {
      this.requested.add(market);
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        cancel();
        const list = this.waiters.get(market)?.filter((w) => w !== finish);
        if (list && list.length > 0) this.waiters.set(market, list);
        else this.waiters.delete(market);
        resolve(ok);
      };
      const cancel = this.setTimer(timeoutMs, () => finish(false));
      this.waiters.set(market, [...(this.waiters.get(market) ?? []), finish]);
      if (!this.known(market)) this.subscribeMarket(market);
    });
  }

  /**
   * Markets no longer wanted (no live order, not configured, nobody waiting) are dropped; returns
   * their channels, for the driver to unsubscribe. Keeps the set bounded between reconnects.
   */
  prune(wanted: ReadonlySet<string>): string[] {
    if (!this.live) return [];
    const drop: string[] = [];
    for (const [name, c] of this.channels) {
      if (wanted.has(c.market) || this.waiters.has(c.market) || c.state === 'pending') continue;
      c.cancelTimer?.();
      this.channels.delete(name);
      drop.push(name);
    }
    if (drop.length > 0) this.o.onCount(this.count);
    return drop.sort();
  }

  /** bts:subscription_succeeded. */
  acked(channel: string): void {
    const c = this.channels.get(channel);
    if (!c) return;
    this.outstanding = this.outstanding.filter((x) => x !== channel);
    c.cancelTimer?.();
    delete c.cancelTimer;
    if (c.state === 'subscribed') return;
    c.state = 'subscribed';
    c.attempt = 0;
    // The last first-set ack takes the machine live (and reconciles everything) inside onAcked.
    const wasLive = this.live;
    this.o.onAcked(channel);
    this.o.onCount(this.count);
    if (this.isReady(c.market)) {
      for (const w of this.waiters.get(c.market) ?? []) w(true);
      if (wasLive) this.o.onMarketReady(c.market);
    }
  }

  /** bts:error other than an auth failure: the named channel, else the oldest unanswered one. Returns it. */
  errored(channelHint: string, error: string): string | undefined {
    const channel = this.outstanding.includes(channelHint) ? channelHint : this.outstanding[0];
    if (channel === undefined) return undefined;
    this.fail(channel, error);
    return channel;
  }

  private fail(channel: string, error: string): void {
    const c = this.channels.get(channel);
    if (!c) return;
    this.outstanding = this.outstanding.filter((x) => x !== channel);
    c.cancelTimer?.();
    const wasSubscribed = c.state === 'subscribed';
    c.state = 'failed';
    if (wasSubscribed) this.o.onCount(this.count);
    this.o.onFailed(channel, error);
    for (const w of this.waiters.get(c.market) ?? []) w(false);
    const delay = backoffDelay(this.o.retryBaseMs, this.o.retryMaxMs, c.attempt, this.o.random());
    c.attempt++;
    const gen = this.generation;
    c.cancelTimer = this.setTimer(delay, () => {
      if (gen !== this.generation || this.channels.get(channel) !== c) return;
      delete c.cancelTimer;
      if (!this.live) return; // wentLive() sends it
      c.state = 'pending';
      this.send([channel]);
    });
  }

  private known(market: string): boolean {
    return this.userId !== undefined && marketChannels(market, this.userId).some((ch) => this.channels.has(ch));
  }

  private subscribeMarket(market: string): void {
    if (this.userId === undefined) return;
    const names = marketChannels(market, this.userId);
    for (const name of names) this.channels.set(name, { market, state: 'pending', attempt: 0 });
    this.send(names);
  }

  private send(names: string[]): void {
    const gen = this.generation;
    this.o.subscribe(names).then(
      () => {
        if (gen === this.generation) for (const ch of names) this.track(ch);
      },
      (e: unknown) => {
        if (gen !== this.generation) return;
        const error = e instanceof Error ? e.message : 'token request failed';
        for (const ch of names) this.fail(ch, `token: ${error}`);
      },
    );
  }

  private track(channel: string): void {
    const c = this.channels.get(channel);
    if (!c || c.state !== 'pending') return;
    this.outstanding.push(channel);
    c.cancelTimer?.();
    c.cancelTimer = this.setTimer(this.o.ackTimeoutMs, () => {
      if (this.channels.get(channel) === c && c.state === 'pending') this.fail(channel, 'subscribe timed out');
    });
  }

  private reset(): void {
    this.generation++;
    for (const c of this.channels.values()) c.cancelTimer?.();
    this.channels.clear();
    this.outstanding = [];
    this.userId = undefined;
  }
}

function marketOf(channel: string): string {
  const m = /^private-my_(?:orders|trades)_([a-z0-9-]+)-\d+$/.exec(channel);
  return m?.[1] ?? channel;
}
