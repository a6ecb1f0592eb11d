/**
 * Orders use cases (CONTRACT.md "Execution"): validate the arguments, the account and the market
 * rules, then hand the order to its actor — with the risk caps checked and recorded inside the
 * same transaction that creates it. Reads come straight from the projection tables.
 */
import { z } from 'zod';
import type { Db } from '../db/connection.ts';
import type { AccountDirectory, AccountRecord } from '../domain/account.ts';
import { rulesExchangeOf } from '../domain/account.ts';
import type { Clock } from '../domain/clock.ts';
import { isoAt } from '../domain/clock.ts';
import { DomainError, invalidArgumentFromIssues, type Problem } from '../domain/errors.ts';
import type { IdFactory } from '../domain/ids.ts';
import { orderNotional, validateOrder } from '../domain/market.ts';
import { D, decStr } from '../domain/money.ts';
import {
  clientOrderIdSchema,
  isoTimestamp,
  isTerminal,
  ORDER_STATUSES,
  orderRequestSchema,
  type FillView,
  type OrderRequest,
  type OrderStatus,
  type OrderView,
} from '../domain/order.ts';
import { CLOSED_STATUS_LIST, OPEN_STATUS_LIST } from '../runtime/order-read-model.ts';
import type { OrderRuntime } from '../runtime/order-runtime.ts';
import { placeCommandOf } from '../runtime/outbox-payload.ts';
import type { PlaceOrderCommand } from '../exchanges/adapter.ts';
import type { OrderInput } from '../../machines/order.types.ts';
import type {
  AccountsService,
  Actor,
  BalanceView,
  ListFillsFilter,
  ListOrdersFilter,
  MarketRules,
  MarketsService,
  OrderChangeListener,
  OrderLookup,
  OrderPreview,
  FillsPage,
  OrdersPage,
  OrdersService,
  PageFilter,
  PlacedOrder,
  PlaceOptions,
  RiskUsage,
} from './ports.ts';
import { storeFaultsOf } from '../db/store-faults.ts';
import { confirmationMessage, confirmOrder } from './order-confirmation.ts';
import { assertStoreNotHalted, enforceRisk, storeHaltProblem, riskProblems, riskUsage, utcDay, type RiskOrder } from './risk.ts';
import { fundsProblem } from './preview-funds.ts';
import { fillsPage, isoBounds, ordersPage } from './order-pages.ts';

export interface OrdersServiceDeps {
  runtime: OrderRuntime;
  directory: AccountDirectory;
  accounts: AccountsService;
  markets: MarketsService;
  db: Db;
  clock: Clock;
  ids: IdFactory;
  /** Price to value market/instant orders (minimum, caps, preview). */
  referencePrice?: (record: AccountRecord, market: string) => Promise<string | undefined>;
  /** The account's own "now" when it is not the wall clock (backtests run on simulated time). */
  nowFor?: (record: AccountRecord) => number | undefined;
  /** Maker/taker fee fractions for preview's estimated_fee. */
  feeRates?: (account: string, market: string) => Promise<{ maker: string; taker: string }>;
  /** exec_mcp_orders_placed_total: one per order place_order created (a repeated client_order_id is not counted again). */
  ordersPlaced?: { inc(labels: { exchange: string }): void };
  /** Why an enabled account still cannot trade (a backtest whose session ended), if it cannot. */
  tradingClosedReason?: (record: AccountRecord) => string | undefined;
  /** A local venue's own refusals of the command (paper, backtest: see ExchangeAdapter.checkOrder); undefined = cannot tell. */
  venueProblems?: (record: AccountRecord, cmd: PlaceOrderCommand) => Promise<Problem[] | undefined>;
  /** The account's balances (cached, else fetched) for preview's funds check where the venue cannot tell. */
  balancesOf?: (account: string) => Promise<BalanceView[]>;
  /** How long place_order waits for the exchange's answer before returning the order as it is (default 3000). */
  submitWaitMs?: number;
  /** Same for cancel_order and cancel_all_orders (default 3000). */
  cancelWaitMs?: number;
}

const lookupSchema = z
  .object({ order_id: z.string().min(1).max(64).optional(), client_order_id: clientOrderIdSchema.optional() })
  .strict()
  .refine((l) => l.order_id !== undefined || l.client_order_id !== undefined, { message: 'give order_id or client_order_id' });
const limitSchema = z.number().int().min(1).max(1000).optional();
const listFilterSchema = z
  .object({
    status: z.enum(['open', 'closed', 'all']).optional(),
    market: z.string().min(1).max(32).optional(),
    limit: limitSchema,
    statuses: z.array(z.enum(ORDER_STATUSES)).max(ORDER_STATUSES.length).optional(),
    account: z.string().min(1).max(200).optional(),
  })
  .strict();
const fillsFilterSchema = z
  .object({ market: z.string().min(1).max(32).optional(), since: isoTimestamp.optional(), until: isoTimestamp.optional(), limit: limitSchema })
  .strict();
const pageArgs = { cursor: z.string().min(1).max(400).optional(), since: isoTimestamp.optional(), until: isoTimestamp.optional() };
const ordersPageSchema = listFilterSchema.omit({ statuses: true, account: true }).extend(pageArgs).strict();
const fillsPageSchema = fillsFilterSchema.extend(pageArgs).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidArgumentFromIssues(r.error.issues);
  return r.data;
}

const stillSubmitting = (v: OrderView): boolean => v.status === 'pending' || v.status === 'submitting';

export class OrdersServiceImpl implements OrdersService {
  private readonly submitWaitMs: number;
  private readonly cancelWaitMs: number;

  constructor(private readonly deps: OrdersServiceDeps) {
    this.submitWaitMs = deps.submitWaitMs ?? 3000;
    this.cancelWaitMs = deps.cancelWaitMs ?? 3000;
  }

  async place(account: string, request: OrderRequest, actor: Actor): Promise<OrderView> {
    return (await this.placeOrder(account, request, actor)).order;
  }

  async placeOrder(account: string, request: OrderRequest, actor: Actor, opts: PlaceOptions = {}): Promise<PlacedOrder> {
    assertStoreNotHalted(this.deps.db);
    try {
      return await this.placeChecked(account, request, actor, opts);
    } catch (e) {
      // A damaged store seen on the way (a read, the commit) halts trading; any storage failure is answered as one.
      throw storeFaultsOf(this.deps.db).note(e) ?? e;
    }
  }

  private async placeChecked(account: string, request: OrderRequest, actor: Actor, opts: PlaceOptions): Promise<PlacedOrder> {
    const req = parse(orderRequestSchema, request);
    const record = this.deps.directory.resolve(account);
    if (req.client_order_id !== undefined) {
      // Idempotency: a repeat returns the order placed the first time, and places nothing.
      const existing = this.deps.runtime.findByClientOrderId(record.key, req.client_order_id);
      if (existing) return replayOf(existing, req);
    }
    this.assertCanTrade(record);
    const market = this.deps.markets.getMarket(rulesExchangeOf(record.account), req.market);
    const referencePrice = req.type === 'limit' ? undefined : await this.deps.referencePrice?.(record, market.market);
    const now = this.deps.nowFor?.(record) ?? this.deps.clock.now();
    const problems = validateOrder(market, req, { now: new Date(now), ...(referencePrice !== undefined ? { referencePrice } : {}) });
    const first = problems[0];
    if (first) throw new DomainError(first.code, first.message, { problems });
    if (record.account.require_confirmation) await confirmOrder(record, opts.confirm, confirmationMessage(record, market, req, referencePrice));
    const input = this.inputOf(record, market, req, now, this.deps.ids());
    const risk = this.riskOrder(record, market, req, referencePrice, now);
    const { view, created } = await this.deps.runtime.placeOrder(record, input, actor, (db) => {
      // Re-read inside the transaction: limits or the enabled flag may have changed since.
      const fresh = this.deps.directory.byKey(record.key);
      if (!fresh?.account.enabled) throw new DomainError('ACCOUNT_DISABLED', `account ${record.ref} is disabled; enable it before trading`);
      enforceRisk(db, fresh.account.limits, risk);
    });
    if (!created) return replayOf(view, req); // the same client_order_id was created concurrently
    this.deps.ordersPlaced?.inc({ exchange: record.account.exchange });
    if (!stillSubmitting(view)) return { order: view, replayed: false };
    const settled = await this.deps.runtime.waitFor(view.order_id, (v) => !stillSubmitting(v), this.submitWaitMs);
    return { order: settled ?? view, replayed: false };
  }

  riskUsage(account: string): RiskUsage {
    const record = this.deps.directory.resolve(account);
    const day = utcDay(this.deps.nowFor?.(record) ?? this.deps.clock.now());
    return { day, ...riskUsage(this.deps.db, record.key, day) };
  }

  async preview(account: string, request: OrderRequest): Promise<OrderPreview> {
    const req = parse(orderRequestSchema, request);
    const record = this.deps.directory.resolve(account);
    const problems: Problem[] = [];
    // place_order looks at a reused client_order_id first: other parameters are a conflict.
    // A halted store is not read (place_order stops at the kill switch before reading it too).
    const halted = storeHaltProblem(this.deps.db) !== undefined;
    const existing = req.client_order_id !== undefined && !halted ? this.deps.runtime.findByClientOrderId(record.key, req.client_order_id) : undefined;
    try {
      if (existing) replayOf(existing, req);
    } catch (e) {
      if (e instanceof DomainError) problems.push({ code: e.code, field: 'client_order_id', message: e.message });
      else throw e;
    }
    try {
      this.assertCanTrade(record);
    } catch (e) {
      if (e instanceof DomainError) problems.push({ code: e.code, message: e.message });
      else throw e;
    }
    const normalized: Record<string, unknown> = {
      account: record.ref,
      market: req.market,
      side: req.side,
      type: req.type,
      amount: decStr(req.amount),
      ...(req.price !== undefined ? { price: decStr(req.price) } : {}),
      time_in_force: req.time_in_force ?? 'gtc',
      ...(req.expire_time !== undefined ? { expire_time: req.expire_time } : {}),
      post_only: req.post_only ?? false,
      ...(req.client_order_id !== undefined ? { client_order_id: req.client_order_id } : {}),
    };
    let market: MarketRules;
    try {
      market = this.deps.markets.getMarket(rulesExchangeOf(record.account), req.market);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      problems.push({ code: e.code, field: 'market', message: e.message });
      return { valid: false, problems, normalized };
    }
    const referencePrice = req.type === 'limit' ? undefined : await this.deps.referencePrice?.(record, market.market);
    const now = this.deps.nowFor?.(record) ?? this.deps.clock.now();
    problems.push(...validateOrder(market, req, { now: new Date(now), ...(referencePrice !== undefined ? { referencePrice } : {}) }));
    problems.push(...riskProblems(this.deps.db, record.account.limits, this.riskOrder(record, market, req, referencePrice, now)));
    const preview: OrderPreview = { valid: problems.length === 0, problems, normalized };
    const notional = orderNotional(req, referencePrice);
    if (notional !== undefined) {
      preview.estimated_notional = notional;
      const rates = await this.deps.feeRates?.(record.ref, market.market).catch(() => undefined);
      if (rates) {
        // A resting limit order pays maker; anything that may cross the book is estimated at taker (the higher).
        const rate = req.type === 'limit' && req.post_only ? rates.maker : rates.taker;
        preview.estimated_fee = decStr(new D(notional).times(rate));
      }
    }
    // A local venue answers with its own rules (funds with its fee rounding and slippage, post_only
    // against the book, no price); problems already listed from the same rules are not repeated.
    const venue = await this.deps.venueProblems?.(record, placeCommandOf(this.inputOf(record, market, req, now, 'preview'))).catch(() => undefined);
    if (venue) {
      const seen = new Set(problems.map((p) => `${p.code}/${p.field ?? ''}`));
      problems.push(...venue.filter((p) => !seen.has(`${p.code}/${p.field ?? ''}`)));
    } else {
      // Balances that cannot be read (no credentials, exchange down) add no problem: the rest still holds.
      const balances = await this.deps.balancesOf?.(record.ref).catch(() => undefined);
      const funds = balances && fundsProblem(req, market, preview, balances);
      if (funds) problems.push(funds);
    }
    preview.valid = problems.length === 0;
    return preview;
  }

  async cancel(account: string, lookup: OrderLookup, actor: Actor): Promise<OrderView> {
    const record = this.deps.directory.resolve(account);
    const view = this.find(record, lookup);
    if (isTerminal(view.status))
      throw new DomainError('ORDER_NOT_CANCELLABLE', `order ${view.order_id} is ${view.status}; only live orders can be cancelled`);
    const simNow = this.deps.nowFor?.(record);
    const after = await this.deps.runtime.send(view.order_id, { type: 'CANCEL', at: isoAt(simNow ?? this.deps.clock.now()) }, actor);
    if (after.status !== 'cancelling') return after;
    if (simNow !== undefined) {
      // Simulated time moves only on backtest_advance: once the simulator has the cancel, waiting
      // longer changes nothing (a cancel with latency stays cancelling until an advance lands it).
      await this.deps.runtime.whenIdle();
      return this.get(account, { order_id: after.order_id });
    }
    return (await this.deps.runtime.waitFor(after.order_id, (v) => v.status !== 'cancelling', this.cancelWaitMs)) ?? after;
  }

  async cancelAll(account: string, market: string | undefined, actor: Actor): Promise<string[]> {
    const record = this.deps.directory.resolve(account);
    if (market !== undefined) parse(z.string().min(1).max(32), market);
    const live = this.deps.runtime.reads.list({ accountKey: record.key, statuses: OPEN_STATUS_LIST, ...(market !== undefined ? { market } : {}), limit: 1_000_000 });
    const at = isoAt(this.deps.nowFor?.(record) ?? this.deps.clock.now());
    // Through each order's actor (not adapter.cancelAllOrders), so every order's state is tracked.
    const results = await Promise.all(live.map((o) => this.deps.runtime.send(o.order_id, { type: 'CANCEL', at }, actor).catch(() => undefined)));
    const cancelled = results.filter((v): v is OrderView => v !== undefined && (v.status === 'cancelling' || v.status === 'cancelled'));
    await Promise.all(cancelled.filter((v) => v.status === 'cancelling').map((v) => this.deps.runtime.waitFor(v.order_id, (x) => x.status !== 'cancelling', this.cancelWaitMs)));
    return cancelled.map((v) => v.order_id);
  }

  get(account: string, lookup: OrderLookup): OrderView {
    return this.find(this.deps.directory.resolve(account), lookup);
  }

  list(account: string, filter: ListOrdersFilter): OrderView[] {
    const f = parse(listFilterSchema, filter ?? {});
    const record = this.deps.directory.resolve(account);
    return this.deps.runtime.reads.list({ accountKey: record.key, ...this.query(f) });
  }

  listAll(filter: ListOrdersFilter & { account?: string }): OrderView[] {
    const f = parse(listFilterSchema, filter ?? {});
    const accountKey = f.account !== undefined ? this.deps.directory.resolve(f.account).key : undefined;
    return this.deps.runtime.reads.list({ ...(accountKey !== undefined ? { accountKey } : {}), ...this.query(f) });
  }

  listFills(account: string, filter: ListFillsFilter): FillView[] {
    const f = parse(fillsFilterSchema, filter ?? {});
    const record = this.deps.directory.resolve(account);
    return this.deps.runtime.reads.listFills(record.key, { limit: f.limit ?? 100, ...(f.market !== undefined ? { market: f.market } : {}), ...isoBounds(f) });
  }

  listPage(account: string, filter: ListOrdersFilter & PageFilter): OrdersPage {
    const f = parse(ordersPageSchema, filter ?? {});
    const record = this.deps.directory.resolve(account);
    return ordersPage(this.deps.runtime.reads, record.key, { ...this.query(f), ...isoBounds(f) }, f.cursor);
  }

  listFillsPage(account: string, filter: ListFillsFilter & PageFilter): FillsPage {
    const f = parse(fillsPageSchema, filter ?? {});
    const record = this.deps.directory.resolve(account);
    const q = { limit: f.limit ?? 100, ...(f.market !== undefined ? { market: f.market } : {}), ...isoBounds(f) };
    return fillsPage(this.deps.runtime.reads, record.key, q, f.cursor);
  }

  onOrderChange(listener: OrderChangeListener): () => void {
    return this.deps.runtime.onChange((record, view) => listener(record.account, view));
  }

  // ------------------------------------------------------------------ helpers

  private assertCanTrade(record: AccountRecord): void {
    if (!record.account.enabled) throw new DomainError('ACCOUNT_DISABLED', `account ${record.ref} is disabled; enable it before trading`);
    const closed = this.deps.tradingClosedReason?.(record);
    if (closed !== undefined) throw new DomainError('ACCOUNT_DISABLED', closed);
    if (record.account.exchange === 'bitstamp' && !this.deps.accounts.get(record.ref).has_credentials)
      throw new DomainError('NO_CREDENTIALS', `account ${record.ref} has no API credentials; set them in the dashboard or with "exec-mcp accounts set-credentials"`);
  }

  private find(record: AccountRecord, lookup: OrderLookup): OrderView {
    const l = parse(lookupSchema, lookup ?? {});
    const view =
      l.order_id !== undefined
        ? this.deps.runtime.reads.get(l.order_id, record.key)
        : this.deps.runtime.reads.byClientOrderId(record.key, l.client_order_id as string);
    const which = l.order_id !== undefined ? `order_id ${l.order_id}` : `client_order_id ${l.client_order_id}`;
    if (!view) throw new DomainError('ORDER_NOT_FOUND', `no order with ${which} on account ${record.ref}`);
    if (l.order_id !== undefined && l.client_order_id !== undefined && view.client_order_id !== l.client_order_id)
      throw new DomainError('INVALID_ARGUMENT', `order_id ${l.order_id} has client_order_id ${view.client_order_id}, not ${l.client_order_id}`);
    return view;
  }

  private query(f: z.infer<typeof listFilterSchema>): { statuses?: readonly OrderStatus[]; market?: string; limit: number } {
    const statuses = f.statuses ?? (f.status === 'open' ? OPEN_STATUS_LIST : f.status === 'closed' ? CLOSED_STATUS_LIST : undefined);
    return { limit: f.limit ?? 100, ...(statuses !== undefined ? { statuses } : {}), ...(f.market !== undefined ? { market: f.market } : {}) };
  }

  private inputOf(record: AccountRecord, market: MarketRules, req: OrderRequest, now: number, orderId: string): OrderInput {
    const input: OrderInput = {
      orderId,
      account: record.ref,
      clientOrderId: req.client_order_id ?? `x-${orderId}`,
      market: market.market,
      side: req.side,
      type: req.type,
      timeInForce: req.time_in_force ?? 'gtc',
      amount: decStr(req.amount),
      postOnly: req.post_only ?? false,
      createdAt: isoAt(now),
    };
    if (req.price !== undefined) input.price = decStr(req.price);
    if (req.expire_time !== undefined) input.expireTime = new Date(req.expire_time).toISOString();
    return input;
  }

  private riskOrder(record: AccountRecord, market: MarketRules, req: OrderRequest, referencePrice: string | undefined, now: number): RiskOrder {
    const notional = orderNotional(req, referencePrice);
    return {
      accountKey: record.key,
      accountRef: record.ref,
      market: market.market,
      quote: market.quote,
      day: utcDay(now),
      ...(notional !== undefined ? { notional } : {}),
    };
  }
}

/**
 * The order an earlier place_order created with this client_order_id: returned when the parameters
 * are the same (a retry), refused when they differ (two intents under one idempotency key).
 * post_only and expire_time are not in the order view, so only the fields below are compared.
 */
function replayOf(existing: OrderView, req: OrderRequest): PlacedOrder {
  const differs: string[] = [];
  const sameDecimal = (a: string | undefined, b: string | undefined): boolean => (a === undefined || b === undefined ? a === b : new D(a).eq(new D(b)));
  if (existing.market.toLowerCase() !== req.market.toLowerCase()) differs.push(`market ${existing.market}`);
  if (existing.side !== req.side) differs.push(`side ${existing.side}`);
  if (existing.type !== req.type) differs.push(`type ${existing.type}`);
  if (existing.time_in_force !== (req.time_in_force ?? 'gtc')) differs.push(`time_in_force ${existing.time_in_force}`);
  if (!sameDecimal(existing.amount, req.amount)) differs.push(`amount ${existing.amount}`);
  if (!sameDecimal(existing.price, req.price)) differs.push(existing.price === undefined ? 'no price' : `price ${existing.price}`);
  if (differs.length === 0) return { order: existing, replayed: true };
  throw new DomainError(
    'CLIENT_ORDER_ID_CONFLICT',
    `client_order_id ${existing.client_order_id} is already used on account ${existing.account} by order ${existing.order_id} (${existing.status}) with ${differs.join(', ')}; send a new client_order_id for a different order`,
    { existing_order: { order_id: existing.order_id, client_order_id: existing.client_order_id, status: existing.status } },
  );
}
