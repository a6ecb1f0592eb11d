/**
 * Composition root: the only place that builds concrete objects (db, vault, adapters, runtime,
 * services, MCP server, Koa app) and wires them. Everything else takes its collaborators as
 * arguments. `createApp` builds; `app.start()` hydrates actors, reconciles and starts jobs;
 * `createHttpServer` adds the dashboard + MCP over HTTP.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, isLoopbackUrl, type Config } from './config.ts';
import { closeDb, type Db } from './db/connection.ts';
import { openCheckedStore } from './db/store-integrity.ts';
import { storeFaultsOf } from './db/store-faults.ts';
import { migrate } from './db/migrate.ts';
import { acquireDataDirLock } from './db/data-dir-lock.ts';
import { AuditLog } from './audit/audit-log.ts';
import { isoAt, systemClock, type Clock, type Random } from './domain/clock.ts';
import { createIdFactory } from './domain/ids.ts';
import { rulesExchangeOf, type AccountRecord } from './domain/account.ts';
import type { Market } from './domain/market.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { CredentialVault, loadMasterKey } from './credentials/vault.ts';
import { AdapterRegistry } from './runtime/adapter-registry.ts';
import { ConnectionStatusStore } from './runtime/connection-status.ts';
import { AccountWatcher } from './runtime/account-watcher.ts';
import { realScheduler, type Scheduler } from './runtime/scheduler.ts';
import { exchangeAccountIdProblem } from './domain/exchange-identity.ts';
import { MarketsServiceImpl } from './services/markets.ts';
import { BitstampMetadataSource, loadBundledSnapshot } from './exchanges/bitstamp/metadata.ts';
import { startMetadataRefresh } from './jobs/metadata-refresh.ts';
import type { Services, StatusService } from './services/ports.ts';
import { quarantinedFillViews } from './services/quarantined-fills.ts';
import { dbChangeStamp } from './db/change-stamp.ts';
import { ClosedVenueAdapter, endedBacktestReason } from './exchanges/closed-venue.ts';
import { expireOrdersOfEndedBacktest, retireEndedBacktests } from './services/backtest-retire.ts';
import { DEFAULT_BACKTEST_RETENTION, type BacktestRetentionLimits } from './services/backtest-retention.ts';
import { AccountRepository } from './accounts/repository.ts';
import { AccountsServiceImpl, ensureDefaultPaperAccount } from './services/accounts.ts';
import { AuditServiceImpl } from './services/audit.ts';
import { HistoryServiceImpl } from './services/history.ts';
import { OrderRuntime } from './runtime/order-runtime.ts';
import { OrdersServiceImpl } from './services/orders.ts';
import { BalancesServiceImpl } from './services/balances.ts';
import { PortfolioServiceImpl } from './services/portfolio.ts';
import { PositionsServiceImpl } from './services/positions.ts';
import { FeesServiceImpl } from './services/fees.ts';
import { BacktestsServiceImpl } from './services/backtests.ts';
import { RevokedSessionsImpl } from './services/revoked-sessions.ts';
import { PaperExchangeAdapter } from './exchanges/paper.ts';
import type { ExchangeAdapter, PlaceOrderCommand } from './exchanges/adapter.ts';
import { createPriceSource, type PriceSource } from './exchanges/paper-price-sources.ts';
import { createBitstampAdapterFactory } from './exchanges/bitstamp/factory.ts';
import { ccxtWiring } from './exchanges/ccxt/wiring.ts';
import { fetchKeyUserId } from './exchanges/bitstamp/identity.ts';
import { type BalanceSnapshotJob, startBalanceSnapshots } from './jobs/balance-snapshots.ts';
import { startFeeRefresh } from './jobs/fee-refresh.ts';
import { startPeriodicReconciliation } from './jobs/periodic-reconciliation.ts';
import { createMcpHttpHandler } from './mcp/http.ts';
import { createWebApp } from './web/app.ts';
import type { ReadyReport } from './web/health.ts';
import { ensureSessionKeys } from './first-run-secrets.ts';

/** Bitstamp's base tier (bitstamp-samples/README.md): the default when no schedule is known. */
const BASE_FEE_TIER = { maker: '0.003', taker: '0.004' };

export interface AppOptions {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** pino destination fd (stdio MCP mode must log to 2, never stdout). Default 2. */
  logDestination?: number;
  /** Timers of the account watcher (tests drive it by hand); default: real timers. */
  scheduler?: Scheduler;
  /** Overrides the paper price source (tests). */
  priceSource?: PriceSource;
  /** Name recorded in the data dir lock by start() ("serve", "mcp", ...). */
  command?: string;
  /**
   * Open even when the master key does not match the stored credentials (they stay unreadable):
   * only for deleting them after the key was lost (`accounts forget-credentials`).
   */
  allowMasterKeyMismatch?: boolean;
  /** What live backtests may hold in memory (default DEFAULT_BACKTEST_RETENTION; tests use small ones). */
  backtestRetention?: BacktestRetentionLimits;
}

export interface App {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  audit: AuditLog;
  services: Services;
  registry: AdapterRegistry;
  runtime: OrderRuntime;
  /** Locks the data dir, hydrates order actors, reconciles accounts, starts background jobs; /readyz turns ready after it. */
  start(): Promise<void>;
  /** Records the HTTP URL in the data dir lock, so `exec-mcp mcp` can relay to this process. */
  advertiseUrl(url: string): void;
  /** streams_down: accounts whose exchange stream is down (ready, but /readyz says "degraded"). */
  ready(): ReadyReport;
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const logger = opts.logger ?? createLogger({ level: config.logLevel, destination: opts.logDestination ?? 2 });
  const metrics = createMetrics({ accountLabels: config.metricsAccountLabels });
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 }); // new data dirs are private (existing ones are left as the operator set them)
  // Refused (damaged, or a used data dir without its database) before anything is created or started.
  const db = openCheckedStore({ dataDir: config.dataDir, dbFile: config.dbFile, initEmpty: config.initEmpty });
  let migrated = false;
  let hydrated = false;
  const stops: Array<() => void | Promise<void>> = [];
  let lockHandle: ReturnType<typeof acquireDataDirLock> | undefined;
  try {
    migrate(db);
    migrated = true;
    const audit = new AuditLog(db, clock);
    const vault = new CredentialVault(db, loadMasterKey({ dataDir: config.dataDir, ...(config.masterKey ? { masterKey: config.masterKey } : {}) }), clock);
    if (!opts.allowMasterKeyMismatch) vault.checkMasterKey();
    const ids = createIdFactory(() => clock.now(), opts.random);
    // EXEC_MCP_EXCHANGES beyond bitstamp: one ccxt adapter each (ccxt is loaded only then).
    const ccxt = ccxtWiring({
      exchanges: config.exchanges, offline: config.offline, clock, logger, keyPair: (r) => vault.keyPair(r.key),
      onConnectionState: (record, state, lastError) => connections.record(record, state, lastError),
      marketsFor: (id) => {
        try {
          return markets.listMarkets(id).filter((m) => m.trading_enabled).map((m) => m.market);
        } catch {
          return []; // not refreshed yet
        }
      },
    });

    const markets = new MarketsServiceImpl({
      db,
      clock,
      sources: { bitstamp: new BitstampMetadataSource({ apiUrl: config.bitstampApiUrl, logger }), ...ccxt.metadataSources },
      extraExchanges: ccxt.exchangeInfos,
      bundled: { bitstamp: loadBundledSnapshot },
      offline: config.offline,
      logger,
      metrics,
      audit,
    });
    markets.init();
    const getMarket = (market: string): Market => markets.getMarket('paper', market);

    const directory = new AccountRepository(db);
    // The market-data MCP child gets a minimal environment: never exec-mcp's own secrets.
    const priceSource =
      opts.priceSource ?? createPriceSource(config, { clock, logger, getMarket, childEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    // A backtest registers its own simulator; without one (its session ended with a restart) the venue is gone.
    const paperAdapter = (record: AccountRecord): ExchangeAdapter =>
      record.account.mode === 'backtest'
        ? new ClosedVenueAdapter('paper', endedBacktestReason(record.account.name))
        : new PaperExchangeAdapter({
        db, accountRef: record.ref, clock, random, priceSource, logger,
        // rules_from: the simulator checks the mirrored exchange's rules, like the order service.
        getMarket: (market: string): Market => markets.getMarket(rulesExchangeOf(record.account), market),
        // Its fee schedule covers every tradable market, not only those already traded.
        listMarkets: () => markets.listMarkets(rulesExchangeOf(record.account)).filter((m) => m.trading_enabled).map((m) => m.market),
      });
    const connections = new ConnectionStatusStore(db, clock, metrics);
    // Offline means nothing leaves this machine: an exchange on loopback (the emulator) stays reachable.
    const exchangeOffline = config.offline && !isLoopbackUrl(config.bitstampApiUrl);
    const registry: AdapterRegistry = new AdapterRegistry({
      ...ccxt.factories,
      paper: paperAdapter,
      bitstamp: createBitstampAdapterFactory({
        apiUrl: config.bitstampApiUrl,
        wsUrl: config.bitstampWsUrl,
        clock,
        random,
        signerFor: (record: AccountRecord) => vault.signer(record.key),
        // Bounded stream: markets with live orders plus the configured ones; others subscribe on demand.
        marketsFor: (record: AccountRecord): string[] => {
          const configured = config.bitstampStreamMarkets ?? {};
          const live: Array<string | undefined> = runtime.liveOrders(record.key).map((o) => runtime.get(o.orderId)?.market.toLowerCase());
          const wanted = [...live, ...(configured['*'] ?? []), ...(configured[record.account.exchange_account_id] ?? [])];
          return [...new Set(wanted.filter((m): m is string => m !== undefined))];
        },
        onStreamChannels: (record: AccountRecord, count: number) => connections.recordChannels(record, count),
        quoteOf: (market: string) => markets.findMarket('bitstamp', market)?.quote,
        logger,
        metrics,
        onConnectionState: (record, state, lastError) => connections.record(record, state, lastError),
        ...(exchangeOffline ? { rest: { offline: true } } : {}),
      }),
    });

    /**
     * Live accounts hold an exchange connection (private WS) while enabled and credentialed.
     * `restart`: its key or id changed, so the old adapter (stream, identity check) must go.
     */
    let closing = false;
    const syncConnection = async (record: AccountRecord, restart = false): Promise<void> => {
      if (ccxt.ids.includes(record.account.exchange)) return syncCcxtConnection(record, restart);
      if (record.account.exchange !== 'bitstamp') return;
      if (exchangeOffline) {
        connections.record(record, 'stopped', 'offline mode (EXEC_MCP_OFFLINE=1): no exchange connection');
        return;
      }
      try {
        const had = registry.has(record.key);
        if (restart && had) await registry.remove(record.key);
        if (closing) return; // close() is taking the adapters down: build none
        // An id kept from before ids were checked: shown stopped with the reason, never deleted.
        const idProblem = exchangeAccountIdProblem('bitstamp', record.account.exchange_account_id);
        if (idProblem && record.account.enabled) connections.record(record, 'stopped', `account ${record.ref} is stopped: ${idProblem}`);
        else if (record.account.enabled && vault.has(record.key)) await registry.get(record).start();
        else if (registry.has(record.key) || had) {
          await registry.remove(record.key);
          connections.record(record, 'stopped');
        }
      } catch (err) {
        logger.warn({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'connection start failed');
      }
    };
    /** A ccxt account watches (or polls) its orders while enabled and credentialed; offline it never starts. */
    const syncCcxtConnection = async (record: AccountRecord, restart: boolean): Promise<void> => {
      try {
        if (restart && registry.has(record.key)) await registry.remove(record.key);
        if (closing) return;
        if (config.offline) connections.record(record, 'stopped', 'offline mode (EXEC_MCP_OFFLINE=1): no exchange connection');
        else if (record.account.enabled && vault.has(record.key)) await registry.get(record).start();
        else if (registry.has(record.key)) {
          await registry.remove(record.key);
          connections.record(record, 'stopped');
        }
      } catch (err) {
        logger.warn({ account: record.ref, err: err instanceof Error ? err.message : String(err) }, 'connection start failed');
      }
    };
    /** Started by start(): a CLI process (no start) changes accounts without touching any connection. */
    let watcher: AccountWatcher | undefined;
    // Backtest accounts live on their simulated clock (order times, audit rows, balances' as_of).
    const simNow = (record: AccountRecord): number | undefined => (record.account.mode === 'backtest' ? backtests.clockOf(record.ref) : undefined);
    const runtime: OrderRuntime = new OrderRuntime({ db, clock, audit, registry, directory, logger, metrics, ids, nowFor: (key) => backtests.clockOfKey(key) });
    let snapshots: BalanceSnapshotJob | undefined; // started by start(); account changes before that are covered by its first run
    const accounts = new AccountsServiceImpl({
      db,
      clock,
      audit,
      vault,
      credentialFieldsOf: (exchange) => ccxt.credentialFields[exchange],
      onPaperAccountCreated: (record, balances, simulation) => {
        if (record.account.mode === 'backtest') return; // backtests register their own simulator
        const adapter = registry.get(record);
        if (adapter instanceof PaperExchangeAdapter) {
          if (simulation) adapter.configure(simulation);
          adapter.fund(balances);
        }
      },
      openOrderCount: (key) => runtime.openOrderCount(key),
      // Setting a key asks Bitstamp whose it is: one signed read-only call (offline: refused unsent).
      verifyCredentials: {
        bitstamp: (_record, signer) =>
          fetchKeyUserId({ apiUrl: config.bitstampApiUrl, clock, random, logger, readRetries: 1, ...(exchangeOffline ? { offline: true } : {}) }, signer),
      },
      onConnectionSettingsChanged: (record) => {
        void watcher?.checkNow(true);
        snapshots?.accountChanged(record.ref);
      },
      onAccountCreated: (record) => snapshots?.accountChanged(record.ref),
      // A removed account's key may be reused by SQLite: drop its adapter and its paper exchange state.
      onAccountRemoved: (record) => {
        void registry.remove(record.key);
        connections.forget(record.ref);
        db.prepare('DELETE FROM paper_state WHERE account_key = ?').run(record.ref);
      },
    });
    const fees = new FeesServiceImpl({ db, clock, directory, adapterFor: (r: AccountRecord) => registry.get(r), logger });
    const orders: OrdersServiceImpl = new OrdersServiceImpl({
      runtime,
      directory,
      accounts,
      markets,
      db,
      clock,
      ids,
      ordersPlaced: metrics.ordersPlaced,
      referencePrice: async (record: AccountRecord, market: string): Promise<string | undefined> => {
        if (record.account.mode === 'backtest') return backtests.referencePrice(record.ref, market);
        return record.account.exchange === 'paper' ? priceSource.price(market).catch(() => undefined) : undefined;
      },
      nowFor: simNow,
      // Preview only estimates: without a fee schedule (no credentials, exchange down) use the base tier.
      feeRates: async (account: string, market: string) => {
        const f = await fees.get(account, market).catch(() => undefined);
        return f?.fees[0] ?? BASE_FEE_TIER;
      },
      // Paper and backtest venues are local: they check the order by the rules they place it by.
      venueProblems: async (record: AccountRecord, cmd: PlaceOrderCommand) => {
        if (record.account.exchange !== 'paper') return undefined;
        return registry.get(record).checkOrder?.(cmd);
      },
      // Paper and backtest venues are local: ask them (current reservations included, nothing recorded);
      // a live exchange is asked only when nothing is cached.
      balancesOf: async (account: string) => {
        const record = directory.resolve(account);
        return record.account.exchange === 'paper' ? registry.get(record).getBalances() : (await balances.get(account, false)).balances;
      },
      tradingClosedReason: (record: AccountRecord) =>
        record.account.mode === 'backtest' && backtests.clockOf(record.ref) === undefined ? endedBacktestReason(record.account.name) : undefined,
    });
    const balances = new BalancesServiceImpl({
      db, clock, directory, adapterFor: (r: AccountRecord) => registry.get(r), logger,
      // Paper and backtest venues are in this process: read at once; live caches go stale on order changes.
      localVenue: (r: AccountRecord) => r.account.exchange === 'paper',
      onOrderChange: (listener) => orders.onOrderChange(listener),
      nowFor: simNow,
    });
    const backtests: BacktestsServiceImpl = new BacktestsServiceImpl({
      db, clock, accounts, directory, registry, orders, runtime, getMarket, logger,
      ...(config.backtestDataDir !== undefined ? { dataRoot: config.backtestDataDir } : {}),
      retention: opts.backtestRetention ?? { ...DEFAULT_BACKTEST_RETENTION, maxEvents: config.backtestMaxEvents },
      maxFileBytes: config.backtestMaxFileBytes,
      // Ended to make room: the account's venue closes and its open orders expire, as after a restart.
      onEnded: async (record, lastClockMs) => {
        await registry.remove(record.key);
        // Expired at the backtest's last simulated time: its account never shows wall-clock times.
        const expired = await expireOrdersOfEndedBacktest(record, { orders, runtime, clock: { now: () => lastClockMs } }, 'system');
        if (expired > 0) logger.info({ account: record.ref, expired }, 'orders of an ended backtest expired');
      },
    });
    const marketOf = (r: AccountRecord, market: string) => markets.findMarket(rulesExchangeOf(r.account), market);
    // Marks: the backtest's replay, the paper venue's price source; a live account the same source unless offline without one.
    const markPrice = async (r: AccountRecord, market: string): Promise<string | undefined> => {
      if (r.account.mode === 'backtest') return backtests.referencePrice(r.ref, market);
      if (r.account.exchange !== 'paper' && config.offline && config.priceMcp === undefined) return undefined;
      const fromSource = await priceSource.price(market).catch(() => undefined);
      if (fromSource !== undefined || r.account.exchange !== 'paper') return fromSource;
      const venue = registry.get(r);
      return venue instanceof PaperExchangeAdapter ? venue.engine.lastPrice(market) : undefined;
    };
    const positions = new PositionsServiceImpl({
      db, clock, directory, marketOf, markPrice,
      nowFor: simNow,
    });
    const portfolio = new PortfolioServiceImpl({ db, clock, directory, balances, positions, marketOf, markPrice });
    const auditService = new AuditServiceImpl(audit);

    const ready = (): ReadyReport & { streams_down: string[] } => {
      const meta = markets.status();
      const checks: Record<string, boolean | string> = {
        db_open: db.open,
        migrations_done: migrated,
        actors_hydrated: hydrated,
      };
      for (const m of meta) checks[`metadata_${m.exchange}`] = m.last_error ? `stale: ${m.last_error}` : m.markets > 0;
      // Damaged store: not ready (trading halted); store cannot write: ready but degraded.
      const store = storeFaultsOf(db).report();
      checks['store'] = store.reason ?? true;
      return {
        // A ccxt exchange without metadata yet cannot trade, but Bitstamp and paper can: shown, not gating.
        ready: db.open && migrated && hydrated && meta.every((m) => m.markets > 0 || ccxt.ids.includes(m.exchange)) && store.state !== 'damaged',
        checks,
        streams_down: connections.streamsDown(),
        ...(store.state !== 'ok' && store.reason !== undefined ? { store: { state: store.state, reason: store.reason } } : {}),
      };
    };
    const status: StatusService = {
      connections: () => connections.list(),
      quarantinedFills: () => quarantinedFillViews(runtime.quarantinedFills()),
      metadata: () => markets.status(),
      ready,
      storeVersion: () => dbChangeStamp(db),
    };
    const sessions = new RevokedSessionsImpl({ db, clock });
    const history = new HistoryServiceImpl({ db, directory, reads: runtime.reads });
    const services: Services = { accounts, orders, markets, balances, fees, positions, portfolio, backtests, audit: auditService, status, sessions, history };

    const app: App = {
      config,
      db,
      clock,
      logger,
      metrics,
      audit,
      services,
      registry,
      runtime,
      async start() {
        const lock = acquireDataDirLock(config.dataDir, { command: opts.command ?? 'serve', started_at: isoAt(clock.now()) });
        lockHandle = lock;
        ensureDefaultPaperAccount(accounts, 'system');
        await runtime.start();
        const expired = await retireEndedBacktests(
          { directory, orders, runtime, hasSession: (ref) => backtests.clockOf(ref) !== undefined, clock },
          'system',
        );
        if (expired > 0) logger.info({ expired }, 'orders of backtests that ended with the restart expired');
        hydrated = true;
        // Accounts and credentials changed by the CLI (another process) start or stop their streams too.
        watcher = new AccountWatcher({
          stamp: () => dbChangeStamp(db),
          accounts: () =>
            directory.allWithDetails({ exchange: 'bitstamp' }).map(({ record, credentialsApiKey, credentialsSetAt }) => ({
              record,
              fingerprint: JSON.stringify([record.ref, record.account.enabled, record.account.created_at, credentialsApiKey ?? null, credentialsSetAt ?? null]),
            })),
          sync: (record, first) => syncConnection(record, !first),
          removed: async (key, ref) => {
            await registry.remove(key);
            connections.forget(ref);
          },
          scheduler: opts.scheduler ?? realScheduler,
          logger,
        });
        const w = watcher;
        stops.push(() => w.stop());
        void w.start();
        if (!config.offline) {
          const job = startMetadataRefresh({ markets, exchanges: ['bitstamp', ...ccxt.ids], logger });
          stops.push(job.stop);
        }
        // watchMs: accounts the CLI creates or gives credentials while this process runs get their first snapshot too.
        snapshots = startBalanceSnapshots({ services, logger, intervalMs: config.balanceSnapshotMs, watchMs: 5_000, storeVersion: () => dbChangeStamp(db) });
        stops.push(snapshots.stop);
        const feeRefresh = startFeeRefresh({ accounts, fees, logger });
        stops.push(feeRefresh.stop);
        const reconciliation = startPeriodicReconciliation({
          accounts: () => directory.all().filter((r) => r.account.mode !== 'backtest'),
          openOrderCount: (key) => runtime.openOrderCount(key),
          reconcile: (record, trigger) => runtime.reconcileAccount(record, trigger),
          logger,
        });
        stops.push(reconciliation.stop);
      },
      ready,
      advertiseUrl(url: string) {
        lockHandle?.update({ url });
      },
      async close() {
        closing = true;
        for (const stop of stops.reverse()) await stop();
        await runtime.stop();
        await registry.closeAll();
        await priceSource.close?.(); // a spawned market-data MCP child would keep the process alive
        closeDb(db);
        lockHandle?.release(); // last: the runtime and the db are down
      },
    };
    return app;
  } catch (err) {
    closeDb(db);
    throw err;
  }
}

// ---------------------------------------------------------------- HTTP (serve)

export interface HttpServerHandle {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** Dashboard + /mcp (Streamable HTTP) + health routes on one HTTP server. */
export async function createHttpServer(app: App, adminPasswordHash: string, token: string): Promise<HttpServerHandle> {
  const mcp = createMcpHttpHandler({
    services: app.services,
    token,
    ...(app.config.readonlyToken ? { readonlyToken: app.config.readonlyToken } : {}),
    logger: app.logger,
    metrics: app.metrics,
  });
  const web = createWebApp({
    services: app.services,
    metricsRegistry: app.metrics.registry,
    logger: app.logger,
    adminPasswordHash,
    sessionKeys: ensureSessionKeys(app.config.dataDir),
    mcpHandler: mcp,
    controlToken: token, // the CLI's brake relays here (exec-mcp orders cancel|cancel-all)
    ready: app.ready,
    clock: app.clock,
    // Bound to loopback: answer only to loopback names, so a rebinding web page cannot reach it.
    ...(isLoopbackHost(app.config.host) ? { allowedHost: isLoopbackHost } : {}),
    // TLS ends at a reverse proxy in front (EXEC_MCP_BEHIND_TLS_PROXY): Secure cookie, HSTS, X-Forwarded-*.
    ...(app.config.behindTlsProxy ? { secureCookies: true, trustProxy: true } : {}),
  });
  const server = http.createServer(web.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(app.config.port, app.config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    async close() {
      await mcp.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
