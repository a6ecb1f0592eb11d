/**
 * The emulator's in-memory exchange: accounts with reserved balances, orders with Bitstamp's
 * validation rules (BITSTAMP.md §7.6-10), matching against external trades, transactions, and the
 * private events that the WS server pushes. Replies are built in Bitstamp's own wire shapes.
 */
import { EventEmitter } from 'node:events';
import { Decimal } from 'decimal.js';
import type { Clock } from '../../src/domain/clock.ts';
import { D } from '../../src/domain/money.ts';
import { EmuError, fieldError, generalError } from './wire.ts';

export interface EmuMarket {
  symbol: string;
  name: string; // "BTC/USD"
  base: string; // lower case
  quote: string;
  baseDecimals: number;
  counterDecimals: number;
  minValue: Decimal;
  trading: boolean;
  instant: boolean;
}
export interface EmuAccountConfig {
  apiKey: string;
  secret: string;
  userId: string;
  balances?: Record<string, string>;
  fees?: { maker: string; taker: string }; // percent, e.g. "0.30"
}
export interface EmuBalance {
  total: Decimal;
  reserved: Decimal;
}
export interface EmuAccount {
  apiKey: string;
  secret: string;
  userId: string;
  balances: Map<string, EmuBalance>;
  makerPct: Decimal;
  takerPct: Decimal;
}
export type EmuStatus = 'Open' | 'Finished' | 'Canceled' | 'Expired';
export interface EmuTx {
  tid: number;
  orderId: number;
  at: number;
  price: Decimal;
  amount: Decimal; // base
  quoteAmount: Decimal;
  fee: Decimal;
  side: 'buy' | 'sell';
  market: EmuMarket;
}
export interface EmuOrder {
  id: number;
  userId: string;
  market: EmuMarket;
  side: 'buy' | 'sell';
  kind: 'limit' | 'market' | 'instant';
  price: Decimal;
  amountAtCreate: Decimal;
  remaining: Decimal;
  clientOrderId?: string;
  status: EmuStatus;
  createdAt: number;
  tif: 'gtc' | 'ioc' | 'fok' | 'moc' | 'daily' | 'gtd';
  expireAt?: number;
  reserved: Decimal; // still reserved for this order (quote for buys, base for sells)
  txs: EmuTx[];
}
export interface PrivateEvent {
  userId: string;
  channel: string;
  event: string;
  data: Record<string, unknown>;
}
export interface LimitParams {
  amount: string;
  price: string;
  flags: Set<string>; // daily_order, ioc_order, fok_order, moc_order, gtd_order
  expireTime?: string;
  clientOrderId?: string;
}

const DAY_MS = 86_400_000;
const pct = (p: Decimal): Decimal => p.div(100);

export class EmulatorEngine extends EventEmitter {
  readonly markets = new Map<string, EmuMarket>();
  readonly accounts = new Map<string, EmuAccount>(); // by api key
  readonly orders: EmuOrder[] = [];
  readonly deposits: Array<{ id: number; userId: string; at: number; currency: string; amount: Decimal }> = [];
  readonly lastPrice = new Map<string, Decimal>();
  private nextOrderId = 1_700_000_000;
  private nextTid = 300_000_000;

  constructor(private readonly clock: Clock, markets: Array<Record<string, unknown>>) {
    super();
    for (const m of markets) {
      if (m.market_type !== undefined && m.market_type !== 'SPOT') continue;
      const symbol = String(m.market_symbol);
      this.markets.set(symbol, {
        symbol,
        name: String(m.name),
        base: String(m.base_currency).toLowerCase(),
        quote: String(m.counter_currency).toLowerCase(),
        baseDecimals: Number(m.base_decimals),
        counterDecimals: Number(m.counter_decimals),
        minValue: new D(String(m.minimum_order_value)),
        trading: m.trading === 'Enabled',
        instant: m.instant_and_market_orders === 'Enabled',
      });
    }
  }

  addAccount(cfg: EmuAccountConfig): EmuAccount {
    const acc: EmuAccount = {
      apiKey: cfg.apiKey,
      secret: cfg.secret,
      userId: cfg.userId,
      balances: new Map(),
      makerPct: new D(cfg.fees?.maker ?? '0.30'),
      takerPct: new D(cfg.fees?.taker ?? '0.40'),
    };
    this.accounts.set(cfg.apiKey, acc);
    for (const [cur, amt] of Object.entries(cfg.balances ?? {})) this.deposit(acc, cur, amt);
    return acc;
  }

  deposit(acc: EmuAccount, currency: string, amount: string): void {
    const b = this.balance(acc, currency.toLowerCase());
    b.total = b.total.plus(amount);
    this.deposits.push({ id: this.nextTid++, userId: acc.userId, at: this.clock.now(), currency: currency.toLowerCase(), amount: new D(amount) });
  }

  balance(acc: EmuAccount, currency: string): EmuBalance {
    let b = acc.balances.get(currency);
    if (!b) acc.balances.set(currency, (b = { total: new D(0), reserved: new D(0) }));
    return b;
  }

  market(symbol: string): EmuMarket {
    const m = this.markets.get(symbol);
    if (!m) throw new EmuError(404, { status: 'error', reason: `Invalid market "${symbol}".`, response_code: '404.001' });
    if (!m.trading) throw generalError('Trading is disabled for this market.', '400.003');
    return m;
  }

  setPrice(symbol: string, price: string): void {
    this.lastPrice.set(symbol, new D(price));
  }

  // ---- placing -----------------------------------------------------------------------------

  placeLimit(acc: EmuAccount, symbol: string, side: 'buy' | 'sell', p: LimitParams): EmuOrder {
    this.sweepExpired();
    const m = this.market(symbol);
    const tifFlags = ['daily_order', 'ioc_order', 'fok_order', 'moc_order', 'gtd_order'].filter((f) => p.flags.has(f));
    if (tifFlags.length > 1) throw generalError('Only one of daily_order, ioc_order, fok_order, moc_order, gtd_order can be set.', '400.024');
    const amount = this.decimalField('amount', p.amount, m.baseDecimals);
    const price = this.decimalField('price', p.price, m.counterDecimals);
    let expireAt: number | undefined;
    const now = this.clock.now();
    if (p.flags.has('gtd_order')) {
      if (p.expireTime === undefined || !/^\d+$/.test(p.expireTime)) throw fieldError('expire_time', 'expire_time (epoch milliseconds) is required with gtd_order.');
      expireAt = Number(p.expireTime);
      if (expireAt <= now) throw fieldError('expire_time', 'expire_time must be in the future.');
    }
    if (p.flags.has('daily_order')) expireAt = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    this.checkMinimum(m, amount.times(price));
    const last = this.lastPrice.get(symbol);
    if (last && side === 'buy' && price.gt(last.times(1.2))) throw generalError('Price is more than 20% above market price.');
    if (last && side === 'sell' && price.lt(last.times(0.8))) throw generalError('Price is more than 20% below market price.');
    const reserve = side === 'buy' ? amount.times(price).times(pct(acc.takerPct).plus(1)) : amount;
    this.checkFunds(acc, m, side, reserve);
    const tif = (tifFlags[0]?.replace('_order', '') ?? 'gtc') as EmuOrder['tif'];
    const o = this.newOrder(acc, m, side, 'limit', price, amount, p.clientOrderId, tif, expireAt);
    o.reserved = reserve;
    this.balance(acc, side === 'buy' ? m.quote : m.base).reserved = this.balance(acc, side === 'buy' ? m.quote : m.base).reserved.plus(reserve);
    this.emitOrder(o, 'order_created');
    const crosses = last !== undefined && (side === 'buy' ? price.gte(last) : price.lte(last));
    if (crosses && last) {
      if (tif === 'moc') this.close(o, 'Canceled'); // post-only that would take: cancelled, not rejected
      else this.fill(o, o.remaining, last, 'taker');
    } else if (tif === 'ioc' || tif === 'fok') this.close(o, 'Canceled');
    return o;
  }

  /** Market order (amount in base) or instant order (buy: amount in counter currency; sell: base). */
  placeImmediate(acc: EmuAccount, symbol: string, side: 'buy' | 'sell', kind: 'market' | 'instant', amountText: string, clientOrderId?: string): EmuOrder {
    this.sweepExpired();
    const m = this.market(symbol);
    if (!m.instant) throw generalError('Instant and market orders are disabled for this market.', '400.003');
    const last = this.lastPrice.get(symbol);
    if (!last) throw generalError('No orders on the opposite side of the order book.', '500.004');
    const counterAmount = kind === 'instant' && side === 'buy';
    const given = this.decimalField('amount', amountText, counterAmount ? m.counterDecimals : m.baseDecimals);
    const amount = counterAmount ? given.div(last).toDecimalPlaces(m.baseDecimals, Decimal.ROUND_DOWN) : given;
    this.checkMinimum(m, amount.times(last));
    const need = side === 'buy' ? amount.times(last).times(pct(acc.takerPct).plus(1)) : amount;
    this.checkFunds(acc, m, side, need);
    const o = this.newOrder(acc, m, side, kind, last, amount, clientOrderId, 'gtc', undefined);
    this.fill(o, amount, last, 'taker');
    return o;
  }

  private newOrder(acc: EmuAccount, m: EmuMarket, side: 'buy' | 'sell', kind: EmuOrder['kind'], price: Decimal, amount: Decimal, clientOrderId: string | undefined, tif: EmuOrder['tif'], expireAt: number | undefined): EmuOrder {
    const o: EmuOrder = { id: this.nextOrderId++, userId: acc.userId, market: m, side, kind, price, amountAtCreate: amount, remaining: amount, status: 'Open', createdAt: this.clock.now(), tif, reserved: new D(0), txs: [] };
    if (clientOrderId !== undefined) o.clientOrderId = clientOrderId;
    if (expireAt !== undefined) o.expireAt = expireAt;
    this.orders.push(o);
    return o;
  }

  private decimalField(field: string, text: string, decimals: number): Decimal {
    if (!/^\d+(\.\d+)?$/.test(text)) throw fieldError(field, 'A valid number is required.');
    const v = new D(text);
    if (v.decimalPlaces() > decimals) throw fieldError(field, `Ensure that there are no more than ${decimals} decimal places.`);
    if (v.lte(0)) throw fieldError(field, 'Ensure this value is greater than 0.');
    return v;
  }

  private checkMinimum(m: EmuMarket, value: Decimal): void {
    if (value.lt(m.minValue)) throw generalError(`Minimum order size is ${m.minValue.toFixed()} ${m.quote.toUpperCase()}.`, '400.020');
  }

  private checkFunds(acc: EmuAccount, m: EmuMarket, side: 'buy' | 'sell', need: Decimal): void {
    const cur = side === 'buy' ? m.quote : m.base;
    const b = this.balance(acc, cur);
    const available = b.total.minus(b.reserved);
    if (available.gte(need)) return;
    const C = cur.toUpperCase();
    throw generalError(
      side === 'buy'
        ? `You need ${need.toFixed()} ${C} to open that order. You have only ${available.toFixed()} ${C} available. Check your account balance for details.`
        : `You have only ${available.toFixed()} ${C} available. Check your account balance for details.`,
      '400.009',
    );
  }

  // ---- fills and closing -------------------------------------------------------------------

  private accountOf(o: EmuOrder): EmuAccount {
    for (const a of this.accounts.values()) if (a.userId === o.userId) return a;
    throw new Error(`no account ${o.userId}`);
  }

  private fill(o: EmuOrder, amount: Decimal, price: Decimal, liquidity: 'maker' | 'taker'): void {
    const acc = this.accountOf(o);
    const m = o.market;
    const quoteAmount = amount.times(price);
    const fee = quoteAmount.times(pct(liquidity === 'maker' ? acc.makerPct : acc.takerPct)).toDecimalPlaces(Math.max(2, m.counterDecimals), Decimal.ROUND_HALF_UP);
    const release = o.remaining.isZero() ? new D(0) : o.reserved.times(amount.div(o.remaining));
    const q = this.balance(acc, m.quote);
    const b = this.balance(acc, m.base);
    if (o.side === 'buy') {
      q.reserved = q.reserved.minus(release);
      q.total = q.total.minus(quoteAmount).minus(fee);
      b.total = b.total.plus(amount);
    } else {
      b.reserved = b.reserved.minus(release);
      b.total = b.total.minus(amount);
      q.total = q.total.plus(quoteAmount).minus(fee);
    }
    o.reserved = o.reserved.minus(release);
    o.remaining = o.remaining.minus(amount);
    const tx: EmuTx = { tid: this.nextTid++, orderId: o.id, at: this.clock.now(), price, amount, quoteAmount, fee, side: o.side, market: m };
    o.txs.push(tx);
    // As recorded (ccxt's sample, HB's mock): order_id as a string, no client_order_id.
    this.emitPrivate(o.userId, `private-my_trades_${m.symbol}-${o.userId}`, 'trade', {
      id: tx.tid,
      order_id: String(o.id),
      amount: amount.toFixed(),
      price: price.toFixed(),
      fee: fee.toFixed(),
      side: o.side,
      microtimestamp: String(tx.at * 1000),
      trade_account_id: 0,
    });
    if (o.remaining.isZero()) this.close(o, 'Finished');
    else this.emitOrder(o, 'order_changed');
  }

  close(o: EmuOrder, status: Exclude<EmuStatus, 'Open'>): void {
    const acc = this.accountOf(o);
    const b = this.balance(acc, o.side === 'buy' ? o.market.quote : o.market.base);
    b.reserved = b.reserved.minus(o.reserved);
    o.reserved = new D(0);
    o.status = status;
    this.emitOrder(o, 'order_deleted');
  }

  /** An external trade at `price` for `amount`: fills crossing resting orders as maker, best price then time. */
  trade(symbol: string, price: string, amount: string): number {
    this.sweepExpired();
    const p = new D(price);
    let left = new D(amount);
    this.lastPrice.set(symbol, p);
    const resting = this.orders
      .filter((o) => o.status === 'Open' && o.market.symbol === symbol && (o.side === 'buy' ? o.price.gte(p) : o.price.lte(p)))
      .sort((a, b) => (a.side === b.side ? (a.side === 'buy' ? b.price.cmp(a.price) : a.price.cmp(b.price)) || a.id - b.id : a.id - b.id));
    let fills = 0;
    for (const o of resting) {
      if (left.lte(0)) break;
      const n = D.min(left, o.remaining);
      this.fill(o, n, o.price, 'maker');
      left = left.minus(n);
      fills++;
    }
    return fills;
  }

  sweepExpired(): void {
    const now = this.clock.now();
    for (const o of this.orders) if (o.status === 'Open' && o.expireAt !== undefined && o.expireAt <= now) this.close(o, 'Expired');
  }

  // ---- lookups -----------------------------------------------------------------------------

  find(acc: EmuAccount, locator: { id?: string; clientOrderId?: string }): EmuOrder | undefined {
    this.sweepExpired();
    const mine = this.orders.filter((o) => o.userId === acc.userId);
    if (locator.id !== undefined) return mine.find((o) => String(o.id) === locator.id);
    // Duplicated client_order_ids are accepted since 2023; the latest order wins.
    if (locator.clientOrderId !== undefined) return mine.filter((o) => o.clientOrderId === locator.clientOrderId).at(-1);
    return undefined;
  }

  openOrders(acc: EmuAccount, symbol?: string): EmuOrder[] {
    this.sweepExpired();
    return this.orders.filter((o) => o.userId === acc.userId && o.status === 'Open' && (symbol === undefined || o.market.symbol === symbol));
  }

  transactions(acc: EmuAccount): EmuTx[] {
    return this.orders.filter((o) => o.userId === acc.userId).flatMap((o) => o.txs);
  }

  /**
   * `amount_traded` is what the order has traded so far: after a full fill `order_deleted` carries the
   * whole amount (ccxt's recorded sample, Hummingbot's mock), after a cancel what was filled before.
   */
  private emitOrder(o: EmuOrder, event: string): void {
    const traded = o.amountAtCreate.minus(o.remaining);
    this.emitPrivate(o.userId, `private-my_orders_${o.market.symbol}-${o.userId}`, event, {
      id: o.id,
      id_str: String(o.id),
      client_order_id: o.clientOrderId ?? '',
      order_type: o.side === 'buy' ? 0 : 1,
      datetime: String(Math.floor(this.clock.now() / 1000)),
      microtimestamp: String(this.clock.now() * 1000),
      amount: o.remaining.toNumber(),
      amount_str: o.remaining.toFixed(),
      amount_traded: traded.toFixed(),
      amount_at_create: o.amountAtCreate.toFixed(),
      price: o.price.toNumber(),
      price_str: o.price.toFixed(),
      trade_account_id: 0,
    });
  }

  private emitPrivate(userId: string, channel: string, event: string, data: Record<string, unknown>): void {
    const e: PrivateEvent = { userId, channel, event, data };
    this.emit('private', e);
  }
}
