/**
 * An ExchangeAdapter over one ccxt exchange instance (one per account, built once by the factory).
 * It only translates: adapter commands to unified ccxt calls, ccxt structures to reports
 * (parse.ts), ccxt errors to DomainErrors (errors.ts). Orders carry the service's client order id;
 * an exchange without one is read-only (capabilities.ts).
 */
import { isoAt, type Clock } from '../../domain/clock.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Side } from '../../domain/order.ts';
import type { Logger } from '../../observability/logger.ts';
import type {
  BalanceReport, ExchangeAdapter, ExchangeEvent, ExchangeListener, FeeReport, FillReport, OrderAck, OrderLocator, OrderStatusReport, PlaceOrderCommand,
} from '../adapter.ts';
import type { CcxtCredentials, CcxtLike, CcxtOrder } from './ccxt-like.ts';
import { capabilitiesOf, tradingRefusal, type CcxtCapabilities } from './capabilities.ts';
import { isCcxtError, redactorFor, toDomainError, type CallKind } from './errors.ts';
import { orderParams } from './order-params.ts';
import { MarketIndex, toBalanceReports, toFeeReports, toFillReport, toOrderReport } from './parse.ts';
import { CcxtPollStream } from './poll.ts';
import { CcxtWatchStream } from './ws.ts';

/** Orders whose market/side/client id are remembered (for replies that omit them); older ones are looked up anew. */
const MAX_HINTS = 10_000;

export interface CcxtAdapterOptions {
  account: string; // "<exchange>:<id>", for messages and logs
  ex: CcxtLike;
  clock: Clock;
  logger: Logger;
  /** Read per call, so credentials set after the adapter was built are picked up. */
  credentials: () => CcxtCredentials | undefined;
  /** Market ids whose private channels to watch where the exchange watches per market. */
  marketsFor: () => string[];
  pollIntervalMs?: number;
  watchRetryMs?: number;
  /** EXEC_MCP_OFFLINE: nothing is sent, every call is EXCHANGE_UNAVAILABLE. */
  offline?: boolean;
  /** Connection state for the status page: `live` while the stream (or polling) works, `backoff` after a loss. */
  reportState?: (state: string, lastError?: string) => void;
}

interface Hint {
  market?: string;
  side?: Side;
  clientOrderId?: string;
}

export class CcxtAdapter implements ExchangeAdapter {
  readonly exchange: string;
  readonly capabilities: CcxtCapabilities;
  private readonly listeners = new Set<ExchangeListener>();
  private readonly redact: (s: string) => string;
  private markets: MarketIndex | undefined;
  private stream: CcxtWatchStream | CcxtPollStream | undefined;
  /** Market, side and client id of orders seen, for replies that omit them (bitstamp's fetchOrder without symbol). */
  private readonly hints = new Map<string, Hint>();
  private readonly idByClient = new Map<string, string>();

  constructor(private readonly o: CcxtAdapterOptions) {
    this.exchange = o.ex.id;
    this.capabilities = capabilitiesOf(o.ex);
    this.redact = redactorFor(() => {
      const c = o.credentials();
      return c ? [c.apiKey, c.secret, c.password, c.uid] : [];
    });
  }

  /** "read-only: <why>" when this exchange cannot be traded safely, else undefined. */
  get readOnlyReason(): string | undefined {
    return tradingRefusal(this.exchange, this.capabilities);
  }

  private now(): string {
    return isoAt(this.o.clock.now());
  }

  private emit(event: ExchangeEvent): void {
    if (event.type === 'connected') this.o.reportState?.('live');
    else if (event.type === 'disconnected') this.o.reportState?.(this.stream ? 'backoff' : 'stopped', event.reason);
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        this.o.logger.error({ account: this.o.account, err: e instanceof Error ? e.message : String(e) }, 'exchange listener failed');
      }
    }
  }

  /** Runs a ccxt call with the current credentials and markets; every failure is a DomainError. */
  private async call<T>(kind: CallKind, fn: (ex: CcxtLike, m: MarketIndex) => Promise<T>): Promise<T> {
    const ex = this.o.ex;
    if (this.o.offline) throw new DomainError('EXCHANGE_UNAVAILABLE', `offline mode (EXEC_MCP_OFFLINE=1): nothing is sent to ${this.exchange}`);
    this.applyCredentials();
    try {
      this.markets ??= new MarketIndex(await ex.loadMarkets());
    } catch (e) {
      throw toDomainError(e, 'read', this.exchange, this.redact);
    }
    try {
      return await fn(ex, this.markets);
    } catch (e) {
      throw toDomainError(e, kind, this.exchange, this.redact);
    }
  }

  private applyCredentials(): void {
    const c = this.o.credentials();
    if (!c) throw new DomainError('NO_CREDENTIALS', `account ${this.o.account} has no ${this.exchange} API credentials; set them with accounts set-credentials`);
    const ex = this.o.ex;
    // A passphrase or uid the exchange requires and nobody set: say which, rather than fail signing.
    const missing = (['password', 'uid'] as const).filter((f) => ex.requiredCredentials[f] === true && c[f] === undefined);
    if (missing.length > 0)
      throw new DomainError(
        'NO_CREDENTIALS',
        `${this.exchange} needs ${missing.join(' and ')} besides the API key and secret; set them with accounts set-credentials ${this.o.account} --api-key K${missing.includes('uid') ? ' --uid U' : ''}${missing.includes('password') ? ' --with-password' : ''}`,
      );
    if (ex.apiKey !== c.apiKey) ex.apiKey = c.apiKey;
    if (ex.secret !== c.secret) ex.secret = c.secret;
    if (c.password !== undefined) ex.password = c.password;
    if (c.uid !== undefined) ex.uid = c.uid;
  }

  private remember(id: string, h: Hint): void {
    const had = this.hints.get(id);
    this.hints.delete(id); // re-inserted last: the oldest hints are the ones dropped
    this.hints.set(id, { ...had, ...h });
    if (h.clientOrderId !== undefined) this.idByClient.set(h.clientOrderId, id);
    if (this.hints.size > MAX_HINTS) {
      const [oldest, hint] = this.hints.entries().next().value ?? [];
      if (oldest !== undefined) this.hints.delete(oldest);
      if (hint?.clientOrderId !== undefined) this.idByClient.delete(hint.clientOrderId);
    }
  }

  private report(o: CcxtOrder, m: MarketIndex, extra: Hint = {}): OrderStatusReport {
    const r = toOrderReport(o, m, this.now(), { ...this.hints.get(o.id), ...extra }, this.capabilities.remainingField);
    const h: Hint = { side: r.side };
    if (r.market !== '') h.market = r.market;
    if (r.clientOrderId !== undefined) h.clientOrderId = r.clientOrderId;
    this.remember(r.exchangeOrderId, h);
    return r;
  }

  async placeOrder(cmd: PlaceOrderCommand): Promise<OrderAck> {
    const refusal = this.readOnlyReason;
    if (refusal !== undefined) throw new DomainError('EXCHANGE_REJECTED', `${refusal}; the order was not placed`);
    const param = this.capabilities.clientOrderIdParam ?? 'clientOrderId';
    return this.call('place', async (ex, m) => {
      const symbol = m.symbolOf(cmd.market);
      const { type, price, params } = orderParams(cmd, param);
      const o = await ex.createOrder(symbol, type, cmd.side, Number(cmd.amount), price, params);
      this.remember(o.id, { market: cmd.market, side: cmd.side, clientOrderId: cmd.clientOrderId });
      return { exchangeOrderId: o.id, at: o.timestamp !== undefined ? isoAt(o.timestamp) : this.now() };
    });
  }

  /**
   * Cancels by exchange id (found by client id first when needed). A refusal is checked against
   * the order itself: several exchanges word "no such open order" as a plain error.
   */
  async cancelOrder(locator: OrderLocator): Promise<void> {
    let id = locator.exchangeOrderId;
    if (id === undefined) {
      const found = await this.queryOrder(locator);
      if (!found) throw new DomainError('ORDER_NOT_FOUND', `no order with client_order_id ${locator.clientOrderId ?? '?'} on ${this.exchange}`);
      if (found.state !== 'open') throw new DomainError('ORDER_NOT_FOUND', `order ${found.exchangeOrderId} is ${found.state}, not open`);
      id = found.exchangeOrderId;
    }
    const orderId = id;
    const market = locator.market ?? this.hints.get(orderId)?.market;
    try {
      await this.call('cancel', async (ex, m) => ex.cancelOrder(orderId, market !== undefined ? m.symbolOf(market) : undefined));
    } catch (e) {
      if (!(e instanceof DomainError) || e.code === 'OUTCOME_UNKNOWN' || e.code === 'ORDER_NOT_FOUND' || e.code === 'RATE_LIMITED' || e.code === 'EXCHANGE_UNAVAILABLE') throw e;
      const now = await this.queryOrder({ exchangeOrderId: orderId, ...(market !== undefined ? { market } : {}) }).catch(() => undefined);
      if (now === null || (now !== undefined && now.state !== 'open'))
        throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} is not open on ${this.exchange}${now ? ` (it is ${now.state})` : ''}`);
      throw e;
    }
  }

  async cancelAllOrders(market?: string): Promise<string[]> {
    const before = await this.listOpenOrders(market);
    if (this.o.ex.has['cancelAllOrders'] === true) {
      await this.call('cancel', async (ex, m) => ex.cancelAllOrders(market !== undefined ? m.symbolOf(market) : undefined));
      return before.map((r) => r.exchangeOrderId);
    }
    // No cancel-all: one by one; an order that filled meanwhile is simply not in the result.
    const cancelled: string[] = [];
    for (const r of before) {
      try {
        await this.cancelOrder({ exchangeOrderId: r.exchangeOrderId, market: r.market });
        cancelled.push(r.exchangeOrderId);
      } catch (e) {
        if (!(e instanceof DomainError && e.code === 'ORDER_NOT_FOUND')) throw e;
      }
    }
    return cancelled;
  }

  async queryOrder(locator: OrderLocator): Promise<OrderStatusReport | null> {
    const id = locator.exchangeOrderId ?? (locator.clientOrderId !== undefined ? this.idByClient.get(locator.clientOrderId) : undefined);
    const market = locator.market ?? (id !== undefined ? this.hints.get(id)?.market : undefined);
    const hint: Hint = locator.clientOrderId !== undefined ? { clientOrderId: locator.clientOrderId } : {};
    try {
      return await this.call('read', async (ex, m) => {
        const symbol = market !== undefined && market !== '' ? m.symbolOf(market) : undefined;
        if (id !== undefined) return this.report(await ex.fetchOrder(id, symbol), m, hint);
        const cid = locator.clientOrderId;
        if (cid === undefined) throw new DomainError('INVALID_ARGUMENT', 'an order locator needs exchangeOrderId or clientOrderId');
        if (this.capabilities.fetchByClientOrderId) return this.report(await ex.fetchOrder('', symbol, { clientOrderId: cid }), m, hint);
        // No lookup by client id: search what the exchange lists.
        const lists = [await ex.fetchOpenOrders(symbol)];
        if (this.capabilities.fetchClosedOrders) lists.push(await ex.fetchClosedOrders(symbol));
        const found = lists.flat().find((o) => o.clientOrderId === cid);
        return found ? this.report(found, m, hint) : null;
      });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'ORDER_NOT_FOUND') return null;
      throw e;
    }
  }

  async listOpenOrders(market?: string): Promise<OrderStatusReport[]> {
    return this.call('read', async (ex, m) => (await ex.fetchOpenOrders(market !== undefined ? m.symbolOf(market) : undefined)).map((o) => this.report(o, m)));
  }

  /** Fills since `since`; exchanges that want a symbol are asked market by market. */
  async listFills(since?: string): Promise<FillReport[]> {
    const sinceMs = since !== undefined ? Date.parse(since) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new DomainError('INVALID_ARGUMENT', `since "${since}" is not an ISO-8601 timestamp`);
    return this.call('read', async (ex, m) => {
      let trades;
      try {
        trades = await ex.fetchMyTrades(undefined, sinceMs);
      } catch (e) {
        if (!isCcxtError(e, 'ArgumentsRequired')) throw e;
        trades = (await Promise.all(this.o.marketsFor().map((id) => ex.fetchMyTrades(m.symbolOf(id), sinceMs)))).flat();
      }
      const now = this.now();
      return trades
        .map((t) => toFillReport(t, m, now, t.order !== undefined ? (this.hints.get(t.order) ?? {}) : {}))
        .filter((f) => sinceMs === undefined || Date.parse(f.at) >= sinceMs);
    });
  }

  async getBalances(): Promise<BalanceReport[]> {
    return this.call('read', async (ex) => toBalanceReports(await ex.fetchBalance()));
  }

  async getFees(): Promise<FeeReport[]> {
    if (!this.capabilities.fetchTradingFees) return [];
    return this.call('read', async (ex, m) => toFeeReports(await ex.fetchTradingFees(), m, this.capabilities.feesArePercent));
  }

  subscribe(listener: ExchangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches where ccxt can (orders and trades), else polls; without credentials nothing starts. */
  async start(): Promise<void> {
    if (this.stream || this.o.offline) return;
    if (!this.o.credentials()) {
      this.o.logger.info({ account: this.o.account }, `no ${this.exchange} credentials; order updates not started`);
      return;
    }
    this.applyCredentials();
    const caps = this.capabilities;
    if (caps.watchOrders && caps.watchMyTrades) {
      const markets = await this.call('read', async (_ex, m) => m);
      this.stream = new CcxtWatchStream({
        ex: this.o.ex, account: this.o.account, logger: this.o.logger,
        targets: () => (caps.watchPerMarket ? this.o.marketsFor().map((id) => markets.symbolOf(id)) : [undefined]),
        onOrder: (o) => this.emit({ type: 'order_update', report: this.report(o, markets) }),
        onTrade: (t) => this.emit({ type: 'fill', fill: toFillReport(t, markets, this.now(), t.order !== undefined ? (this.hints.get(t.order) ?? {}) : {}) }),
        emit: (e) => this.emit(e),
        redact: this.redact,
        ...(this.o.watchRetryMs !== undefined ? { retryMs: this.o.watchRetryMs } : {}),
      });
    } else {
      this.stream = new CcxtPollStream({
        account: this.o.account, clock: this.o.clock, logger: this.o.logger, intervalMs: this.o.pollIntervalMs ?? 5_000,
        openOrders: () => this.listOpenOrders(),
        queryOrder: (exchangeOrderId, market) => this.queryOrder(market !== '' ? { exchangeOrderId, market } : { exchangeOrderId }),
        fillsSince: (since) => this.listFills(since),
        emit: (e) => this.emit(e),
      });
    }
    this.stream.start();
  }

  async close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    await s?.stop();
  }
}

