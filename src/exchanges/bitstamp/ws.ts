/**
 * Bitstamp private WebSocket stream (BITSTAMP.md §5), driven by machines/connection.machine.ts:
 * the machine decides (token -> connect -> subscribe -> live, heartbeats, backoff), this driver does
 * the I/O and maps pushed events to adapter events:
 *   private-my_trades_<pair>-<uid>  `trade`                      -> {type:'fill'}
 *   private-my_orders_<pair>-<uid>  order_created/changed/deleted -> {type:'order_update'}
 *   every (re)connect reaching live                              -> {type:'connected'} (reconcile!)
 *   a market subscribed later (on demand, or a channel retried)  -> {type:'connected', market}
 * Channels are bounded (channels.ts): the markets `marketsFor` names at connect (live orders plus
 * configured ones), then each market an order is about to use (`ensureMarket`).
 */
import WebSocket from 'ws';
import { createActor, type Actor, type ActorOptions } from 'xstate';
import { z } from 'zod';
import { connectionMachine, type ConnectionMachine } from '../../../machines/connection.machine.ts';
import { isoAt, type Clock, type Random } from '../../domain/clock.ts';
import { D, decStr } from '../../domain/money.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ExchangeEvent, FillReport, OrderStatusReport } from '../adapter.ts';
import { IdentityRefusal } from './identity.ts';
import { parseJsonLossless } from './json.ts';
import { ChannelBook, marketChannels } from './channels.ts';
import { CredentialRedactor } from './redact.ts';
import { bsDecimal, bsId, fillId, inferLiquidity, type FeeRates } from './parse.ts';

export interface ConnectionTiming {
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  stepTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface PrivateStreamOptions {
  account: string; // account reference, for logs and the machine
  wsUrl: string;
  /** Rejects with IdentityRefusal when the key is not the account's: the stream then stops for good. */
  fetchToken: () => Promise<{ token: string; userId: string }>;
  /** Markets to subscribe at every (re)connect (live orders + configured); others on demand. */
  marketsFor: () => string[];
  /** Quote currency of a market symbol ("btcusd" -> "USD"), for fill fee currencies. */
  quoteOf: (market: string) => string | undefined;
  feeRates?: () => FeeRates | undefined;
  clock: Clock;
  random: Random;
  logger: Logger;
  onEvent: (e: ExchangeEvent) => void;
  onState?: (state: string, lastError?: string) => void;
  /** Subscribed channel count changed (status page, /metrics). */
  onChannels?: (count: number) => void;
  timing?: ConnectionTiming;
  /** After an order ends, markets no longer in `marketsFor` are unsubscribed this much later (default 30 s). */
  pruneDelayMs?: number;
  /** xstate scheduler clock (tests pass a SimulatedClock); default: real timers. */
  actorClock?: ActorOptions<ConnectionMachine>['clock'];
}

const envelopeSchema = z.looseObject({ event: z.string(), channel: z.string().optional(), data: z.unknown().optional() });
const errorDataSchema = z.looseObject({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() });
const orderDataSchema = z.looseObject({
  id: bsId,
  id_str: z.string().optional(),
  client_order_id: z.string().nullish(),
  order_type: z.union([z.literal(0), z.literal(1), z.literal('0'), z.literal('1')]),
  datetime: z.union([z.string(), z.number()]).optional(),
  microtimestamp: z.union([z.string(), z.number()]).optional(),
  amount: bsDecimal,
  amount_str: bsDecimal.optional(),
  amount_at_create: bsDecimal.optional(),
  price: bsDecimal,
  price_str: bsDecimal.optional(),
});
const tradeDataSchema = z.looseObject({
  id: bsId,
  order_id: bsId,
  client_order_id: z.string().nullish(),
  amount: bsDecimal,
  price: bsDecimal,
  fee: bsDecimal,
  side: z.enum(['buy', 'sell']),
  microtimestamp: z.union([z.string(), z.number()]).optional(),
});
const CHANNEL_RE = /^private-my_(orders|trades)_([a-z0-9-]+)-(\d+)$/;
/** bts:error codes that void the token or the connection, not one channel: the stream backs off. */
const CONNECTION_ERROR_CODES = new Set(['4009']);
/** A token is reused for later subscribes while younger than this (Bitstamp's are valid 60 s). */
const TOKEN_REUSE_MS = 30_000;

export function privateChannels(markets: string[], userId: string): string[] {
  return markets.flatMap((m) => marketChannels(m, userId));
}

export class BitstampPrivateStream {
  private actor: Actor<ConnectionMachine> | undefined;
  private socket: WebSocket | undefined;
  private tokenGeneration = 0;
  private current = 'idle';
  /** The subscribe token is a credential too: cut from error texts that reach logs and the status page. */
  private readonly redactor = new CredentialRedactor();
  private readonly book: ChannelBook;
  /** Token of this connection, reused for on-demand subscribes while fresh. */
  private token: { token: string; at: number } | undefined;
  private pruneTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: PrivateStreamOptions) {
    const step = o.timing?.stepTimeoutMs ?? 15_000;
    this.book = new ChannelBook({
      subscribe: (channels) => this.subscribeLater(channels),
      onAcked: (channel) => this.send({ type: 'SUBSCRIBED', channel }),
      onFailed: (channel, error) => {
        this.o.logger.warn({ account: this.o.account, channel, error }, 'bitstamp channel failed; retrying it alone');
        this.send({ type: 'CHANNEL_FAILED', channel });
      },
      onMarketReady: (market) => this.o.onEvent({ type: 'connected', market }),
      onCount: (count) => this.o.onChannels?.(count),
      random: o.random,
      // Below the machine's step timeout: an unanswered channel fails alone, not the whole stream.
      ackTimeoutMs: Math.max(1, Math.floor((step * 2) / 3)),
      retryBaseMs: o.timing?.backoffBaseMs ?? 500,
      retryMaxMs: o.timing?.backoffMaxMs ?? 60_000,
    });
  }

  /** Subscribed private channels now. */
  get channelCount(): number {
    return this.book.count;
  }

  /** Channel names (optionally of one state), for tests and diagnostics. */
  channels(state?: 'pending' | 'subscribed' | 'failed'): string[] {
    return this.book.list(state);
  }

  /**
   * Makes sure the market's channels are subscribed before an order on it is sent: true once both
   * are acked, false after `timeoutMs`, on a channel error, or when the stream is not live (it is
   * then subscribed on the next connect). The caller sends the order either way.
   */
  ensureMarket(market: string, timeoutMs: number): Promise<boolean> {
    return this.book.ensure(market, timeoutMs);
  }

  get state(): string {
    return this.current;
  }

  start(): void {
    if (this.actor) return;
    const machine = connectionMachine.provide({
      actions: {
        fetchToken: () => this.fetchToken(),
        openSocket: () => this.openSocket(),
        subscribeChannels: (_, p) => this.subscribe(p.token, p.channels),
        sendHeartbeat: () => this.sendJson({ event: 'bts:heartbeat' }),
        closeSocket: (_, p) => this.closeSocket(p.reason),
        reconcileAccount: (_, p) => {
          this.o.logger.info({ account: p.account, reconnect: p.reconnect, channels: this.book.count }, 'bitstamp stream live; reconciling');
          this.book.wentLive();
          this.o.onEvent({ type: 'connected' });
        },
        notifyDisconnected: (_, p) => {
          this.book.down();
          this.o.onEvent({ type: 'disconnected', reason: p.reason });
        },
        notifyState: (_, p) => {
          this.current = p.state;
          this.o.onState?.(p.state, p.lastError);
        },
      },
    });
    const seed = Math.floor(this.o.random() * 2 ** 32);
    const input = { account: this.o.account, seed, ...this.o.timing };
    this.actor = this.o.actorClock ? createActor(machine, { input, clock: this.o.actorClock }) : createActor(machine, { input });
    this.actor.start();
    this.actor.send({ type: 'START' });
  }

  stop(): void {
    if (!this.actor) return;
    this.actor.send({ type: 'DISABLE' });
    this.actor.stop();
    this.actor = undefined;
    this.closeSocket('stopped');
    this.book.down();
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
  }

  /** An order ended: once the runtime has applied it, drop the channels of markets no longer needed. */
  private schedulePrune(): void {
    if (this.pruneTimer) return;
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = undefined;
      if (!this.actor) return;
      const drop = this.book.prune(new Set(this.o.marketsFor()));
      for (const channel of drop) this.sendJson({ event: 'bts:unsubscribe', data: { channel } });
      if (drop.length > 0) this.o.logger.info({ account: this.o.account, channels: drop.length }, 'bitstamp channels no longer needed; unsubscribed');
    }, this.o.pruneDelayMs ?? 30_000);
    this.pruneTimer.unref();
  }

  private send(e: Parameters<Actor<ConnectionMachine>['send']>[0]): void {
    this.actor?.send(e);
  }

  private fetchToken(): void {
    const gen = ++this.tokenGeneration;
    this.o.fetchToken().then(
      ({ token, userId }) => {
        if (gen !== this.tokenGeneration) return;
        this.token = { token, at: this.o.clock.now() };
        this.send({ type: 'TOKEN_OK', token, userId, channels: this.book.begin(this.o.marketsFor(), userId) });
      },
      (e: unknown) => {
        if (gen !== this.tokenGeneration) return;
        // The key is not this account's: retrying cannot help, and nothing may be sent with it.
        if (e instanceof IdentityRefusal) this.send({ type: 'REFUSED', error: e.message });
        else this.send({ type: 'TOKEN_FAILED', error: e instanceof Error ? e.message : 'token request failed' });
      },
    );
  }

  private openSocket(): void {
    this.closeSocket('reopen');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.o.wsUrl);
    } catch (e) {
      const reason = e instanceof Error ? e.message : 'cannot open socket';
      queueMicrotask(() => this.send({ type: 'SOCKET_CLOSED', reason }));
      return;
    }
    this.socket = ws;
    ws.on('open', () => this.socket === ws && this.send({ type: 'SOCKET_OPEN' }));
    ws.on('message', (raw) => this.socket === ws && this.onMessage(raw.toString()));
    ws.on('error', (err) => this.o.logger.warn({ account: this.o.account, err: err.message }, 'bitstamp ws error'));
    ws.on('close', (code) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      this.send({ type: 'SOCKET_CLOSED', reason: `socket closed (${code})` });
    });
  }

  private closeSocket(reason: string): void {
    const ws = this.socket;
    this.socket = undefined; // detach first: its close event must not count as a new failure
    if (!ws) return;
    this.o.logger.debug({ account: this.o.account, reason }, 'closing bitstamp ws');
    ws.removeAllListeners('message');
    ws.on('error', () => {});
    ws.terminate();
  }

  private sendJson(msg: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private subscribe(token: string, channels: string[]): void {
    this.redactor.rememberSignature(token);
    for (const channel of channels) this.sendJson({ event: 'bts:subscribe', data: { channel, auth: token } });
    this.book.sent(channels);
  }

  /** A subscribe after the first set (on demand, retry): needs a token valid now. */
  private async subscribeLater(channels: string[]): Promise<void> {
    const fresh = this.token && this.o.clock.now() - this.token.at < TOKEN_REUSE_MS ? this.token.token : undefined;
    const token = fresh ?? (await this.o.fetchToken()).token;
    if (!fresh) this.token = { token, at: this.o.clock.now() };
    this.redactor.rememberSignature(token);
    for (const channel of channels) this.sendJson({ event: 'bts:subscribe', data: { channel, auth: token } });
  }

  private onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(text); // trade and order ids may exceed 2^53
    } catch {
      this.o.logger.warn({ account: this.o.account }, 'bitstamp ws sent invalid JSON; ignored');
      return;
    }
    const env = envelopeSchema.safeParse(parsed);
    if (!env.success) return;
    this.send({ type: 'INBOUND' });
    const { event, channel = '', data } = env.data;
    switch (event) {
      case 'bts:subscription_succeeded':
        this.book.acked(channel);
        return;
      case 'bts:request_reconnect':
        this.send({ type: 'REQUEST_RECONNECT' });
        return;
      case 'bts:error': {
        const d = errorDataSchema.safeParse(data);
        const error = this.redactor.redact(d.success ? `${d.data.code ?? ''} ${d.data.message ?? ''}`.trim().slice(0, 300) : 'bts:error');
        this.o.logger.warn({ account: this.o.account, channel, error }, 'bitstamp ws error event');
        // A void token fails the stream while it subscribes its first set; once live it fails the
        // subscribe it answers, whose retry fetches a new token. Anything else is one channel's.
        const voidToken = d.success && CONNECTION_ERROR_CODES.has(String(d.data.code));
        if (voidToken && this.current !== 'live') this.send({ type: 'SUBSCRIBE_FAILED', error });
        else if (voidToken) {
          this.token = undefined;
          this.book.errored(channel, error);
        } else if (this.book.errored(channel, error) === undefined && this.current === 'subscribing') this.send({ type: 'SUBSCRIBE_FAILED', error });
        return;
      }
      case 'bts:heartbeat':
      case 'bts:unsubscription_succeeded':
        return;
    }
    const ch = CHANNEL_RE.exec(channel);
    if (!ch || ch[2] === undefined) return;
    const market = ch[2];
    const mapped = ch[1] === 'trades' && event === 'trade' ? this.mapTrade(market, data) : ch[1] === 'orders' ? this.mapOrder(market, event, data) : undefined;
    if (mapped) this.o.onEvent(mapped);
    if (ch[1] === 'orders' && event === 'order_deleted') this.schedulePrune();
  }

  private timeFrom(micro: string | number | undefined, seconds?: string | number): string {
    if (micro !== undefined && /^\d+$/.test(String(micro))) return isoAt(Math.floor(Number(micro) / 1000));
    if (seconds !== undefined && /^\d+$/.test(String(seconds))) return isoAt(Number(seconds) * 1000);
    return isoAt(this.o.clock.now());
  }

  private mapTrade(market: string, data: unknown): ExchangeEvent | undefined {
    const r = tradeDataSchema.safeParse(data);
    if (!r.success) {
      this.o.logger.warn({ account: this.o.account, market, issue: r.error.issues[0]?.message }, 'malformed my_trades event ignored');
      return undefined;
    }
    const t = r.data;
    const fill: FillReport = {
      fillId: fillId(t.order_id, t.id),
      exchangeOrderId: t.order_id,
      market,
      side: t.side,
      amount: t.amount,
      price: t.price,
      fee: t.fee,
      feeCurrency: this.o.quoteOf(market) ?? '',
      liquidity: inferLiquidity(market, t.amount, t.price, t.fee, this.o.feeRates?.()),
      at: this.timeFrom(t.microtimestamp),
    };
    if (t.client_order_id) fill.clientOrderId = t.client_order_id;
    return { type: 'fill', fill };
  }

  private mapOrder(market: string, event: string, data: unknown): ExchangeEvent | undefined {
    if (event !== 'order_created' && event !== 'order_changed' && event !== 'order_deleted') return undefined;
    const r = orderDataSchema.safeParse(data);
    if (!r.success) {
      this.o.logger.warn({ account: this.o.account, market, issue: r.error.issues[0]?.message }, 'malformed my_orders event ignored');
      return undefined;
    }
    const d = r.data;
    const remaining = new D(d.amount_str ?? d.amount);
    const original = d.amount_at_create !== undefined ? new D(d.amount_at_create) : remaining;
    // HB's rule (BITSTAMP.md §5): deleted with nothing remaining = filled, else cancelled/expired.
    const state = event !== 'order_deleted' ? 'open' : remaining.isZero() ? 'filled' : 'cancelled';
    const report: OrderStatusReport = {
      exchangeOrderId: d.id_str ?? d.id,
      market,
      side: String(d.order_type) === '0' ? 'buy' : 'sell',
      state,
      amount: decStr(original),
      filledAmount: decStr(D.max(0, original.minus(remaining))),
      price: d.price_str ?? d.price,
      fills: [],
      at: this.timeFrom(d.microtimestamp, d.datetime),
    };
    if (d.client_order_id) report.clientOrderId = d.client_order_id;
    return { type: 'order_update', report };
  }
}
