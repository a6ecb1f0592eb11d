/**
 * Backtest sessions (CONTRACT.md "Backtests"). A backtest owns a `backtest` account on the paper
 * exchange whose adapter is a simulator driven by replayed market data on a simulated clock that
 * moves only on backtest_advance. Its orders are ordinary orders placed through OrdersService by
 * the client; the simulator receives them via placeOrder at the simulated time, and its fills flow
 * back through the order runtime like any exchange's. Sessions live in memory; the config is kept
 * in the backtests table.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountKey, AccountRecord } from '../domain/account.ts';
import { isoAt, type Clock, type Random } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import { createIdFactory, type IdFactory } from '../domain/ids.ts';
import type { Market } from '../domain/market.ts';
import type { FillView } from '../domain/order.ts';
import { fillViewOf, type ExchangeAdapter, type FillReport } from '../exchanges/adapter.ts';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { SimExchangeAdapter } from '../../sim/sim-adapter.ts';
import { marketFromFileName, type MarketData } from '../../sim/market-data/parse.ts';
import { readInlineMarketData, readMarketDataFile, type ReadLimits } from '../../sim/market-data/bounded-read.ts';
import { mergeMarketData } from '../../sim/market-data/merge.ts';
import type { DataKind } from '../../sim/market-data/rows.ts';
import { parseInterval } from '../../sim/market-data/candles.ts';
import type { AccountsService, Actor, BacktestReport, BacktestsService, OrdersService } from './ports.ts';
import {
  backtestAdvanceSchema,
  backtestCreateSchema,
  backtestReportSchema,
  parseInput,
  type BacktestCreateInput,
  type BacktestDataSource,
} from './backtest-inputs.ts';
import { BacktestRetention, type BacktestRetentionLimits } from './backtest-retention.ts';
import { ENDED_BACKTEST_CAUSES } from '../exchanges/closed-venue.ts';

export interface BacktestsDeps {
  db: Db;
  /** Wall clock: ids and created_at (the simulated clock is the session's). */
  clock: Clock;
  random?: Random;
  ids?: IdFactory;
  accounts: AccountsService;
  directory: AccountDirectory;
  registry: { add(account: AccountRecord, adapter: ExchangeAdapter): void };
  orders: Pick<OrdersService, 'get'>;
  /** Resolves when the order runtime has processed every pushed event and outbox command. */
  runtime: { whenIdle(): Promise<void> };
  getMarket: (market: string) => Market;
  logger?: { info(obj: object, msg?: string): void };
  /** What live backtests may hold in memory; beyond it the least recently used end (DEFAULT_BACKTEST_RETENTION). */
  retention?: BacktestRetentionLimits;
  /**
   * Called after a backtest ended to make room (its session is gone): the composition root drops
   * the account's simulator adapter and expires its open orders, as after a restart.
   */
  onEnded?: (account: AccountRecord, lastClockMs: number) => Promise<void>;
  /**
   * EXEC_MCP_BACKTEST_DATA_DIR: when set, `data` paths are read only inside this folder (relative
   * ones from it), so a strategy client cannot make the server read arbitrary files.
   */
  dataRoot?: string;
  /** Largest data file read, bytes (EXEC_MCP_BACKTEST_MAX_FILE_MB; default DEFAULT_BACKTEST_MAX_FILE_BYTES). */
  maxFileBytes?: number;
}

/** 256 MiB: about 5 million trade rows, the default event budget (DEFAULT_BACKTEST_RETENTION). */
export const DEFAULT_BACKTEST_MAX_FILE_BYTES = 256 * 1024 * 1024;

interface Session {
  id: string;
  accountName: string;
  record: AccountRecord;
  session: BacktestSession;
  adapter: SimExchangeAdapter;
  orderIds: Map<string, string>; // exchange order id -> public order id
  /** Fills already returned by advance: each advance returns the fills since the previous one. */
  fillCursor: number;
  lock: Promise<unknown>;
}

const DEFAULT_MARKET = 'btcusd';

/** What the backtests table keeps of one source: the path, or the kind and row count of inline rows. */
function sourceConfig(s: BacktestDataSource): { file: string } | { inline: string; rows: number } {
  if (typeof s === 'string') return { file: s };
  const [kind, rows] = Object.entries(s)[0] as [DataKind, unknown[]];
  return { inline: kind, rows: rows.length };
}

export class BacktestsServiceImpl implements BacktestsService {
  private readonly sessions = new Map<string, Session>();
  private readonly byAccount = new Map<string, Session>();
  private readonly byKey = new Map<AccountKey, Session>();
  private readonly ids: IdFactory;
  private readonly retention: BacktestRetention;
  /** Data being read: one backtest's at a time, so concurrent creates cannot stack up their data. */
  private reading: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: BacktestsDeps) {
    this.ids = deps.ids ?? createIdFactory(() => deps.clock.now(), deps.random);
    this.retention = new BacktestRetention(deps.retention);
  }

  async create(input: unknown, actor: Actor): Promise<{ backtest_id: string; account: string; clock: string; markets: string[] }> {
    const v = parseInput(backtestCreateSchema, input);
    const data = await this.readOneAtATime(() => this.loadData(v));
    for (const m of data.markets) this.deps.getMarket(m); // MARKET_NOT_FOUND names an unknown market early
    const balances = Object.fromEntries(Object.entries(v.initial_balances).map(([c, a]) => [c.toUpperCase(), a]));
    const engineOptions = {
      getMarket: this.deps.getMarket,
      latencyMs: v.latency_ms ?? 0,
      seed: v.seed ?? 1,
      slippageBps: v.slippage_bps ?? 5,
      ...(v.participation !== undefined ? { participation: v.participation } : {}),
      ...(v.latency_jitter_ms !== undefined ? { latencyJitterMs: v.latency_jitter_ms } : {}),
      ...(v.prob_fill_on_touch !== undefined ? { probFillOnTouch: v.prob_fill_on_touch } : {}),
      ...(v.queue !== undefined ? { queue: v.queue } : {}),
      ...(v.queue_touch_fraction !== undefined ? { queueTouchFraction: v.queue_touch_fraction } : {}),
      ...(v.fees ? { fees: v.fees } : {}),
    };
    const session = new BacktestSession(data, engineOptions, balances);
    const adapter = new SimExchangeAdapter(session.engine);

    const id = this.ids();
    const accountName = `backtest-${id}`;
    this.deps.accounts.create({ name: accountName, exchange: 'paper', exchange_account_id: `bt-${id}`, mode: 'backtest', initial_balances: balances }, actor);
    const record = this.deps.directory.resolve(accountName);
    this.deps.registry.add(record, adapter); // before any order can reach it
    const config = {
      name: v.name ?? accountName,
      data: Array.isArray(v.data) ? { sources: v.data.map(sourceConfig) } : typeof v.data === 'string' ? { file: v.data } : { inline: data.kind, rows: data.events.length },
      markets: data.markets,
      initial_balances: balances,
      fees: v.fees ?? null,
      latency_ms: engineOptions.latencyMs,
      seed: engineOptions.seed,
      slippage_bps: engineOptions.slippageBps,
      ...(data.interval !== undefined ? { interval_ms: data.interval } : {}),
      ...(v.latency_jitter_ms !== undefined ? { latency_jitter_ms: v.latency_jitter_ms } : {}),
      ...(v.prob_fill_on_touch !== undefined ? { prob_fill_on_touch: v.prob_fill_on_touch } : {}),
      ...(v.queue !== undefined ? { queue: v.queue } : {}),
      ...(v.queue_touch_fraction !== undefined ? { queue_touch_fraction: v.queue_touch_fraction } : {}),
    };
    this.deps.db
      .prepare('INSERT INTO backtests (backtest_id, account_id, config_json, created_at) VALUES (?, ?, ?, ?)')
      .run(id, record.key, JSON.stringify(config), isoAt(this.deps.clock.now()));
    const s: Session = { id, accountName, record, session, adapter, orderIds: new Map(), fillCursor: 0, lock: Promise.resolve() };
    this.sessions.set(id, s);
    this.byAccount.set(record.ref, s);
    this.byKey.set(record.key, s);
    this.retention.add(id, data.events.length);
    this.deps.logger?.info({ backtest_id: id, events: data.events.length, markets: data.markets }, 'backtest created');
    for (const victim of this.retention.beyondLimits(id)) await this.end(victim);
    return { backtest_id: id, account: accountName, clock: isoAt(session.clock()), markets: data.markets };
  }

  async advance(input: unknown, _actor: Actor): Promise<{ clock: string; events_processed: number; done: boolean; fills: FillView[] }> {
    const v = parseInput(backtestAdvanceSchema, input);
    const s = this.session(v.backtest_id);
    this.retention.touch(s.id);
    return this.locked(s, async () => {
      const until = v.until === undefined ? undefined : Date.parse(v.until);
      if (until !== undefined && until < s.session.clock())
        throw new DomainError('INVALID_ARGUMENT', `until: ${v.until} is before the backtest clock ${isoAt(s.session.clock())}; the clock only moves forward`, { fields: ['until'] });
      await this.deps.runtime.whenIdle(); // orders placed so far reach the simulator at the current simulated time
      const n = until !== undefined ? s.session.runUntil(until) : v.steps !== undefined ? s.session.step(v.steps) : s.session.runToEnd();
      s.adapter.publish();
      await s.adapter.flush();
      await this.deps.runtime.whenIdle();
      const log = s.session.engine.fillLog;
      const fills = this.fillViews(s, log.slice(s.fillCursor)); // includes fills made when orders arrived between advances
      s.fillCursor = log.length;
      return { clock: isoAt(s.session.clock()), events_processed: n, done: s.session.done, fills };
    });
  }

  async report(input: unknown): Promise<BacktestReport> {
    const v = parseInput(backtestReportSchema, input);
    const s = this.session(v.backtest_id);
    this.retention.touch(s.id);
    return this.locked(s, async () => {
      s.adapter.publish();
      await s.adapter.flush();
      await this.deps.runtime.whenIdle();
      const r = s.session.report();
      return {
        backtest_id: s.id,
        clock: r.clock,
        balances: r.balances,
        fills: this.fillViews(s, r.fills),
        fees_paid: r.fees_paid,
        pnl: r.pnl,
        pnl_by_currency: r.pnl_by_currency,
        equity_curve: r.equity_curve,
        digest: r.digest,
      };
    });
  }

  hasSession(accountRef: string): boolean {
    return this.byAccount.has(accountRef);
  }

  /** Simulated time of a backtest account ("paper:bt-<id>"), for checks such as a gtd expire_time. */
  clockOf(accountRef: string): number | undefined {
    return this.byAccount.get(accountRef)?.session.clock();
  }

  /** clockOf by account key (the order runtime's per-account clock: one map lookup per transition). */
  clockOfKey(key: AccountKey): number | undefined {
    return this.byKey.get(key)?.session.clock();
  }

  /** Last replayed price of a market in a backtest account (to value market orders), if any. */
  referencePrice(accountRef: string, market: string): string | undefined {
    return this.byAccount.get(accountRef)?.session.engine.lastPrice(market);
  }

  /** The file to read for `data`: inside the data root when one is configured. */
  private allowedPath(file: string): string {
    const root = this.deps.dataRoot;
    if (root === undefined) return file;
    // One answer for "outside", "missing" and "unreadable": the reply must not tell which paths exist.
    const refused = new DomainError(
      'INVALID_ARGUMENT',
      `data: ${file} is not a readable file inside the backtest data folder (EXEC_MCP_BACKTEST_DATA_DIR); give a path relative to it`,
      { fields: ['data'] },
    );
    let real: string;
    let realRoot: string;
    try {
      realRoot = fs.realpathSync(root);
      real = fs.realpathSync(path.resolve(realRoot, file));
    } catch {
      throw refused;
    }
    if (!real.startsWith(realRoot + path.sep) || !fs.statSync(real).isFile()) throw refused;
    return real;
  }

  /**
   * Reads `data` within the limits: a file over the byte limit is refused from its size, unread; a
   * backtest that alone holds more events than all live ones may hold together is refused while it
   * is read (it could only stay by going over the budget); reading yields to the event loop.
   */
  private async loadData(v: BacktestCreateInput): Promise<MarketData> {
    if (!Array.isArray(v.data)) return this.loadSource(v.data, v);
    // Mixed data: the byte and event limits hold for the sum of the sources.
    const spent = { bytes: 0, events: 0 };
    const parts: MarketData[] = [];
    for (const source of v.data) parts.push(await this.loadSource(source, v, spent));
    return mergeMarketData(parts);
  }

  private loadSource(source: BacktestDataSource, v: BacktestCreateInput, spent?: ReadLimits['spent']): Promise<MarketData> {
    const events = { maxEvents: this.retention.limits.maxEvents, maxEventsSetting: 'EXEC_MCP_BACKTEST_MAX_EVENTS', ...(spent ? { spent } : {}) };
    const interval = v.interval === undefined ? undefined : parseInterval(v.interval);
    if (typeof source === 'string') {
      const market = v.market ?? marketFromFileName(source, (m) => this.knownMarket(m)) ?? DEFAULT_MARKET;
      const maxBytes = this.deps.maxFileBytes ?? DEFAULT_BACKTEST_MAX_FILE_BYTES;
      const opts = { market, ...(interval !== undefined ? { interval } : {}) };
      return readMarketDataFile(this.allowedPath(source), opts, { ...events, maxBytes, maxBytesSetting: 'EXEC_MCP_BACKTEST_MAX_FILE_MB' });
    }
    const [kind, rows] = Object.entries(source)[0] as [DataKind, unknown[]];
    return readInlineMarketData(kind, rows, v.market ?? DEFAULT_MARKET, events, interval);
  }

  private readOneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.reading.then(fn, fn);
    this.reading = run.catch(() => undefined);
    return run;
  }

  private knownMarket(m: string): boolean {
    try {
      this.deps.getMarket(m);
      return true;
    } catch {
      return false;
    }
  }

  private session(id: string): Session {
    const s = this.sessions.get(id);
    if (s) return s;
    const row = this.deps.db.prepare('SELECT 1 FROM backtests WHERE backtest_id = ?').get(id);
    throw new DomainError(
      'INVALID_ARGUMENT',
      row
        ? `backtest_id: backtest ${id} has ended: ${ENDED_BACKTEST_CAUSES}; create a new backtest`
        : `backtest_id: no backtest ${id}; create one with backtest_create`,
      { fields: ['backtest_id'] },
    );
  }

  /** Ends a backtest to make room: after the command running on it, as a restart would end it. */
  private async end(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.byAccount.delete(s.record.ref);
    this.byKey.delete(s.record.key);
    this.retention.remove(id);
    await s.lock;
    await this.deps.onEnded?.(s.record, s.session.clock());
    const { maxSessions, maxEvents } = this.retention.limits;
    this.deps.logger?.info({ backtest_id: id, max_sessions: maxSessions, max_events: maxEvents }, 'backtest ended to make room for newer ones');
  }

  /** One command at a time per backtest: the simulated clock must not move under a running report. */
  private locked<T>(s: Session, fn: () => Promise<T>): Promise<T> {
    const run = s.lock.then(fn, fn);
    s.lock = run.catch(() => undefined);
    return run;
  }

  private fillViews(s: Session, fills: readonly FillReport[]): FillView[] {
    return fills.map((f) => fillViewOf(f, this.orderId(s, f)));
  }

  /** The service's public order id of a simulator order (looked up once by client_order_id). */
  private orderId(s: Session, f: FillReport): string {
    const known = s.orderIds.get(f.exchangeOrderId);
    if (known) return known;
    let id = f.exchangeOrderId;
    if (f.clientOrderId !== undefined) {
      try {
        id = this.deps.orders.get(s.accountName, { client_order_id: f.clientOrderId }).order_id;
      } catch {
        // not (yet) known to the service: the simulator's id is the best public reference
      }
    }
    if (id !== f.exchangeOrderId) s.orderIds.set(f.exchangeOrderId, id);
    return id;
  }
}
