/**
 * Pure fill arithmetic on an order's context: dedup by fill id, cap at the order amount, keep
 * notional and fees. Used by the order machine's guards (to predict) and actions (to apply), so
 * both always agree. Decimal strings in, decimal strings out.
 */
import { D, decStr } from '../src/domain/money.ts';
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
  return new D(ctx.filledAmount).gte(ctx.amount);
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
  return merged !== undefined && new D(merged.filledAmount).gte(ctx.amount);
}

/** Does the report tell us anything new (fills or the exchange order id)? */
export function reportAddsInfo(ctx: OrderContext, report: ReconciledReport): boolean {
  if (report.exchangeOrderId !== undefined && report.exchangeOrderId !== ctx.exchangeOrderId) return true;
  return report.fills.some((f) => !ctx.fillIds.includes(f.fillId));
}
