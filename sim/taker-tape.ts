/**
 * Taker orders on a trade tape (trades-only data): an order takes from each print at or after its
 * arrival at most `participation` × the print's amount, at the print's price (± slippage for market
 * orders, never worse than a limit), like NautilusTrader's trade-driven execution. The rest of a
 * market / GTC order waits in the market's `takers` list for later prints.
 */
import { D, type Dec } from '../src/domain/money.ts';
import { tapePrice } from './taker-price.ts';
import { floorToDecimals, ZERO } from './fees.ts';
import type { SimOrder } from './order.ts';
import type { TradePrint } from './types.ts';
import type { MarketState } from './market-state.ts';
import type { EngineCore } from './engine-core.ts';

/** One fill of `want` at `price` as taker; returns the amount filled (matching.ts's execute). */
export type Exec = (e: EngineCore, o: SimOrder, want: Dec, price: string) => Dec;

/** Capacity of one print for the account's takers (participation × amount; null = unlimited). */
export function printCap(e: EngineCore, t: TradePrint): Dec | null {
  if (t.amount === null) return null;
  const q = new D(t.amount);
  return e.participation === 1 ? q : q.times(e.participation);
}

/** Records a print of the current instant (cheap: no allocation beyond the reused array). */
export function notePrint(ms: MarketState, t: TradePrint): void {
  if (t.ts !== ms.instTs) {
    ms.instTs = t.ts;
    // pop() rather than `length = 0`: most instants hold one print, and setting length is a slow
    // builtin on V8 (measured: about a tenth of a trade replay).
    while (ms.inst.length !== 0) ms.inst.pop();
    ms.instTakenBuy = ZERO;
    ms.instTakenSell = ZERO;
  }
  // Bounded: an instant with more prints than this offers its arrivals only the first ones.
  if (ms.inst.length < 256) ms.inst.push(t);
  ms.tape = t.amount !== null;
}

/** What is left for a taker of side `side` in the prints of the instant `now` (in order, with prices). */
function instantLeft(e: EngineCore, ms: MarketState, o: SimOrder): { t: TradePrint; left: Dec }[] {
  if (ms.instTs !== e.nowMs) return [];
  let skip = o.side === 'buy' ? ms.instTakenBuy : ms.instTakenSell;
  const out: { t: TradePrint; left: Dec }[] = [];
  for (const t of ms.inst) {
    let cap = printCap(e, t);
    if (cap === null) continue; // a price-only mark inside a tape instant offers no sized liquidity
    if (skip.gt(0)) {
      const used = skip.lt(cap) ? skip : cap;
      skip = skip.minus(used);
      cap = cap.minus(used);
    }
    if (cap.gt(0)) out.push({ t, left: cap });
  }
  return out;
}

/** FOK on a tape: can the prints of its arrival instant (acceptable to it) cover it? */
export function fokCovered(e: EngineCore, ms: MarketState, o: SimOrder): boolean {
  let sum = ZERO;
  for (const { t, left } of instantLeft(e, ms, o)) {
    if (tapePrice(o, t, 0) === undefined) continue;
    sum = sum.plus(floorToDecimals(left, o.rules.amount_decimals));
  }
  return sum.gte(o.remaining);
}

/** At arrival: take from the prints of the arrival instant that are left. */
export function takeInstant(e: EngineCore, ms: MarketState, o: SimOrder, exec: Exec, onShort: (e: EngineCore, o: SimOrder) => void): void {
  for (const { t, left } of instantLeft(e, ms, o)) {
    if (o.state !== 'open') return;
    const done = takeOne(e, o, t, left, exec);
    if (done.lt(lastWant) && o.state === 'open') onShort(e, o);
    if (o.side === 'buy') ms.instTakenBuy = ms.instTakenBuy.plus(done);
    else ms.instTakenSell = ms.instTakenSell.plus(done);
  }
}

/** What the last takeOne wanted (to tell a funds shortfall from a used-up print). */
let lastWant: Dec = ZERO;

function takeOne(e: EngineCore, o: SimOrder, t: TradePrint, cap: Dec | null, exec: Exec): Dec {
  lastWant = ZERO;
  const price = tapePrice(o, t, e.slippageBps);
  if (price === undefined) return ZERO;
  let want = o.remaining;
  if (cap !== null) {
    const c = floorToDecimals(cap, o.rules.amount_decimals);
    if (c.lt(want)) want = c;
  }
  if (want.lte(0)) return ZERO;
  lastWant = want;
  return exec(e, o, want, price);
}

/** A new print: waiting takers take from it, first placed first, each side its own capacity. */
export function serveTakers(e: EngineCore, ms: MarketState, t: TradePrint, exec: Exec, onShort: (e: EngineCore, o: SimOrder) => void): void {
  let buyCap = printCap(e, t);
  let sellCap = buyCap;
  const list = ms.takers;
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (o.state !== 'open') continue;
    const cap = o.side === 'buy' ? buyCap : sellCap;
    if (cap !== null && cap.lte(0)) continue;
    const done = takeOne(e, o, t, cap, exec);
    if (cap !== null) {
      if (o.side === 'buy') buyCap = cap.minus(done);
      else sellCap = cap.minus(done);
    }
    if (o.side === 'buy') ms.instTakenBuy = ms.instTakenBuy.plus(done);
    else ms.instTakenSell = ms.instTakenSell.plus(done);
    // A buy that could not pay what the print offered is cut short (insufficient funds).
    if (o.state === 'open' && done.lt(lastWant)) onShort(e, o);
  }
  dropDone(ms);
}

export function addTaker(ms: MarketState, o: SimOrder): void {
  o.taking = true;
  ms.takers.push(o);
}

export function removeTaker(ms: MarketState, o: SimOrder): void {
  o.taking = false;
  const i = ms.takers.indexOf(o);
  if (i >= 0) ms.takers.splice(i, 1);
}

function dropDone(ms: MarketState): void {
  let w = 0;
  const list = ms.takers;
  for (let r = 0; r < list.length; r++) {
    const o = list[r]!;
    if (o.state === 'open' && o.taking) list[w++] = o;
    else o.taking = false;
  }
  list.length = w;
}
