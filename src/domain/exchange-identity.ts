import type { ExchangeId } from './account.ts';

/**
 * Who an account is on its exchange. A Bitstamp `exchange_account_id` is the numeric user id that
 * `websockets_token/` returns for the account's API key (BITSTAMP.md "Corrections"): that is how
 * a key is checked against the account it is stored for.
 */
export const BITSTAMP_USER_ID_RE = /^[0-9]{1,20}$/;

/** Why this id cannot be the account's id on that exchange, or undefined when it can. */
export function exchangeAccountIdProblem(exchange: ExchangeId, exchangeAccountId: string): string | undefined {
  if (exchange === 'bitstamp' && !BITSTAMP_USER_ID_RE.test(exchangeAccountId))
    return `a Bitstamp exchange_account_id is the account's numeric user id (e.g. 4848701), not "${exchangeAccountId.slice(0, 64)}"`;
  return undefined;
}

/** The message when a key's user id (from the exchange) is not the account's. */
export function identityMismatchMessage(ref: string, userId: string): string {
  return `the API key of ${ref} belongs to Bitstamp user ${userId.slice(0, 32)}, not to this account`;
}

/** The same numeric user id ("0042" is 42); a non-numeric id never matches. */
export function sameUserId(a: string, b: string): boolean {
  return BITSTAMP_USER_ID_RE.test(a) && BITSTAMP_USER_ID_RE.test(b) && BigInt(a) === BigInt(b);
}
