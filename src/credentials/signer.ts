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
