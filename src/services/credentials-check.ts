import type { AccountRecord } from '../domain/account.ts';
import { createHmacSigner, type Signer } from '../credentials/signer.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { identityMismatchMessage, sameUserId } from '../domain/exchange-identity.ts';
import type { CredentialsCheck } from './ports.ts';

/** The exchange's user id of a key (Bitstamp: `websockets_token/`); throws a DomainError when the exchange cannot say. */
export type KeyOwnerLookup = (record: AccountRecord, signer: Signer) => Promise<string>;

/**
 * Asks the exchange whose key this is, before it is stored. A key of another user is refused
 * (INVALID_ARGUMENT on api_key); an exchange that cannot answer leaves it "not verified", saying why.
 */
export async function checkKeyOwner(record: AccountRecord, c: { api_key: string; api_secret: string }, lookup: KeyOwnerLookup | undefined): Promise<CredentialsCheck> {
  if (!lookup) return { verified: false, message: `not verified: no key check for exchange ${record.account.exchange}` };
  // The secret lives only in this closure, as in the vault's signers.
  const signer = createHmacSigner(() => ({ apiKey: c.api_key, secret: c.api_secret }));
  let userId: string;
  try {
    userId = await lookup(record, signer);
  } catch (e) {
    return { verified: false, message: `not verified: ${isDomainError(e) ? `${e.code}: ${e.message}` : 'the check failed (see the server log)'}` };
  }
  const own = record.account.exchange_account_id;
  if (!sameUserId(userId, own))
    throw new DomainError(
      'INVALID_ARGUMENT',
      `${identityMismatchMessage(record.ref, userId)}; nothing was stored. Use the key of user ${own}, or add an account for user ${userId.slice(0, 32)}`,
      { fields: ['api_key'] },
    );
  return { verified: true, user_id: userId, message: `verified as user ${userId}` };
}
