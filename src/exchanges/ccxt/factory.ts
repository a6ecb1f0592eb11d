/**
 * The only wiring of ccxt adapters: one ccxt instance per account, created once with the rate
 * limiter on (ccxt.pro's class where it exists: it does REST too, plus watch*). The composition
 * root loads the ccxt package (loadCcxtCreate) only when a ccxt exchange is enabled, so a service
 * with Bitstamp alone never loads it. Tests inject `create` (a fake, or a real class aimed at the
 * emulator): no globals are patched.
 */
import { createRequire } from 'node:module';
import type { AccountRecord } from '../../domain/account.ts';
import type { Clock } from '../../domain/clock.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ExchangeAdapter } from '../adapter.ts';
import { CcxtAdapter } from './adapter.ts';
import type { CcxtCredentials, CcxtLike } from './ccxt-like.ts';

export type CcxtCreate = (exchangeId: string, config: { enableRateLimit: boolean }) => CcxtLike;

export interface CcxtAdapterFactoryOptions {
  clock: Clock;
  logger: Logger;
  credentialsFor: (record: AccountRecord) => CcxtCredentials | undefined;
  /** Market ids to watch per market (exchanges with per-market private channels). */
  marketsFor: (exchangeId: string) => string[];
  /** Builds the instance: loadCcxtCreate() in production, a fake or an emulator-aimed class in tests. */
  create: CcxtCreate;
  pollIntervalMs?: number;
  watchRetryMs?: number;
  offline?: boolean;
  onConnectionState?: (record: AccountRecord, state: string, lastError?: string) => void;
}

type CcxtClass = new (config: { enableRateLimit: boolean }) => unknown;

/** `new ccxt.pro[id]` or `new ccxt[id]` from a loaded ccxt module. */
export function createFromModule(mod: unknown, exchangeId: string, config: { enableRateLimit: boolean }): CcxtLike {
  const m = mod as { pro?: Record<string, CcxtClass | undefined> } & Record<string, CcxtClass | undefined>;
  const Cls = m.pro?.[exchangeId] ?? m[exchangeId];
  if (typeof Cls !== 'function') throw new DomainError('INVALID_ARGUMENT', `ccxt has no exchange "${exchangeId}"`);
  // ccxt's Exchange is structurally wider than CcxtLike (overloads, Num types): this is the one cast.
  return new Cls(config) as CcxtLike;
}

/** The installed ccxt package as a CcxtCreate (loaded on first call only). */
export function loadCcxtCreate(): { create: CcxtCreate; exchanges: readonly string[] } {
  // The same (CommonJS) module config.ts validated EXEC_MCP_EXCHANGES with: loaded once.
  const m: unknown = createRequire(import.meta.url)('ccxt');
  return { create: (id, config) => createFromModule(m, id, config), exchanges: (m as { exchanges: string[] }).exchanges };
}

export function createCcxtAdapterFactory(opts: CcxtAdapterFactoryOptions): (record: AccountRecord) => CcxtAdapter {
  return (record) => {
    const exchangeId = record.account.exchange;
    const config = { enableRateLimit: true };
    const ex = opts.create(exchangeId, config);
    const adapterOpts: ConstructorParameters<typeof CcxtAdapter>[0] = {
      account: record.ref, ex, clock: opts.clock,
      logger: opts.logger.child({ account: record.ref, exchange: exchangeId }),
      credentials: () => opts.credentialsFor(record),
      marketsFor: () => opts.marketsFor(exchangeId),
    };
    if (opts.pollIntervalMs !== undefined) adapterOpts.pollIntervalMs = opts.pollIntervalMs;
    if (opts.watchRetryMs !== undefined) adapterOpts.watchRetryMs = opts.watchRetryMs;
    if (opts.offline) adapterOpts.offline = true;
    const onState = opts.onConnectionState;
    if (onState) adapterOpts.reportState = (state, lastError) => onState(record, state, lastError);
    return new CcxtAdapter(adapterOpts);
  };
}

export type CcxtAdapterFactory = (record: AccountRecord) => ExchangeAdapter;
