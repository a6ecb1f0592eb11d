/**
 * Bitstamp error replies -> CONTRACT error codes (BITSTAMP.md §4). Bitstamp reports errors in several
 * shapes, sometimes with HTTP 200, so every body is inspected. Nothing here echoes request secrets:
 * only the exchange's own reason text is quoted.
 */
import { z } from 'zod';
import { DomainError, type ErrorCode } from '../../domain/errors.ts';

/** Reads are retried on transient failures; writes (place/cancel) never are. */
export type CallKind = 'read' | 'write';

const reasonSchema = z.union([z.string(), z.record(z.string(), z.union([z.array(z.string()), z.string()]))]);
const errorBodySchema = z.looseObject({
  status: z.literal('error').optional(),
  reason: reasonSchema.optional(),
  code: z.string().optional(),
  response_code: z.string().optional(),
  response_explanation: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
});

export interface BitstampErrorInfo {
  /** Flattened human text, e.g. "amount: Ensure that there are no more than 8 decimal places." */
  reason: string;
  /** API00xx or 400.xxx-style code when present. */
  code?: string;
  /** The offending form field when the reason was field-keyed. */
  field?: string;
}

/** Returns error info when the body is one of Bitstamp's error shapes, else undefined. */
export function readErrorBody(body: unknown, httpStatus: number): BitstampErrorInfo | undefined {
  const r = errorBodySchema.safeParse(body);
  if (!r.success) return undefined;
  const b = r.data;
  const code = b.code ?? b.response_code;
  const isError = b.status === 'error' || b.error !== undefined || (httpStatus >= 400 && (b.message !== undefined || b.reason !== undefined));
  if (!isError) return undefined;
  let reason = '';
  let field: string | undefined;
  if (typeof b.reason === 'string') reason = b.reason;
  else if (b.reason !== undefined) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(b.reason)) {
      const texts = (Array.isArray(v) ? v : [v]).filter((t) => t.trim() !== '');
      if (texts.length === 0) continue;
      if (k !== '__all__') field ??= k;
      parts.push(k === '__all__' ? texts.join(' ') : `${k}: ${texts.join(' ')}`);
    }
    reason = parts.join('; ');
  }
  if (reason === '') reason = b.error ?? b.message ?? b.response_explanation ?? `HTTP ${httpStatus}`;
  const info: BitstampErrorInfo = { reason };
  if (code !== undefined) info.code = code;
  if (field !== undefined) info.field = field;
  return info;
}

const AUTH_CODE = /^API\d{4}$/;

/**
 * Bitstamp's insufficient-funds wordings (DOC): limit orders "You have only X BTC available. Check
 * your account balance for details." / "You need X USD to open that order…"; market and instant
 * orders "You can only buy/sell X BTC. Check your account balance for details."; transfers
 * "…not enough…" / "insufficient balance".
 */
const INSUFFICIENT_FUNDS_TEXT = ['you have only', 'you need', 'insufficient', 'you can only buy', 'you can only sell', 'check your account balance', 'not enough balance', 'not enough funds'];

/** Classifies a Bitstamp error (definitive answer from the exchange) into a contract code. */
export function classifyBitstampError(info: BitstampErrorInfo, httpStatus: number): ErrorCode {
  const text = info.reason.toLowerCase();
  const code = info.code ?? '';
  if (AUTH_CODE.test(code)) return 'EXCHANGE_REJECTED';
  if (code === '400.002' || httpStatus === 429 || text.includes('rate limit') || text.includes('too many requests')) return 'RATE_LIMITED';
  if (code === '404.002' || text.includes('order not found') || text === 'not found.' || text === 'not found') return 'ORDER_NOT_FOUND';
  if (code === '400.009' || INSUFFICIENT_FUNDS_TEXT.some((t) => text.includes(t))) return 'INSUFFICIENT_FUNDS';
  if (code === '400.020' || code === '400.046' || text.includes('minimum order size') || text.includes('lower than minimum'))
    return 'BELOW_MINIMUM';
  if (text.includes('decimal places')) return 'PRECISION_VIOLATION';
  if (code === '400.003' || text.includes('trading is disabled') || text.includes('market is disabled')) return 'MARKET_DISABLED';
  if (httpStatus === 404) return 'ORDER_NOT_FOUND';
  return 'EXCHANGE_REJECTED';
}

/** The DomainError for a definitive Bitstamp error reply. */
const MAX_REASON = 200;

/**
 * The exchange's own words, as they go into errors, order status reasons and audit rows: short,
 * and without anything of our request that a proxy or a faulty endpoint may echo back (the
 * `X-Auth: BITSTAMP <key>` value, the 64-hex-digit signature).
 */
export function quotedReason(text: string): string {
  const clean = text.replace(/BITSTAMP\s+\S+/gi, 'BITSTAMP [redacted]').replace(/\b[0-9a-f]{64}\b/gi, '[redacted]');
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON)}…` : clean;
}

/**
 * `redact` removes credential values by value (redact.ts) before the text is shortened, so no
 * truncated remnant of a key or signature survives.
 */
export function bitstampErrorToDomain(info: BitstampErrorInfo, httpStatus: number, endpoint: string, redact: (text: string) => string = (t) => t): DomainError {
  // Classified on the full text, quoted in short.
  const code = classifyBitstampError(info, httpStatus);
  info = {
    ...info,
    reason: quotedReason(redact(info.reason)),
    ...(info.code !== undefined ? { code: quotedReason(redact(info.code)).slice(0, 64) } : {}),
    ...(info.field !== undefined ? { field: quotedReason(redact(info.field)).slice(0, 64) } : {}),
  };
  const suffix = info.code !== undefined ? ` (${info.code})` : '';
  const details: Record<string, unknown> = { endpoint, http_status: httpStatus };
  if (info.code !== undefined) details.exchange_code = info.code;
  if (info.field !== undefined) details.field = info.field;
  if (info.code !== undefined && AUTH_CODE.test(info.code))
    return new DomainError(code, `Bitstamp authentication failed: ${info.reason}${suffix}; check the account's API key, secret and permissions`, details);
  return new DomainError(code, `Bitstamp rejected ${endpoint}: ${info.reason}${suffix}`, details);
}

/**
 * A failure where we got no trustworthy answer (network, timeout, 5xx, malformed or badly signed
 * reply). For reads that is EXCHANGE_UNAVAILABLE; for writes the exchange may have acted, so it is
 * OUTCOME_UNKNOWN and must be reconciled, never resent blindly.
 */
export function noAnswerError(kind: CallKind, endpoint: string, what: string): DomainError {
  if (kind === 'write')
    return new DomainError('OUTCOME_UNKNOWN', `Bitstamp ${endpoint}: ${what}; the request may or may not have taken effect`, { endpoint });
  return new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ${endpoint}: ${what}`, { endpoint });
}
