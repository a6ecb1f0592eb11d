/**
 * The live Bitstamp ExchangeAdapter: translates adapter commands to REST calls (rest.ts), replies
 * to reports (parse.ts), and pushed WS events to adapter events (ws.ts). It holds no order state.
 */
import type { Signer } from '../../credentials/signer.ts';
import { isoAt, type Clock } from '../../domain/clock.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type {
  BalanceReport,
  ExchangeAdapter,
  ExchangeEvent,
  ExchangeListener,
  FeeReport,
  FillReport,
  OrderAck,
  OrderLocator,
  OrderStatusReport,
  PlaceOrderCommand,
} from '../adapter.ts';
import type { Side } from '../../domain/order.ts';
import type { IdentityGate } from './identity.ts';
import { OrderHintBook } from './order-hints.ts';
import { hintsForStatus } from './order-status-hints.ts';
import {
  bitstampDatetimeToIso,
  splitMarketName,
  toBalanceReport,
  toFeeReport,
  toOpenOrderReport,
  toOrderStatusReport,
  userTransactionToFill,
  type FeeRates,
  type orderStatusSchema,
} from './parse.ts';
import type { z } from 'zod';
import type { BitstampRestClient } from './rest.ts';
import type { BitstampPrivateStream } from './ws.ts';

/**
 * Instant BUY orders on Bitstamp take their amount in counter currency (unverified), while our
 * contract's amount is always base currency. Converting would need a price we do not have, so an
 * instant buy is sent as a market buy (same effect: immediate execution at the market, amount in
 * base). Instant sells take base amounts and are sent as instant sells. Change here if needed.
 */
export const INSTANT_BUY_SENT_AS: 'market' | 'instant' = 'market';
const FEE_RATES_TTL_MS = 3_600_000;
const FILL_PAGE = 1000;
const MAX_FILL_PAGES = 20;
/** How long an order waits for its market's channels before it is sent anyway (reconciliation covers it). */
const STREAM_WAIT_MS = 5_000;

export interface BitstampAdapterOptions {
  account: string; // account reference "bitstamp:<id>", for logs
  clock: Clock;
  logger: Logger;
  /** Resolved per call, so credentials set after the adapter was built are picked up. */
  signer: () => Signer | undefined;
  rest: BitstampRestClient;
  stream: BitstampPrivateStream;
  /** Quote currency of a market symbol ("btcusd" -> "USD"), for replies that omit the market. */
  quoteOf?: (market: string) => string | undefined;
  /** The key-belongs-to-this-account check every signed call waits for (identity.ts). */
  identity?: IdentityGate;
  /** Connection state reported without the stream (a refused account is `stopped` with the reason). */
  reportState?: (state: string, lastError?: string) => void;
  /** Bound of the wait for a market's channels before its first order (default 5 s). */
  streamWaitMs?: number;
}

export interface ConnectionStatus {
  state: string;
  since: string;
  lastError?: string;
}

export class BitstampAdapter implements ExchangeAdapter {
  readonly exchange = 'bitstamp';
  private readonly listeners = new Set<ExchangeListener>();
  private feeRates: { at: number; rates: FeeRates } | undefined;
  private started = false;
  /** Market and side of orders seen, for order_status replies without `market`/`type`. */
  private readonly hints = new OrderHintBook();

  constructor(private readonly o: BitstampAdapterOptions) {}

  /** Fan-out target for the stream (wired by the factory). */
  emit(event: ExchangeEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        this.o.logger.error({ account: this.o.account, err: e instanceof Error ? e.message : String(e) }, 'exchange listener failed');
      }
    }
  }

  /** Credentials present and proved to be this account's (one `websockets_token/` per key): else nothing is sent. */
  private async requireCredentials(): Promise<void> {
    if (!this.o.signer())
      throw new DomainError('NO_CREDENTIALS', `account ${this.o.account} has no Bitstamp API credentials; set them with accounts set-credentials`);
    await this.o.identity?.ensure();
  }

  async placeOrder(cmd: PlaceOrderCommand): Promise<OrderAck> {
    await this.requireCredentials();
    const pair = cmd.market.toLowerCase();
    await this.ensureStream(pair);
    const base = { amount: cmd.amount, client_order_id: cmd.clientOrderId };
    let ack;
    if (cmd.type === 'limit') ack = await this.o.rest.placeLimit(cmd.side, pair, limitParams(cmd));
    else if (cmd.type === 'market' || (cmd.side === 'buy' && INSTANT_BUY_SENT_AS === 'market')) ack = await this.o.rest.placeMarket(cmd.side, pair, base);
    else ack = await this.o.rest.placeInstant(cmd.side, pair, base);
    this.hints.remember({ exchangeOrderId: ack.id, clientOrderId: cmd.clientOrderId }, { market: pair, side: cmd.side });
    return { exchangeOrderId: ack.id, at: (ack.datetime !== undefined ? bitstampDatetimeToIso(ack.datetime) : undefined) ?? isoAt(this.o.clock.now()) };
  }

  /**
   * Subscribes the market's private channels before its first order goes out, so its events are
   * not missed (the stream reconciles the market once acked). Bounded: on a timeout or a channel
   * error the order is sent anyway; fills then arrive through reconciliation and the channel retries.
   */
  private async ensureStream(market: string): Promise<void> {
    if (!this.started) return;
    const ok = await this.o.stream.ensureMarket(market, this.o.streamWaitMs ?? STREAM_WAIT_MS);
    if (!ok) this.o.logger.warn({ account: this.o.account, market }, 'market channels not subscribed in time; order sent anyway');
  }

  /** Private channels subscribed now (status page, /metrics). */
  get streamChannels(): number {
    return this.o.stream.channelCount;
  }

  /**
   * Bitstamp's cancel_order takes `id` only ("Missing id POST param."): without an exchange id the
   * order is first found by client_order_id (order_status), then cancelled by its id. An order the
   * exchange does not know is ORDER_NOT_FOUND either way.
   */
  async cancelOrder(locator: OrderLocator): Promise<void> {
    await this.requireCredentials();
    let id = locator.exchangeOrderId;
    if (id === undefined) {
      const found = await this.o.rest.orderStatus(bitstampLocator(locator));
      id = found.id;
      this.rememberStatus(found, locator.clientOrderId);
    }
    const r = await this.o.rest.cancelOrder({ id });
    const facts: { market?: string; side?: Side } = {};
    const parts = r.market !== undefined ? splitMarketName(r.market) : undefined;
    if (parts) facts.market = parts.market;
    if (r.type !== undefined) facts.side = r.type;
    this.hints.remember({ exchangeOrderId: id, clientOrderId: locator.clientOrderId }, facts);
  }

  async cancelAllOrders(market?: string): Promise<string[]> {
    await this.requireCredentials();
    const r = await this.o.rest.cancelAllOrders(market?.toLowerCase());
    return r.canceled.map((c) => c.id);
  }

  async queryOrder(locator: OrderLocator): Promise<OrderStatusReport | null> {
    await this.requireCredentials();
    return this.redacted(() => this.queryOrderOnce(locator));
  }

  /** Mapping errors quote reply text too: they get the REST client's redaction by value. */
  private async redacted<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.o.rest.redactError(e);
    }
  }

  private async queryOrderOnce(locator: OrderLocator): Promise<OrderStatusReport | null> {
    const rates = await this.rates();
    try {
      const o = await this.o.rest.orderStatus(bitstampLocator(locator));
      this.rememberStatus(o, locator.clientOrderId);
      const hints = await hintsForStatus(o, locator, {
        book: this.hints,
        quoteOf: this.o.quoteOf ?? (() => undefined),
        openOrders: (market) => this.listOpenOrders(market),
        userTransactions: (params, market) => this.o.rest.userTransactions(params, market),
        onGuessedSide: () => this.o.logger.warn({ account: this.o.account, order: o.id }, 'order_status without type for an order with no fills; side reported as buy'),
      });
      const report = toOrderStatusReport(o, 'order_status/', isoAt(this.o.clock.now()), rates, hints);
      this.hints.remember({ exchangeOrderId: report.exchangeOrderId, clientOrderId: report.clientOrderId }, { market: report.market, side: report.side });
      return report;
    } catch (e) {
      if (e instanceof DomainError && e.code === 'ORDER_NOT_FOUND') return null;
      throw e;
    }
  }

  /** Note: Bitstamp caches open_orders for 10 s; reconcile single orders with queryOrder. */
  async listOpenOrders(market?: string): Promise<OrderStatusReport[]> {
    await this.requireCredentials();
    const now = isoAt(this.o.clock.now());
    const rows = await this.o.rest.openOrders(market?.toLowerCase());
    const reports = await this.redacted(async () => rows.map((r) => toOpenOrderReport(r, 'open_orders/', now)));
    for (const r of reports) this.hints.remember({ exchangeOrderId: r.exchangeOrderId, clientOrderId: r.clientOrderId }, { market: r.market, side: r.side });
    return reports;
  }

  private rememberStatus(o: z.output<typeof orderStatusSchema>, clientOrderId: string | undefined): void {
    const parts = o.market !== undefined ? splitMarketName(o.market) : undefined;
    const facts: { market?: string; side?: Side } = {};
    if (parts) facts.market = parts.market;
    if (o.type !== undefined) facts.side = o.type;
    this.hints.remember({ exchangeOrderId: o.id, clientOrderId: o.client_order_id ?? clientOrderId }, facts);
  }

  async listFills(since?: string): Promise<FillReport[]> {
    await this.requireCredentials();
    const rates = await this.rates();
    const sinceMs = since !== undefined ? Date.parse(since) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new DomainError('INVALID_ARGUMENT', `since "${since}" is not an ISO-8601 timestamp`);
    const fills: FillReport[] = [];
    for (let page = 0; page < MAX_FILL_PAGES; page++) {
      const params: { offset: number; limit: number; sort: 'asc'; since_timestamp?: number } = { offset: page * FILL_PAGE, limit: FILL_PAGE, sort: 'asc' };
      if (sinceMs !== undefined) params.since_timestamp = Math.floor(sinceMs / 1000);
      const rows = await this.o.rest.userTransactions(params);
      for (const row of rows) {
        const f = await this.redacted(async () => userTransactionToFill(row, 'user_transactions/', rates));
        if (f && (sinceMs === undefined || Date.parse(f.at) >= sinceMs)) fills.push(f);
      }
      if (rows.length < FILL_PAGE) break;
    }
    return fills;
  }

  async getBalances(): Promise<BalanceReport[]> {
    await this.requireCredentials();
    return (await this.o.rest.accountBalances()).map(toBalanceReport);
  }

  async getFees(): Promise<FeeReport[]> {
    await this.requireCredentials();
    const fees = (await this.o.rest.tradingFees()).map(toFeeReport).filter((f): f is FeeReport => f !== undefined);
    this.feeRates = { at: this.o.clock.now(), rates: new Map(fees.map((f) => [f.market, { maker: f.maker, taker: f.taker }])) };
    return fees;
  }

  /** Cached maker/taker rates for liquidity inference; never fails the caller. */
  private async rates(): Promise<FeeRates | undefined> {
    if (this.feeRates && this.o.clock.now() - this.feeRates.at < FEE_RATES_TTL_MS) return this.feeRates.rates;
    try {
      await this.getFees();
    } catch (e) {
      this.o.logger.warn({ account: this.o.account, err: e instanceof Error ? e.message : String(e) }, 'fee rates unavailable; fills default to taker');
    }
    return this.feeRates?.rates;
  }

  /** Bitstamp's clock minus ours in ms, learned on API0017 (0 until then). */
  get clockSkewMs(): number {
    return this.o.rest.clockSkewMs;
  }

  /** Write replies accepted without a response signature (see rest.ts). */
  get missingResponseSignatures(): number {
    return this.o.rest.missingResponseSignatures;
  }

  cachedFeeRates(): FeeRates | undefined {
    return this.feeRates?.rates;
  }

  subscribe(listener: ExchangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the private stream; without credentials it stays off (call start() again after setting them). */
  async start(): Promise<void> {
    if (this.started) return;
    const refused = this.o.identity?.knownRefusal();
    if (refused) {
      this.o.logger.warn({ account: this.o.account, reason: refused.message }, 'bitstamp account refused; private stream not started');
      this.o.reportState?.('stopped', refused.message);
      return;
    }
    if (!this.o.signer()) {
      this.o.logger.info({ account: this.o.account }, 'no Bitstamp credentials; private stream not started');
      return;
    }
    this.started = true;
    this.o.stream.start();
  }

  async close(): Promise<void> {
    this.started = false;
    this.o.stream.stop();
  }
}

function bitstampLocator(l: OrderLocator): { id: string } | { client_order_id: string } {
  if (l.exchangeOrderId !== undefined) return { id: l.exchangeOrderId };
  if (l.clientOrderId !== undefined) return { client_order_id: l.clientOrderId };
  throw new DomainError('INVALID_ARGUMENT', 'an order locator needs exchangeOrderId or clientOrderId');
}

/** Limit order form fields: one TIF flag at most (Bitstamp 400.024); post_only is Bitstamp's MOC flag. */
export function limitParams(cmd: PlaceOrderCommand): Record<string, string> {
  if (cmd.price === undefined) throw new DomainError('INVALID_ARGUMENT', 'price is required for limit orders');
  const p: Record<string, string> = { amount: cmd.amount, price: cmd.price, client_order_id: cmd.clientOrderId };
  if (cmd.postOnly && cmd.timeInForce !== 'gtc')
    throw new DomainError('INVALID_ARGUMENT', `Bitstamp cannot combine post_only with time_in_force ${cmd.timeInForce}; post_only is only allowed with gtc`);
  if (cmd.postOnly) p.moc_order = 'True';
  switch (cmd.timeInForce) {
    case 'ioc':
      p.ioc_order = 'True';
      break;
    case 'fok':
      p.fok_order = 'True';
      break;
    case 'daily':
      p.daily_order = 'True';
      break;
    case 'gtd': {
      const ms = cmd.expireTime !== undefined ? Date.parse(cmd.expireTime) : Number.NaN;
      if (Number.isNaN(ms)) throw new DomainError('INVALID_ARGUMENT', 'expire_time (ISO-8601) is required with time_in_force gtd');
      p.gtd_order = 'True';
      p.expire_time = String(ms); // epoch milliseconds
      break;
    }
    case 'gtc':
      break;
  }
  return p;
}
