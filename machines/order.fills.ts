/**
 * Pure fill arithmetic on an order's context: dedup by fill id, cap at the order amount, keep
 * notional and fees. Used by the order machine's guards (to predict) and actions (to apply), so
 * both always agree. Decimal strings in, decimal strings out.
 */
import { D, decStr } from '../src/domain/money.ts';
import {
  addFixed,
  cmpFixed,
  cmpPlain,
  exact,
  fixedStr,
  mulFixed,
  parseFixed,
  safeProduct,
  safeSum,
  scaleOf,
  scaleUp,
  smallCoefficient,
  smallStr,
  subFixed,
  type Fixed,
} from './order.decimal.ts';
import type { FillRecord, OrderContext, ReconciledReport } from './order.types.ts';

export interface FillTotals {
  filledAmount: string;
  filledNotional: string;
  feeTotal: string;
  fillIds: string[];
  /** Set when a fill would have taken the order past its amount (the excess is not counted). */
  overfillNote?: string;
}

/**
 * Adds the fills whose ids are new (also deduplicated within `fills`). Returns undefined when no
 * fill is new, so callers can tell "nothing happened". A fill beyond the remaining amount is
 * counted only up to the amount (filled never exceeds amount); its fee is counted in full because
 * the exchange charged it; the excess is reported in `overfillNote`.
 */
export function mergeFills(ctx: OrderContext, fills: readonly FillRecord[]): FillTotals | undefined {
  // The same result three ways, cheapest first: safe-integer Numbers, BigInts, decimal.js.
  const small = mergeFillsSmall(ctx, fills);
  if (small !== SLOW) return small;
  const big = mergeFillsExact(ctx, fills);
  return big === SLOW ? mergeFillsDecimal(ctx, fills) : big;
}

/** "This path cannot answer exactly; use the next one." */
export const SLOW = Symbol('use a wider path');

/**
 * mergeFillsDecimal on values of at most 15 digits held as safe-integer Numbers (value * 10^scale):
 * every step is checked exact; SLOW as soon as one would not be (or an input is not small/plain).
 */
export function mergeFillsSmall(ctx: OrderContext, fills: readonly FillRecord[]): FillTotals | undefined | typeof SLOW {
  let ids: string[] | undefined;
  const seen = ctx.fillIds.length > 16 && fills.length > 0 ? new Set(ctx.fillIds) : undefined;
  const amountC = smallCoefficient(ctx.amount);
  const amountS = scaleOf(ctx.amount);
  let filledC = smallCoefficient(ctx.filledAmount);
  let filledS = scaleOf(ctx.filledAmount);
  let notionalC = smallCoefficient(ctx.filledNotional);
  let notionalS = scaleOf(ctx.filledNotional);
  let feesC = smallCoefficient(ctx.feeTotal);
  let feesS = scaleOf(ctx.feeTotal);
  let overfillNote: string | undefined;
  for (const f of fills) {
    if (!isFresh(ctx, seen, ids, f.fillId)) continue;
    const xC = smallCoefficient(f.amount);
    const xS = scaleOf(f.amount);
    const pC = smallCoefficient(f.price);
    const gC = smallCoefficient(f.fee);
    const gS = scaleOf(f.fee);
    // remaining = amount - filled, and the fill compared with it, at a common scale.
    const rS = Math.max(amountS, filledS, xS);
    const remaining = safeSum(scaleUp(amountC, rS - amountS), -scaleUp(filledC, rS - filledS));
    const x = scaleUp(xC, rS - xS);
    let countedC = xC;
    let countedS = xS;
    if (x > remaining) {
      countedC = remaining < 0 ? 0 : remaining;
      countedS = remaining < 0 ? 0 : rS;
      overfillNote = `overfill: fill ${f.fillId} of ${smallStr(xC, xS)} exceeds the remaining ${smallStr(countedC, countedS)}; counted ${smallStr(countedC, countedS)}`;
    }
    const productC = safeProduct(countedC, pC);
    const productS = countedS + scaleOf(f.price);
    const fS = Math.max(filledS, countedS);
    filledC = safeSum(scaleUp(filledC, fS - filledS), scaleUp(countedC, fS - countedS));
    filledS = fS;
    const nS = Math.max(notionalS, productS);
    notionalC = safeSum(scaleUp(notionalC, nS - notionalS), scaleUp(productC, nS - productS));
    notionalS = nS;
    const eS = Math.max(feesS, gS);
    feesC = safeSum(scaleUp(feesC, eS - feesS), scaleUp(gC, eS - gS));
    feesS = eS;
    // NaN anywhere (not small, not plain, not exact) ends up in one of these.
    if (Number.isNaN(filledC + notionalC + feesC + remaining + x)) return SLOW;
    ids ??= ctx.fillIds.slice();
    ids.push(f.fillId);
  }
  if (ids === undefined) return undefined;
  const totals: FillTotals = {
    filledAmount: smallStr(filledC, filledS),
    filledNotional: smallStr(notionalC, notionalS),
    feeTotal: smallStr(feesC, feesS),
    fillIds: ids,
  };
  if (overfillNote !== undefined) totals.overfillNote = overfillNote;
  return totals;
}

/** Is this fill id new for the order and not already merged in this call? */
function isFresh(ctx: OrderContext, seen: Set<string> | undefined, ids: string[] | undefined, fillId: string): boolean {
  if (seen ? seen.has(fillId) : ctx.fillIds.includes(fillId)) return false;
  return !ids?.includes(fillId);
}

/**
 * mergeFillsDecimal with exact BigInt arithmetic (see order.decimal.ts): the same result, or SLOW
 * when an input is not a plain decimal or a step would round at 40 digits.
 */
export function mergeFillsExact(ctx: OrderContext, fills: readonly FillRecord[]): FillTotals | undefined | typeof SLOW {
  let ids: string[] | undefined;
  // Linear scan is fine: an order has a handful of fills; a Set only when merging many.
  const seen = ctx.fillIds.length > 16 && fills.length > 0 ? new Set(ctx.fillIds) : undefined;
  let amount: Fixed | undefined;
  let filled: Fixed | undefined;
  let notional: Fixed | undefined;
  let fees: Fixed | undefined;
  let overfillNote: string | undefined;
  for (const f of fills) {
    if (!isFresh(ctx, seen, ids, f.fillId)) continue;
    if (amount === undefined) {
      amount = parseFixed(ctx.amount);
      filled = parseFixed(ctx.filledAmount);
      notional = parseFixed(ctx.filledNotional);
      fees = parseFixed(ctx.feeTotal);
      if (amount === undefined || filled === undefined || notional === undefined || fees === undefined) return SLOW;
    }
    const fillAmount = parseFixed(f.amount);
    const price = parseFixed(f.price);
    const fee = parseFixed(f.fee);
    if (fillAmount === undefined || price === undefined || fee === undefined) return SLOW;
    ids ??= ctx.fillIds.slice();
    ids.push(f.fillId);
    const remaining = exact(subFixed(amount, filled as Fixed));
    if (remaining === undefined) return SLOW;
    let counted = fillAmount;
    if (cmpFixed(fillAmount, remaining) > 0) {
      counted = remaining.c < 0n ? { c: 0n, s: 0 } : remaining;
      overfillNote = `overfill: fill ${f.fillId} of ${fixedStr(fillAmount)} exceeds the remaining ${fixedStr(counted)}; counted ${fixedStr(counted)}`;
    }
    const product = exact(mulFixed(counted, price));
    if (product === undefined) return SLOW;
    filled = exact(addFixed(filled as Fixed, counted));
    notional = exact(addFixed(notional as Fixed, product));
    fees = exact(addFixed(fees as Fixed, fee));
    if (filled === undefined || notional === undefined || fees === undefined) return SLOW;
  }
  if (ids === undefined) return undefined;
  const totals: FillTotals = {
    filledAmount: fixedStr(filled as Fixed),
    filledNotional: fixedStr(notional as Fixed),
    feeTotal: fixedStr(fees as Fixed),
    fillIds: ids,
  };
  if (overfillNote !== undefined) totals.overfillNote = overfillNote;
  return totals;
}

/** The reference implementation with decimal.js (any input decimal.js accepts). */
export function mergeFillsDecimal(ctx: OrderContext, fills: readonly FillRecord[]): FillTotals | undefined {
  let ids: string[] | undefined;
  let seen: Set<string> | undefined;
  const amount = new D(ctx.amount);
  let filled = new D(ctx.filledAmount);
  let notional = new D(ctx.filledNotional);
  let fees = new D(ctx.feeTotal);
  let overfillNote: string | undefined;
  for (const f of fills) {
    // Linear scan is fine: an order has a handful of fills; a Set only when merging many.
    if (seen === undefined && ctx.fillIds.length > 16) seen = new Set(ctx.fillIds);
    if (seen ? seen.has(f.fillId) : ctx.fillIds.includes(f.fillId)) continue;
    if (ids?.includes(f.fillId)) continue;
    ids ??= ctx.fillIds.slice();
    ids.push(f.fillId);
    const remaining = amount.minus(filled);
    const fillAmount = new D(f.amount);
    const counted = fillAmount.gt(remaining) ? D.max(remaining, 0) : fillAmount;
    if (fillAmount.gt(remaining)) {
      overfillNote =
        `overfill: fill ${f.fillId} of ${decStr(fillAmount)} exceeds the remaining ${decStr(D.max(remaining, 0))}; ` +
        `counted ${decStr(counted)}`;
    }
    filled = filled.plus(counted);
    notional = notional.plus(counted.times(f.price));
    fees = fees.plus(f.fee);
  }
  if (ids === undefined) return undefined;
  const totals: FillTotals = {
    filledAmount: decStr(filled),
    filledNotional: decStr(notional),
    feeTotal: decStr(fees),
    fillIds: ids,
  };
  if (overfillNote !== undefined) totals.overfillNote = overfillNote;
  return totals;
}

export function isNewFillId(ctx: OrderContext, fillId: string): boolean {
  return !ctx.fillIds.includes(fillId);
}

export function isFullyFilled(ctx: OrderContext): boolean {
  return gte(ctx.filledAmount, ctx.amount);
}

/** a >= b for decimal strings (exact either way; decimal.js only for non-plain input). */
export function gte(a: string, b: string): boolean {
  const c = cmpPlain(a, b);
  return c === undefined ? new D(a).gte(b) : c >= 0;
}

/** filled + more >= amount, exactly as decimal.js computes it (its sum rounds at 40 digits). */
export function sumReaches(filled: string, more: string, amount: string): boolean {
  const a = parseFixed(filled);
  const b = parseFixed(more);
  const t = parseFixed(amount);
  const sum = a !== undefined && b !== undefined ? exact(addFixed(a, b)) : undefined;
  if (sum === undefined || t === undefined) return new D(filled).plus(more).gte(amount);
  return cmpFixed(sum, t) >= 0;
}

export function hasFills(ctx: OrderContext): boolean {
  return ctx.fillIds.length > 0;
}

/** Evidence that the submit reached the exchange: it acknowledged the order or filled some of it. */
export function hasLanded(ctx: OrderContext): boolean {
  return ctx.exchangeOrderId !== undefined || ctx.fillIds.length > 0;
}

/** Would applying this report's fills complete the order? (not_found reports never count.) */
export function reportCompletesOrder(ctx: OrderContext, report: ReconciledReport): boolean {
  if (report.state === 'not_found') return false;
  const merged = mergeFills(ctx, report.fills);
  return merged !== undefined && gte(merged.filledAmount, ctx.amount);
}

/** Does the report tell us anything new (fills or the exchange order id)? */
export function reportAddsInfo(ctx: OrderContext, report: ReconciledReport): boolean {
  if (report.exchangeOrderId !== undefined && report.exchangeOrderId !== ctx.exchangeOrderId) return true;
  return report.fills.some((f) => !ctx.fillIds.includes(f.fillId));
}
