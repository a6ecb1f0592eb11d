/**
 * Fee arithmetic. Fee = notional * rate in the quote currency, rounded UP to the market's
 * instant_order_counter_decimals (the quote's cent precision: 2 for USD/EUR). Rounding up follows
 * Bitstamp's published practice ("fees are rounded up to the nearest cent"); it is never more than
 * the proceeds of a sell fill. See sim/README.md "Fees".
 */
import { Decimal } from 'decimal.js';
import { D, type Dec } from '../src/domain/money.ts';
import type { Market } from '../src/domain/market.ts';

export function feeDecimals(m: Market): number {
  return m.instant_order_counter_decimals;
}

export function roundFeeUp(value: Dec, decimals: number): Dec {
  return value.toDecimalPlaces(decimals, Decimal.ROUND_UP);
}

export function fillFee(notional: Dec, rate: Dec, m: Market, capAtNotional: boolean): Dec {
  const fee = roundFeeUp(notional.times(rate), feeDecimals(m));
  return capAtNotional && fee.gt(notional) ? notional : fee;
}

/** Quote held for a buy: notional plus the fee at the higher rate, rounded up. */
export function buyReservation(amount: Dec, price: Dec | string, maxRate: Dec, m: Market): Dec {
  const notional = amount.times(price);
  return notional.plus(roundFeeUp(notional.times(maxRate), feeDecimals(m)));
}

export function floorToDecimals(v: Dec, decimals: number): Dec {
  return v.toDecimalPlaces(decimals, Decimal.ROUND_DOWN);
}

export const ZERO: Dec = new D(0);
