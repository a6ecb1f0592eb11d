/**
 * Order intake: a place command reaching the simulated exchange. Validates it like Bitstamp, checks
 * and reserves the funds it needs, and builds the SimOrder (arriving at once, or later after latency).
 * The rules live in intakeProblems(), which placeOrder() enforces and checkOrder() reports, so a
 * preview and the venue can never disagree about what the venue refuses.
 */
import { Decimal } from 'decimal.js';
import { D, type Dec, decStr } from '../src/domain/money.ts';
import { DomainError, type Problem } from '../src/domain/errors.ts';
import { isoAt } from '../src/domain/clock.ts';
import { validateOrder, type Market } from '../src/domain/market.ts';
import type { OrderRequest } from '../src/domain/order.ts';
import type { OrderAck, PlaceOrderCommand } from '../src/exchanges/adapter.ts';
import { buyReservation, ZERO } from './fees.ts';
import type { SimOrder } from './order.ts';
import { priceKey } from './price.ts';
import type { MarketState } from './market-state.ts';
import type { EngineCore } from './engine-core.ts';
import { arrive, postOnlyWouldTake } from './matching.ts';
import { applyExpiry, drawLatency } from './order-timers.ts';

/** What intake would hold for an order it accepts. */
interface Reservation {
  rules: Market;
  reserveCurrency: string;
  need: Dec;
}

/**
 * Every refusal of intake for `cmd` (market rules first, then funds), and the reservation when there
 * is none. Pure: reads the engine, changes nothing (beyond creating an empty market entry).
 */
function intakeProblems(e: EngineCore, cmd: PlaceOrderCommand): { problems: Problem[]; reservation?: Reservation } {
  const ms = e.market(cmd.market);
  const rules = e.rulesOf(ms);
  const isMarket = cmd.type !== 'limit';
  const reference = ms.last ?? (cmd.side === 'buy' ? ms.book?.asks[0]?.price : ms.book?.bids[0]?.price);
  const req: OrderRequest = { market: cmd.market, side: cmd.side, type: cmd.type, amount: cmd.amount, time_in_force: cmd.timeInForce, post_only: cmd.postOnly };
  if (cmd.price !== undefined) req.price = cmd.price;
  if (cmd.expireTime !== undefined) req.expire_time = cmd.expireTime;
  const opts: { now: Date; referencePrice?: string } = { now: new Date(e.nowMs) };
  if (reference !== undefined) opts.referencePrice = reference;
  const problems = validateOrder(rules, req, opts);
  const amount = new D(cmd.amount);
  // Funds can only be weighed for a positive amount at a positive price.
  if (amount.lte(0) || (cmd.price !== undefined && new D(cmd.price).lte(0))) return { problems };

  const price = cmd.price === undefined ? undefined : decStr(cmd.price);
  if (cmd.side === 'buy') {
    const available = e.ledger.availableOf(rules.quote);
    let need: Dec;
    // A market buy before any price waits for the first print: it holds all the free quote meanwhile
    // (released on fill) and fills only what that pays for.
    if (isMarket && reference === undefined) need = available;
    else {
      const at = price ?? estimateBuyPrice(e, ms, amount, rules);
      if (at === undefined) return { problems: [...problems, { code: 'EXCHANGE_REJECTED', message: `no price observed for ${ms.id} yet` }] };
      need = buyReservation(amount, at, e.ratesOf(ms).max, rules);
    }
    if (need.gt(available) || need.lte(0))
      problems.push({
        code: 'INSUFFICIENT_FUNDS',
        field: 'amount',
        message: `You need ${decStr(need)} ${rules.quote} to open that order. You have only ${decStr(available)} ${rules.quote} available.`,
      });
    return problems.length > 0 ? { problems } : { problems, reservation: { rules, reserveCurrency: rules.quote, need } };
  }
  const available = e.ledger.availableOf(rules.base);
  if (amount.gt(available))
    problems.push({
      code: 'INSUFFICIENT_FUNDS',
      field: 'amount',
      message: `You have only ${decStr(available)} ${rules.base} available; the order needs ${decStr(amount)} ${rules.base}.`,
    });
  return problems.length > 0 ? { problems } : { problems, reservation: { rules, reserveCurrency: rules.base, need: amount } };
}

/**
 * What the venue would do with `cmd` that is not a fill: intake's refusals, and a post_only order
 * that would take liquidity at the current market (it is cancelled on arrival, like Bitstamp's MOC).
 * Places nothing. With latency the market may move before arrival; the answer is for the market now.
 */
export function checkOrder(e: EngineCore, cmd: PlaceOrderCommand): Problem[] {
  const { problems, reservation } = intakeProblems(e, cmd);
  if (reservation && cmd.postOnly && postOnlyWouldTake(e, e.market(cmd.market), simOrderOf(e, cmd, reservation, 0, 0)))
    problems.push({
      code: 'EXCHANGE_REJECTED',
      field: 'post_only',
      message: `post_only ${cmd.side} at ${cmd.price ?? 'market'} would take liquidity at the current ${cmd.market} price; the venue cancels it on arrival (price it away from the book, or drop post_only)`,
    });
  return problems;
}

/** Validates like Bitstamp, reserves funds, and schedules arrival. Throws DomainError; nothing is kept then. */
export function placeOrder(e: EngineCore, cmd: PlaceOrderCommand): OrderAck {
  const { problems, reservation } = intakeProblems(e, cmd);
  const problem = problems[0];
  if (problem || !reservation) {
    const p = problem ?? { code: 'INTERNAL' as const, message: 'order intake decided nothing' };
    throw new DomainError(p.code, p.message, p.field ? { field: p.field } : undefined);
  }
  const seq = ++e.orderSeq;
  const latency = drawLatency(e);
  const o = simOrderOf(e, cmd, reservation, seq, latency);
  applyExpiry(o, cmd.expireTime, e.nowMs);
  e.ledger.reserve(reservation.reserveCurrency, reservation.need);
  e.track(o);
  e.emitUpdate(o);
  if (latency === 0) arrive(e, o);
  return { exchangeOrderId: o.id, at: isoAt(o.placedAt) };
}

function simOrderOf(e: EngineCore, cmd: PlaceOrderCommand, r: Reservation, seq: number, latency: number): SimOrder {
  const amount = new D(cmd.amount);
  const price = cmd.price === undefined ? undefined : decStr(cmd.price);
  const o: SimOrder = {
    seq,
    id: `sim-o-${seq}`,
    market: cmd.market,
    rules: r.rules,
    side: cmd.side,
    type: cmd.type,
    tif: cmd.type !== 'limit' ? 'gtc' : cmd.timeInForce,
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
    reserveCurrency: r.reserveCurrency,
    reserved: r.need,
    fills: [],
    updatedAt: e.nowMs,
  };
  if (price !== undefined) o.price = price;
  if (cmd.clientOrderId) o.clientOrderId = cmd.clientOrderId;
  return o;
}

/** Price used to size a market buy's reservation: walk the observed book, else last + slippage. */
function estimateBuyPrice(e: EngineCore, ms: MarketState, amount: Dec, rules: Market): string | undefined {
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
  if (last === undefined) return undefined;
  const slipped = new D(last).times(new D(1).plus(new D(e.slippageBps).div(10_000)));
  return decStr(slipped.toDecimalPlaces(rules.price_decimals, Decimal.ROUND_UP));
}
