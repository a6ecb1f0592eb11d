/**
 * The check that an account's API key is that account's (issue 21): Bitstamp's
 * `websockets_token/` (signed, read-only) names the key's user id, which must equal the account's
 * numeric `exchange_account_id`. Until it has, no other signed call is sent; after a mismatch none
 * is sent at all, and the private stream stops with the reason.
 */
import type { Signer } from '../../credentials/signer.ts';
import { DomainError } from '../../domain/errors.ts';
import { exchangeAccountIdProblem, sameUserId } from '../../domain/exchange-identity.ts';
import { BitstampRestClient, type BitstampRestOptions } from './rest.ts';

/** A definite refusal: the stream stops (no retry) and every signed call is refused unsent. */
export class IdentityRefusal extends DomainError {}

export interface IdentityGateOptions {
  account: string; // "bitstamp:<id>"
  exchangeAccountId: string;
  /** The current key id, or undefined without credentials (credentials may be replaced at any time). */
  apiKey: () => string | undefined;
  /** The key's user id from the exchange (`websockets_token/`). */
  fetchUserId: () => Promise<string>;
}

export class IdentityGate {
  /** Per API key id: a key's user never changes, so one answer per key is enough. */
  private readonly known = new Map<string, string>();
  private inFlight: { apiKey: string; p: Promise<void> } | undefined;

  constructor(private readonly o: IdentityGateOptions) {}

  /** The refusal that needs no exchange call: an id that cannot be a Bitstamp user id. */
  staticRefusal(): IdentityRefusal | undefined {
    const problem = exchangeAccountIdProblem('bitstamp', this.o.exchangeAccountId);
    if (!problem) return undefined;
    return new IdentityRefusal('INVALID_ARGUMENT', `account ${this.o.account} is stopped: ${problem}; create an account with the user id`, {
      fields: ['exchange_account_id'],
    });
  }

  /** The refusal already known for the current key (no call), or undefined. */
  knownRefusal(): IdentityRefusal | undefined {
    const s = this.staticRefusal();
    if (s) return s;
    const key = this.safeApiKey();
    const userId = key === undefined ? undefined : this.known.get(key);
    return userId === undefined ? undefined : this.refusalFor(userId);
  }

  /** Resolves when the current key is this account's; throws IdentityRefusal (or the exchange's error) otherwise. */
  async ensure(): Promise<void> {
    const refused = this.knownRefusal();
    if (refused) throw refused;
    const key = this.safeApiKey();
    if (key === undefined || this.known.has(key)) return; // no credentials: the caller's own check answers
    if (this.inFlight?.apiKey !== key) {
      const p = this.o.fetchUserId().then((userId) => this.learn(key, userId));
      this.inFlight = { apiKey: key, p };
      void p.then(
        () => this.inFlight?.p === p && (this.inFlight = undefined),
        () => this.inFlight?.p === p && (this.inFlight = undefined),
      );
    }
    await this.inFlight.p;
  }

  /** Records the user id of `apiKey` (from any token reply); throws IdentityRefusal when it is not this account's. */
  learn(apiKey: string, userId: string): void {
    this.known.set(apiKey, userId);
    const refused = this.refusalFor(userId);
    if (refused) throw refused;
  }

  private refusalFor(userId: string): IdentityRefusal | undefined {
    const s = this.staticRefusal();
    if (s) return s;
    if (sameUserId(userId, this.o.exchangeAccountId)) return undefined;
    return new IdentityRefusal(
      'NO_CREDENTIALS',
      `account ${this.o.account} is stopped: its API key belongs to Bitstamp user ${userId.slice(0, 32)}, not to this account; nothing is sent with it. Set this account's own key (dashboard or exec-mcp accounts set-credentials)`,
      { user_id: userId },
    );
  }

  private safeApiKey(): string | undefined {
    try {
      return this.o.apiKey();
    } catch {
      return undefined; // unreadable credentials: the call itself reports why
    }
  }
}

/**
 * The user id of a key that is not stored yet (credentials being set): one `websockets_token/`
 * call, nothing else. Errors are the REST client's DomainErrors (redacted).
 */
export async function fetchKeyUserId(o: Omit<BitstampRestOptions, 'signer'>, signer: Signer): Promise<string> {
  const rest = new BitstampRestClient({ ...o, signer: () => signer });
  return (await rest.websocketsToken()).user_id;
}
