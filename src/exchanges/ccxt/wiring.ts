/**
 * What the composition root needs for the ccxt exchanges of EXEC_MCP_EXCHANGES (every id but
 * bitstamp, which keeps its native adapter): their ids enabled for accounts, one adapter factory
 * and one public metadata instance each. With none configured, ccxt is never loaded.
 */
import { enableExchanges, type AccountRecord } from '../../domain/account.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MetadataSource } from '../adapter.ts';
import type { CcxtCredentials } from './ccxt-like.ts';
import { createCcxtAdapterFactory, loadCcxtCreate, type CcxtAdapterFactory, type CcxtCreate } from './factory.ts';
import { credentialFieldsOf } from './credential-fields.ts';
import { metadataSourceOf } from './metadata.ts';

export interface CcxtWiringOptions {
  exchanges: readonly string[]; // config.exchanges
  offline: boolean;
  clock: Clock;
  logger: Logger;
  keyPair: (record: AccountRecord) => CcxtCredentials | undefined;
  /** Market ids to watch per market; read late (the markets service is built after this). */
  marketsFor?: (exchangeId: string) => string[];
  onConnectionState?: (record: AccountRecord, state: string, lastError?: string) => void;
  /** Tests: instead of the installed ccxt package. */
  create?: CcxtCreate;
}

export interface CcxtWiring {
  ids: string[];
  factories: Record<string, CcxtAdapterFactory>;
  metadataSources: Record<string, MetadataSource>;
  exchangeInfos: Array<{ id: string; name: string; live: boolean; paper: boolean }>;
  /** The credentials form of each exchange (ccxt's requiredCredentials). */
  credentialFields: Record<string, ReturnType<typeof credentialFieldsOf>>;
}

export function ccxtWiring(o: CcxtWiringOptions): CcxtWiring {
  const ids = o.exchanges.filter((id) => id !== 'bitstamp' && id !== 'paper');
  enableExchanges(ids);
  if (ids.length === 0) return { ids, factories: {}, metadataSources: {}, exchangeInfos: [], credentialFields: {} };
  const create = o.create ?? loadCcxtCreate().create;
  const factory = createCcxtAdapterFactory({
    clock: o.clock, logger: o.logger, credentialsFor: o.keyPair, marketsFor: (id) => o.marketsFor?.(id) ?? [], create, offline: o.offline,
    ...(o.onConnectionState ? { onConnectionState: o.onConnectionState } : {}),
  });
  const publicInstances = ids.map((id) => create(id, { enableRateLimit: true }));
  return {
    ids,
    factories: Object.fromEntries(ids.map((id) => [id, factory])),
    metadataSources: Object.fromEntries(publicInstances.map((ex) => [ex.id, metadataSourceOf(ex)])),
    exchangeInfos: publicInstances.map((ex) => ({ id: ex.id, name: ex.name ?? ex.id, live: true, paper: false })),
    credentialFields: Object.fromEntries(publicInstances.map((ex) => [ex.id, credentialFieldsOf(ex)])),
  };
}
