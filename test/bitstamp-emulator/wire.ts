/** Bitstamp's wire shapes (BITSTAMP.md §3-4), shared by the emulator's engine and HTTP server. */
import type { EmuOrder, EmuTx } from './engine.ts';

/** An error reply: HTTP status + Bitstamp-shaped JSON body. */
export class EmuError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.reason === 'string' ? body.reason : JSON.stringify(body));
  }
}

/**
 * HTTP status of validation errors. Historically Bitstamp answered these with 200 (unverified), so
 * the emulator does too by default: clients must inspect every body.
 */
export const wireConfig = { validationStatus: 200 };

export function fieldError(field: string, message: string): EmuError {
  return new EmuError(wireConfig.validationStatus, { status: 'error', reason: { [field]: [message], __all__: [''] } });
}
export function generalError(message: string, responseCode?: string): EmuError {
  const body: Record<string, unknown> = { status: 'error', reason: { __all__: [message] } };
  if (responseCode !== undefined) body.response_code = responseCode;
  return new EmuError(wireConfig.validationStatus, body);
}
export function authError(code: string, reason: string): EmuError {
  return new EmuError(403, { status: 'error', reason, code });
}
/**
 * Unknown (or, for cancel, no longer open) order. Bitstamp's docs word it "Order not found." on
 * order_status and "Order not found" on cancel_order (BITSTAMP.md, corrections).
 */
export function notFound(endpoint: 'order_status' | 'cancel_order'): EmuError {
  const reason = endpoint === 'order_status' ? 'Order not found.' : 'Order not found';
  return new EmuError(404, { status: 'error', reason, response_code: '404.002' });
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** "2026-01-01 12:00:00" or with ".ffffff" microseconds. */
export function bsDatetime(ms: number, micro = false): string {
  const d = new Date(ms);
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micro ? `${s}.${pad(d.getUTCMilliseconds(), 3)}000` : s;
}

export function orderAck(o: EmuOrder): Record<string, unknown> {
  return {
    id: String(o.id),
    datetime: bsDatetime(o.createdAt),
    type: o.side === 'buy' ? '0' : '1',
    price: o.price.toFixed(),
    amount: o.amountAtCreate.toFixed(),
    client_order_id: o.clientOrderId ?? '',
    market: o.market.name,
  };
}

export function statusTx(t: EmuTx): Record<string, unknown> {
  return {
    tid: t.tid,
    price: t.price.toFixed(8),
    fee: t.fee.toFixed(),
    datetime: bsDatetime(t.at, true),
    type: 2,
    [t.market.base]: t.amount.toFixed(8),
    [t.market.quote]: t.quoteAmount.toFixed(),
  };
}

export function orderStatus(o: EmuOrder, omitTransactions: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: o.id,
    datetime: bsDatetime(o.createdAt),
    type: o.side === 'buy' ? '0' : '1',
    status: o.status,
    market: o.market.name,
    amount_remaining: o.remaining.toFixed(8),
    client_order_id: o.clientOrderId ?? '',
  };
  if (!omitTransactions) r.transactions = o.txs.map(statusTx);
  return r;
}

export function openOrder(o: EmuOrder): Record<string, unknown> {
  return {
    id: String(o.id),
    datetime: bsDatetime(o.createdAt),
    type: o.side === 'buy' ? '0' : '1',
    price: o.price.toFixed(),
    amount: o.remaining.toFixed(8),
    amount_at_create: o.amountAtCreate.toFixed(8),
    currency_pair: o.market.name,
    market: o.market.name,
    client_order_id: o.clientOrderId ?? '',
  };
}

export function cancelled(o: EmuOrder): Record<string, unknown> {
  return {
    id: o.id,
    amount: o.remaining.toNumber(),
    price: o.price.toNumber(),
    type: o.side === 'buy' ? 0 : 1,
    market: o.market.name,
    currency_pair: o.market.name,
    client_order_id: o.clientOrderId ?? '',
  };
}

/** One user_transactions row for a trade: signed amounts keyed by currency, rate under "<base>_<quote>". */
export function userTxRow(t: EmuTx, otherCurrencies: string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: t.tid,
    datetime: bsDatetime(t.at, true),
    type: '2',
    fee: t.fee.toFixed(),
    order_id: t.orderId,
    [t.market.base]: (t.side === 'buy' ? t.amount : t.amount.neg()).toFixed(8),
    [t.market.quote]: (t.side === 'buy' ? t.quoteAmount.neg() : t.quoteAmount).toFixed(),
    [`${t.market.base}_${t.market.quote}`]: t.price.toNumber(),
  };
  for (const c of otherCurrencies) if (!(c in row)) row[c] = 0.0;
  return row;
}
