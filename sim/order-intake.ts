/**
 * Order intake: a place command reaching the simulated exchange. Validates it like Bitstamp, checks
 * and reserves the funds it needs, and builds the SimOrder (arriving at once, or later after latency).
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { DomainError } from '../src/domain/errors.ts';
import { isoAt } from '../src/domain/clock.ts';
import { validateOrder, type Market } from '../src/domain/market.ts';
import type { OrderRequest } from '../src/domain/order.ts';
import type { OrderAck, PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import { buyReservation, ZERO } from './fees.ts';
import type { SimOrder } from './order.ts';
import { priceKey } from './price.ts';
import type { MarketState } from './market-state.ts';
import type { EngineCore } from './engine-core.ts';
import { arrive } from './matching.ts';
import { applyExpiry, drawLatency } from './order-timers.ts';

/** Validates like Bitstamp, reserves funds, and schedules arrival. Throws DomainError; nothing is kept then. */
export function placeOrder(e: EngineCore, cmd: PlaceOrderCommand): OrderAck {
  const ms = e.market(cmd.market);
  const rules = e.rulesOf(ms);
  const isMarket = cmd.type !== 'limit';
  const reference = ms.last ?? (cmd.side === 'buy' ? ms.book?.asks[0]?.price : ms.book?.bids[0]?.price);
  const req: OrderRequest = { market: cmd.market, side: cmd.side, type: cmd.type, amount: cmd.amount, time_in_force: cmd.timeInForce, post_only: cmd.postOnly };
  if (cmd.price !== undefined) req.price = cmd.price;
  if (cmd.expireTime !== undefined) req.expire_time = cmd.expireTime;
  const opts: { now: Date; referencePrice?: string } = { now: new Date(e.nowMs) };
  if (reference !== undefined) opts.referencePrice = reference;
  const problem = validateOrder(rules, req, opts)[0];
  if (problem) throw new DomainError(problem.code, problem.message, problem.field ? { field: problem.field } : undefined);

  const amount = new D(cmd.amount);
  const price = cmd.price === undefined ? undefined : decStr(cmd.price);
  let reserveCurrency: string;
  let need: Dec;
  if (cmd.side === 'buy') {
    reserveCurrency = rules.quote;
    const available = e.ledger.availableOf(reserveCurrency);
    // A market buy before any price waits for the first print: it holds all the free quote meanwhile
    // (released on fill) and fills only what that pays for.
    if (isMarket && reference === undefined) need = available;
    else need = buyReservation(amount, price ?? estimateBuyPrice(e, ms, amount, rules), e.ratesOf(ms).max, rules);
    if (need.gt(available) || need.lte(0))
      throw new DomainError(
        'INSUFFICIENT_FUNDS',
        `You need ${decStr(need)} ${rules.quote} to open that order. You have only ${decStr(available)} ${rules.quote} available.`,
      );
  } else {
    reserveCurrency = rules.base;
    need = amount;
    const available = e.ledger.availableOf(reserveCurrency);
    if (need.gt(available))
      throw new DomainError(
        'INSUFFICIENT_FUNDS',
        `You have only ${decStr(available)} ${rules.base} available; the order needs ${decStr(amount)} ${rules.base}.`,
      );
  }

  const seq = ++e.orderSeq;
  const latency = drawLatency(e);
  const o: SimOrder = {
    seq,
    id: `sim-o-${seq}`,
    market: cmd.market,
    rules,
    side: cmd.side,
    type: cmd.type,
    tif: isMarket ? 'gtc' : cmd.timeInForce,
    postOnly: cmd.postOnly,
    amount,
    remaining: amount,
    filled: ZERO,
    key: price === undefined ? NaN : priceKey(price),
    placedAt: e.nowMs,
    arrivesAt: e.nowMs + latency,
    arrived: false,
    onBook: false,
    state: 'open',
    reserveCurrency,
    reserved: need,
    fills: [],
    updatedAt: e.nowMs,
  };
  if (price !== undefined) o.price = price;
  if (cmd.clientOrderId) o.clientOrderId = cmd.clientOrderId;
  applyExpiry(o, cmd.expireTime, e.nowMs);
  e.ledger.reserve(reserveCurrency, need);
  e.track(o);
  e.emitUpdate(o);
  if (latency === 0) arrive(e, o);
  return { exchangeOrderId: o.id, at: isoAt(o.placedAt) };
}

/** Price used to size a market buy's reservation: walk the observed book, else last + slippage. */
function estimateBuyPrice(e: EngineCore, ms: MarketState, amount: Dec, rules: Market): string {
  const asks = ms.book?.asks ?? [];
  let left = amount;
  let worst: string | undefined;
  for (const l of asks) {
    if (l.size.lte(0)) continue;
    worst = l.price;
    left = left.minus(l.size);
    if (left.lte(0)) break;
  }
  if (worst !== undefined && left.lte(0)) return worst;
  const last = ms.last ?? worst;
  if (last === undefined) throw new DomainError('EXCHANGE_REJECTED', `no price observed for ${ms.id} yet`);
  const slipped = new D(last).times(new D(1).plus(new D(e.slippageBps).div(10_000)));
  return decStr(slipped.toDecimalPlaces(rules.price_decimals, Decimal.ROUND_UP));
}
