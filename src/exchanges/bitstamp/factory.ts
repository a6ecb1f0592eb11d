/**
 * The only wiring of the Bitstamp adapter: one REST client + one private stream per account.
 * Subaccounts need nothing special: each is its own account with its own API key (BITSTAMP.md §6).
 */
import type { AccountRecord } from '../../domain/account.ts';
import type { Clock, Random } from '../../domain/clock.ts';
import type { Signer } from '../../credentials/signer.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ExchangeAdapter } from '../adapter.ts';
import { BitstampAdapter } from './adapter.ts';
import { IdentityGate } from './identity.ts';
import { loadBundledSnapshot } from './metadata.ts';
import { BitstampRestClient, type BitstampRestOptions, type RequestMetrics } from './rest.ts';
import { BitstampPrivateStream, type ConnectionTiming, type PrivateStreamOptions } from './ws.ts';

export interface BitstampAdapterFactoryOptions {
  apiUrl: string; // BITSTAMP_API_URL, e.g. https://www.bitstamp.net
  wsUrl: string; // BITSTAMP_WS_URL, e.g. wss://ws.bitstamp.net
  clock: Clock;
  random: Random;
  /** The vault's Signer for this account, or undefined without credentials (calls then fail NO_CREDENTIALS). */
  signerFor: (record: AccountRecord) => Signer | undefined;
  /** Markets whose private channels to subscribe at every connect (live orders + configured); others on demand. */
  marketsFor: (record: AccountRecord) => string[];
  logger: Logger;
  metrics?: RequestMetrics;
  /** Quote currency of a market symbol; default: bundled snapshot, then a suffix heuristic. */
  quoteOf?: (market: string) => string | undefined;
  /** Connection state changes, e.g. to persist into the `connections` table / StatusService. */
  onConnectionState?: (record: AccountRecord, state: string, lastError?: string) => void;
  /** Subscribed private channel count changes, per account. */
  onStreamChannels?: (record: AccountRecord, count: number) => void;
  /** Bound of an order's wait for its market's channels (default 5 s). */
  streamWaitMs?: number;
  /** Delay after an order ends before unneeded channels are unsubscribed (default 30 s). */
  streamPruneDelayMs?: number;
  timing?: ConnectionTiming;
  /** Tuning of the REST client (timeouts, retries, rate limit, sleep, fetch). */
  rest?: Partial<Omit<BitstampRestOptions, 'apiUrl' | 'signer' | 'clock' | 'random' | 'logger' | 'metrics'>>;
  actorClock?: PrivateStreamOptions['actorClock'];
}

const KNOWN_QUOTES = ['usdt', 'usdc', 'pyusd', 'eurc', 'usd', 'eur', 'gbp', 'chf', 'btc', 'eth'];

/** "btcusd" -> "USD" from the bundled snapshot, else by known quote suffixes. */
export function defaultQuoteOf(): (market: string) => string | undefined {
  let byMarket: Map<string, string> | undefined;
  return (market) => {
    byMarket ??= new Map(loadBundledSnapshot().markets.map((m) => [m.market, m.quote]));
    const known = byMarket.get(market);
    if (known) return known;
    const q = KNOWN_QUOTES.find((s) => market.endsWith(s) && market.length > s.length);
    return q?.toUpperCase();
  };
}

export type BitstampAdapterFactory = (record: AccountRecord) => ExchangeAdapter;

export function createBitstampAdapterFactory(opts: BitstampAdapterFactoryOptions): (record: AccountRecord) => BitstampAdapter {
  const quoteOf = opts.quoteOf ?? defaultQuoteOf();
  return (record) => {
    const signer = (): Signer | undefined => opts.signerFor(record);
    const logger = opts.logger.child({ account: record.ref, exchange: 'bitstamp' });
    const restOpts: BitstampRestOptions = { ...opts.rest, apiUrl: opts.apiUrl, signer, clock: opts.clock, random: opts.random, logger };
    if (opts.metrics) restOpts.metrics = opts.metrics;
    const rest = new BitstampRestClient(restOpts);
    let adapter: BitstampAdapter | undefined;
    const identity = new IdentityGate({
      account: record.ref,
      exchangeAccountId: record.account.exchange_account_id,
      apiKey: () => signer()?.apiKey,
      fetchUserId: async () => (await rest.websocketsToken()).user_id,
    });
    const streamOpts: PrivateStreamOptions = {
      account: record.ref,
      wsUrl: opts.wsUrl,
      // Every token names the key's user: the stream's start is the identity check too.
      fetchToken: async () => {
        const refused = identity.knownRefusal();
        if (refused) throw refused;
        const apiKey = signer()?.apiKey;
        const t = await rest.websocketsToken();
        if (apiKey !== undefined) identity.learn(apiKey, t.user_id);
        return { token: t.token, userId: t.user_id };
      },
      marketsFor: () => opts.marketsFor(record),
      quoteOf,
      feeRates: () => adapter?.cachedFeeRates(),
      clock: opts.clock,
      random: opts.random,
      logger,
      onEvent: (e) => adapter?.emit(e),
      onState: (state, lastError) => opts.onConnectionState?.(record, state, lastError),
      onChannels: (count) => opts.onStreamChannels?.(record, count),
    };
    if (opts.timing) streamOpts.timing = opts.timing;
    if (opts.streamPruneDelayMs !== undefined) streamOpts.pruneDelayMs = opts.streamPruneDelayMs;
    if (opts.actorClock) streamOpts.actorClock = opts.actorClock;
    const stream = new BitstampPrivateStream(streamOpts);
    adapter = new BitstampAdapter({
      account: record.ref, clock: opts.clock, logger, signer, rest, stream, quoteOf, identity,
      reportState: (state, lastError) => opts.onConnectionState?.(record, state, lastError),
      ...(opts.streamWaitMs !== undefined ? { streamWaitMs: opts.streamWaitMs } : {}),
    });
    return adapter;
  };
}
