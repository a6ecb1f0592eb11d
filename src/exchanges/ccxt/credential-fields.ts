/**
 * The credentials form of a ccxt exchange, from ccxt's `requiredCredentials` (what its signing
 * needs): apiKey, secret, password (a passphrase: kucoin, okx), uid (some exchanges' user id).
 * Others (privateKey, walletAddress, twofa, token, login) cannot be stored yet: named, not offered.
 */
import type { CcxtLike } from './ccxt-like.ts';

const FIELD_OF = { apiKey: 'api_key', secret: 'api_secret', password: 'api_password', uid: 'api_uid' } as const;
type Field = (typeof FIELD_OF)[keyof typeof FIELD_OF];

export function credentialFieldsOf(ex: Pick<CcxtLike, 'requiredCredentials'>): { fields: Field[]; unsupported: string[] } {
  // Key and secret always: every trading exchange signs with them, and the vault stores them as the pair.
  const fields: Field[] = ['api_key', 'api_secret'];
  const unsupported: string[] = [];
  for (const [name, required] of Object.entries(ex.requiredCredentials)) {
    if (required !== true || name === 'apiKey' || name === 'secret') continue;
    const field = (FIELD_OF as Record<string, Field | undefined>)[name];
    if (field) fields.push(field);
    else unsupported.push(name);
  }
  return { fields, unsupported };
}
