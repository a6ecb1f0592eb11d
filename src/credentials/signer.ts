import crypto from 'node:crypto';

/**
 * What an exchange adapter gets instead of a secret: it can sign bytes and learn the API key id,
 * never read the secret itself. Implemented by the credential vault.
 */
export interface Signer {
  /** The API key id (public half), e.g. sent in Bitstamp's X-Auth header. */
  readonly apiKey: string;
  /** Lowercase hex HMAC-SHA256 of `message` with the account's API secret. */
  sign(message: string | Buffer): string;
}

/** The current key pair of an account, produced on demand by the vault (decrypted, never stored elsewhere). */
export type CredentialSource = () => { apiKey: string; secret: string };

/**
 * A Signer over a source of credentials. The secret only ever exists inside this closure and the
 * source's; the returned object has no property holding it, so JSON.stringify, util.inspect and
 * loggers cannot print it.
 */
export function createHmacSigner(source: CredentialSource): Signer {
  const signer: Signer = Object.freeze({
    get apiKey(): string {
      return source().apiKey;
    },
    sign(message: string | Buffer): string {
      return crypto.createHmac('sha256', source().secret).update(message).digest('hex');
    },
    // Logged or serialized by mistake: say what it is, without touching (or decrypting) anything.
    toJSON(): { signer: string } {
      return { signer: 'hmac-sha256' };
    },
  });
  return signer;
}

/** "abcd…wxyz": enough to recognise a key, not enough to use it. Short keys show less. */
export function apiKeyHint(apiKey: string): string {
  if (apiKey.length >= 12) return `${apiKey.slice(0, 4)}…${apiKey.slice(-4)}`;
  if (apiKey.length >= 6) return `${apiKey.slice(0, 2)}…${apiKey.slice(-2)}`;
  return '…';
}
