import { z } from 'zod';
import { D, dec, decStr, significantDecimals } from './money.ts';
import type { Problem } from './errors.ts';
import type { OrderRequest } from './order.ts';

/** One market's trading rules, as served by list_markets/get_market_rules (CONTRACT.md). */
export const marketSchema = z.object({
  market: z.string(), // Bitstamp url symbol, e.g. "btcusd"
  name: z.string(), // "BTC/USD"
  base: z.string(), // "BTC"
  quote: z.string(), // "USD"
  price_decimals: z.number().int().min(0).max(18),
  amount_decimals: z.number().int().min(0).max(18),
  instant_order_counter_decimals: z.number().int().min(0).max(18),
  min_order_value: z.string(), // in quote currency
  trading_enabled: z.boolean(),
  instant_and_market_orders_enabled: z.boolean(),
});
export type Market = z.infer<typeof marketSchema>;

export const currencySchema = z.object({
  code: z.string(),
  name: z.string(),
  decimals: z.number().int().min(0).max(18),
  type: z.string(),
  enabled: z.boolean(),
});
export type Currency = z.infer<typeof currencySchema>;

export function tickSize(m: Market): string {
  return decStr(new D(10).pow(-m.price_decimals));
}
export function stepSize(m: Market): string {
  return decStr(new D(10).pow(-m.amount_decimals));
}

export interface ValidateOptions {
  /** Price used to value market/instant orders (last trade or mid); without it their minimum is not checked. */
  referencePrice?: string;
  /** Current time, to reject a gtd expire_time in the past. */
  now?: Date;
}

/**
 * Every problem with an order against its market's rules, each with a contract code.
 * Pure: the caller decides whether problems are fatal (place_order) or reported (preview_order).
 */
export function validateOrder(m: Market, o: OrderRequest, opts: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (code: Problem['code'], field: string | undefined, message: string): void => {
    problems.push(field === undefined ? { code, message } : { code, field, message });
  };
  if (!m.trading_enabled) add('MARKET_DISABLED', 'market', `market ${m.market} has trading disabled`);
  if (o.type !== 'limit' && !m.instant_and_market_orders_enabled)
    add('MARKET_DISABLED', 'type', `${o.type} orders are disabled on ${m.market}; only limit orders are allowed`);

  const amount = dec(o.amount);
  if (amount.lte(0)) add('INVALID_ARGUMENT', 'amount', 'amount must be greater than 0');
  const amountDecimals = significantDecimals(amount);
  if (amountDecimals > m.amount_decimals)
    add(
      'PRECISION_VIOLATION',
      'amount',
      `amount ${o.amount} has ${amountDecimals} decimals; ${m.market} allows ${m.amount_decimals}`,
    );

  const tif = o.time_in_force ?? 'gtc';
  if (o.type === 'limit') {
    if (o.price === undefined) add('INVALID_ARGUMENT', 'price', 'price is required for limit orders');
    else {
      const priceDecimals = significantDecimals(o.price);
      if (priceDecimals > m.price_decimals)
        add(
          'PRECISION_VIOLATION',
          'price',
          `price ${o.price} has ${priceDecimals} decimals; ${m.market} allows ${m.price_decimals}`,
        );
      if (dec(o.price).lte(0)) add('INVALID_ARGUMENT', 'price', 'price must be greater than 0');
    }
    if (tif === 'gtd' && o.expire_time === undefined)
      add('INVALID_ARGUMENT', 'expire_time', 'expire_time is required when time_in_force is gtd');
    if (tif !== 'gtd' && o.expire_time !== undefined)
      add('INVALID_ARGUMENT', 'expire_time', 'expire_time is only allowed with time_in_force gtd');
    if (tif === 'gtd' && o.expire_time !== undefined && opts.now && new Date(o.expire_time) <= opts.now)
      add('INVALID_ARGUMENT', 'expire_time', `expire_time ${o.expire_time} is not in the future`);
    if (o.post_only && (tif === 'ioc' || tif === 'fok'))
      add('INVALID_ARGUMENT', 'post_only', `post_only cannot be combined with time_in_force ${tif}`);
  } else {
    if (o.price !== undefined) add('INVALID_ARGUMENT', 'price', `price is only allowed for limit orders, not ${o.type}`);
    if (tif !== 'gtc') add('INVALID_ARGUMENT', 'time_in_force', `${o.type} orders take no time_in_force (only gtc)`);
    if (o.post_only) add('INVALID_ARGUMENT', 'post_only', `post_only is only allowed for limit orders`);
    if (o.expire_time !== undefined) add('INVALID_ARGUMENT', 'expire_time', 'expire_time is only allowed for gtd limit orders');
  }

  const valuePrice = o.type === 'limit' ? o.price : opts.referencePrice;
  if (valuePrice !== undefined && amount.gt(0)) {
    const notional = amount.times(valuePrice);
    if (notional.lt(m.min_order_value))
      add(
        'BELOW_MINIMUM',
        'amount',
        `order value ${decStr(notional)} ${m.quote} is below the minimum ${m.min_order_value} ${m.quote} for ${m.market}`,
      );
  }
  return problems;
}

/** Notional value of an order in quote currency, if a price is known. */
export function orderNotional(o: Pick<OrderRequest, 'amount' | 'price'>, referencePrice?: string): string | undefined {
  const p = o.price ?? referencePrice;
  return p === undefined ? undefined : decStr(dec(o.amount).times(p));
}
