/**
 * Bitstamp HTTP API v2 request signing (BITSTAMP.md §1), done through a Signer: this module never
 * sees the API secret.
 *
 * String to sign (plain concatenation, no separators):
 *   "BITSTAMP " + apiKey + METHOD + host + path + query + contentType + nonce + timestamp + "v2" + body
 * With no body, Content-Type is neither sent nor signed.
 *
 * Worked example (checked by test/unit/bitstamp-auth.test.ts with node:crypto directly):
 *   apiKey "testkey", secret "testsecret", POST https://www.bitstamp.net/api/v2/buy/btcusd/,
 *   body "amount=0.5&price=30000", nonce "f0e1d2c3-b4a5-4687-9a8b-7c6d5e4f3a2b", timestamp "1767225600000"
 *   string to sign = "BITSTAMP testkeyPOSTwww.bitstamp.net/api/v2/buy/btcusd/application/x-www-form-urlencoded"
 *                    + "f0e1d2c3-b4a5-4687-9a8b-7c6d5e4f3a2b1767225600000v2amount=0.5&price=30000"
 *   X-Auth-Signature = lowercase hex HMAC-SHA256("testsecret", that string).
 */
import type { Signer } from '../../credentials/signer.ts';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const AUTH_VERSION = 'v2';

export interface SignableRequest {
  method: 'GET' | 'POST';
  /** host[:port] exactly as sent in the Host header, e.g. "www.bitstamp.net". */
  host: string;
  /** Path with trailing slash, e.g. "/api/v2/buy/btcusd/". */
  path: string;
  /**
   * URL query without the leading "?" (unverified whether the server includes "?"; we follow the DOC
   * examples, which sign the bare query). Private calls here never carry a query, so this is "".
   */
  query: string;
  /** Exact urlencoded body bytes, "" when there is no body. */
  body: string;
  nonce: string;
  timestamp: string; // epoch milliseconds, decimal
}

export function stringToSign(apiKey: string, r: SignableRequest): string {
  const contentType = r.body === '' ? '' : FORM_CONTENT_TYPE;
  return `BITSTAMP ${apiKey}${r.method}${r.host}${r.path}${r.query}${contentType}${r.nonce}${r.timestamp}${AUTH_VERSION}${r.body}`;
}

/** The X-Auth headers (plus Content-Type only when a body is sent). */
export function authHeaders(signer: Signer, r: SignableRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Auth': `BITSTAMP ${signer.apiKey}`,
    'X-Auth-Signature': signer.sign(stringToSign(signer.apiKey, r)),
    'X-Auth-Nonce': r.nonce,
    'X-Auth-Timestamp': r.timestamp,
    'X-Auth-Version': AUTH_VERSION,
  };
  if (r.body !== '') headers['Content-Type'] = FORM_CONTENT_TYPE;
  return headers;
}

/** What the server signs in X-Server-Auth-Signature: nonce + timestamp + response Content-Type + raw body. */
export function responseStringToSign(nonce: string, timestamp: string, contentType: string, body: string): string {
  return `${nonce}${timestamp}${contentType}${body}`;
}

/** Case-insensitive, constant-time-ish comparison of the server's signature with ours. */
export function responseSignatureValid(
  signer: Signer,
  nonce: string,
  timestamp: string,
  contentType: string,
  body: string,
  received: string | null,
): boolean {
  if (received === null || received === '') return false;
  const expected = signer.sign(responseStringToSign(nonce, timestamp, contentType, body)).toLowerCase();
  const got = received.toLowerCase();
  if (expected.length !== got.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ got.charCodeAt(i);
  return diff === 0;
}

/** UUID v4 (lowercase, 36 chars) from an injected random source, so tests can fix the nonce. */
export function uuidV4From(random: () => number): string {
  const bytes = new Array<number>(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256) & 0xff;
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
