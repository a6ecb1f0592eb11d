/** A PlaceOrderCommand as ccxt createOrder arguments (unified params: timeInForce, postOnly). */
import { DomainError } from '../../domain/errors.ts';
import type { PlaceOrderCommand } from '../adapter.ts';
import type { CcxtParams } from './ccxt-like.ts';

const TIF: Partial<Record<PlaceOrderCommand['timeInForce'], string>> = { ioc: 'IOC', fok: 'FOK', gtd: 'GTD' };

export function orderParams(cmd: PlaceOrderCommand, clientOrderIdParam: string): { type: 'limit' | 'market'; price?: number; params: CcxtParams } {
  const params: CcxtParams = { [clientOrderIdParam]: cmd.clientOrderId };
  // "instant" is Bitstamp's word for an immediate order at the market: ccxt's market order.
  if (cmd.type !== 'limit') return { type: 'market', params };
  if (cmd.price === undefined) throw new DomainError('INVALID_ARGUMENT', 'price is required for limit orders');
  if (cmd.postOnly && cmd.timeInForce !== 'gtc') throw new DomainError('INVALID_ARGUMENT', `post_only cannot be combined with time_in_force ${cmd.timeInForce}`);
  if (cmd.timeInForce === 'daily') throw new DomainError('INVALID_ARGUMENT', 'time_in_force daily is Bitstamp-only; use gtd with an expire_time');
  if (cmd.postOnly) params['postOnly'] = true;
  const tif = TIF[cmd.timeInForce];
  if (tif !== undefined) params['timeInForce'] = tif;
  if (cmd.timeInForce === 'gtd') {
    const ms = cmd.expireTime !== undefined ? Date.parse(cmd.expireTime) : Number.NaN;
    if (Number.isNaN(ms)) throw new DomainError('INVALID_ARGUMENT', 'expire_time (ISO-8601) is required with time_in_force gtd');
    params['expireTime'] = ms;
  }
  return { type: 'limit', price: Number(cmd.price), params };
}
