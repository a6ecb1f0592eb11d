/**
 * The proof of determinism: sha256 hex of the canonical JSON of the fills, using only fields the
 * simulator decides (its own fill and order ids), never the service's random public ids.
 */
import { createHash } from 'node:crypto';
import type { FillReport } from '../src/exchanges/adapter.ts';
import { canonicalJson } from '../src/domain/canonical-json.ts';

export interface CanonicalFill {
  fill_id: string;
  exchange_order_id: string;
  market: string;
  side: string;
  amount: string;
  price: string;
  fee: string;
  fee_currency: string;
  liquidity: string;
  at: string;
}

export function canonicalFills(fills: readonly FillReport[]): CanonicalFill[] {
  return fills.map((f) => ({
    fill_id: f.fillId,
    exchange_order_id: f.exchangeOrderId,
    market: f.market,
    side: f.side,
    amount: f.amount,
    price: f.price,
    fee: f.fee,
    fee_currency: f.feeCurrency,
    liquidity: f.liquidity,
    at: f.at,
  }));
}

export function fillsDigest(fills: readonly FillReport[]): string {
  return createHash('sha256').update(canonicalJson(canonicalFills(fills))).digest('hex');
}
