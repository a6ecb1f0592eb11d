/**
 * The application services: the only API that mcp/ and web/ (and the CLI) may call.
 * Each is implemented in its own file under src/services/ (or the module named beside it) and
 * wired in src/main.ts (the composition root). Inputs are validated by the service (zod) and every
 * failure is a DomainError with a contract code. Outputs use the contract's snake_case shapes.
 */
import type { Account, AccountMode, ExchangeId, RiskLimits } from '../domain/account.ts';
import type { Currency, Market } from '../domain/market.ts';
import type { FillView, OrderRequest, OrderStatus, OrderView, Side } from '../domain/order.ts';
import type { Problem } from '../domain/errors.ts';
import type { PaperSimulation } from '../domain/paper-simulation.ts';

/** Who did it, for the audit log: "mcp:<session>", "dashboard:admin", "cli", "system". */
export type Actor = string;

// ---------------------------------------------------------------- accounts (src/services/accounts.ts)
export interface AccountInput {
  name: string;
  exchange: ExchangeId;
  exchange_account_id: string;
  parent?: string; // account reference of the parent
  mode?: AccountMode; // default: live for bitstamp, paper for paper
  enabled?: boolean;
  limits?: RiskLimits;
  /** place_order asks a human to confirm each order of this account (MCP elicitation). */
  require_confirmation?: boolean;
  /** Paper only: starting balances, e.g. {USD: "10000"}. */
  initial_balances?: Record<string, string>;
  /** Paper only: fill-model settings of its simulator (participation, queue), fixed at creation. */
  simulation?: PaperSimulation;
  /** Paper only: the enabled live exchange whose market rules it mirrors (default bitstamp), fixed at creation. */
  rules_from?: ExchangeId;
}
export type AccountPatch = Partial<Omit<AccountInput, 'exchange' | 'initial_balances' | 'simulation' | 'rules_from'>>;

export interface AccountDetail extends Account {
  has_credentials: boolean;
  credentials_set_at?: string;
  api_key_hint?: string; // e.g. "abcd…wxyz", never the secret
  last_balance_at?: string;
}

/** What the exchange said about a key when it was set (one signed read-only call). */
export interface CredentialsCheck {
  /** The exchange named the key's user and it is this account's. */
  verified: boolean;
  /** The key's user id on the exchange, when it answered. */
  user_id?: string;
  /** For the operator: "verified as user 4848701", or "not verified: <the exchange's error>". */
  message: string;
}

/** Credentials as the edges give them; api_password / api_uid only where the exchange requires them (ccxt). */
export interface CredentialsInput {
  api_key: string;
  api_secret: string;
  api_password?: string;
  api_uid?: string;
}

/** A credentials form field (CredentialsInput's keys). */
export type CredentialField = 'api_key' | 'api_secret' | 'api_password' | 'api_uid';
/** What an account's exchange wants as credentials (ccxt's requiredCredentials; bitstamp: key and secret). */
export interface CredentialFields {
  fields: CredentialField[];
  /** Required by the exchange but not storable here yet (e.g. ccxt's privateKey, twofa). */
  unsupported: string[];
}

export interface AccountsService {
  /** The credentials its exchange requires, for write-only forms; paper: none. Optional: absent = key and secret. */
  credentialFields?(ref: string): CredentialFields;
  list(filter?: { exchange?: string; enabled?: boolean }): Account[];
  /** By name or "<exchange>:<exchange_account_id>"; ACCOUNT_NOT_FOUND otherwise. */
  get(ref: string): AccountDetail;
  /**
   * list() with what get() adds per account (credentials set, key hint, last balance time), in a
   * constant number of queries whatever the number of accounts (the dashboard's accounts table).
   */
  listDetails(filter?: { exchange?: string; enabled?: boolean }): AccountDetail[];
  create(input: AccountInput, actor: Actor): Account;
  update(ref: string, patch: AccountPatch, actor: Actor): Account;
  setEnabled(ref: string, enabled: boolean, actor: Actor): Account;
  setLimits(ref: string, limits: RiskLimits, actor: Actor): Account;
  /** Refused (INVALID_ARGUMENT naming how many orders are open) while the account has open orders. */
  remove(ref: string, actor: Actor): void;
  /** Write-only; the secret goes straight into the vault. */
  setCredentials(ref: string, creds: CredentialsInput, actor: Actor): void;
  /**
   * What the dashboard and the CLI call: asks the exchange whose key it is first (Bitstamp:
   * `websockets_token/`, signed and read-only; nothing else is sent), refuses (INVALID_ARGUMENT,
   * field api_key, nothing stored) a key of another user, and otherwise stores it as
   * setCredentials does, answering what the exchange said (an exchange that cannot be asked leaves
   * the key stored but not verified; the connection start checks it again).
   */
  setCredentialsChecked(ref: string, creds: CredentialsInput, actor: Actor): Promise<CredentialsCheck>;
  /**
   * Deletes the stored credentials of one account, or of every account (`ref` undefined), without
   * reading them: the way out when the master key that encrypted them is lost. Returns the
   * references of the accounts that had credentials.
   */
  forgetCredentials(ref: string | undefined, actor: Actor): string[];
  /** Global kill switch: when on, every place_order fails with RISK_LIMIT. */
  setGlobalKillSwitch(on: boolean, actor: Actor): void;
  globalKillSwitch(): boolean;
}

// ---------------------------------------------------------------- orders (src/services/orders.ts)
export interface OrderLookup {
  order_id?: string;
  client_order_id?: string;
}
export interface ListOrdersFilter {
  status?: 'open' | 'closed' | 'all';
  market?: string;
  limit?: number; // default 100, max 1000
  /** Dashboard only: exact states. */
  statuses?: OrderStatus[];
}
export interface ListFillsFilter {
  market?: string;
  since?: string;
  until?: string;
  limit?: number;
}
/** Paging of list_orders / list_fills: `cursor` = a next_cursor returned before; since/until bound created_at (orders) or at (fills). */
export interface PageFilter {
  cursor?: string;
  since?: string;
  until?: string;
}
/** Newest first; next_cursor (absent on the last page) continues right after the last row. */
export interface OrdersPage {
  orders: OrderView[];
  next_cursor?: string;
}
export interface FillsPage {
  fills: FillView[];
  next_cursor?: string;
}
export interface OrderPreview {
  valid: boolean;
  problems: Problem[];
  normalized: Record<string, unknown>;
  estimated_fee?: string;
  estimated_notional?: string;
}
export type OrderChangeListener = (account: Account, order: OrderView) => void;

export interface RiskUsage {
  day: string;
  open_orders: number;
  /** Per quote currency ("*": totals recorded before they were kept per quote, counted against every quote). */
  daily_notional: { quote: string; used: string }[];
}

export interface PlacedOrder {
  order: OrderView;
  replayed: boolean;
}

/** What place_order shows a human on an account with require_confirmation. */
export interface OrderConfirmationRequest {
  account: string;
  /** One readable line: side, amount, market, price or type, time in force, estimated value. */
  message: string;
}
/** The human's answer; "unanswered" = no answer in time (the order is not placed either). */
export type ConfirmationAnswer = 'accept' | 'decline' | 'cancel' | 'unanswered';
/** Asks the human (MCP elicitation); absent when the client cannot ask. */
export type OrderConfirmer = (request: OrderConfirmationRequest) => Promise<ConfirmationAnswer>;
export interface PlaceOptions {
  confirm?: OrderConfirmer;
}

export interface OrdersService {
  /** Validates (market rules, risk caps, kill switch), then creates the order actor. Idempotent per client_order_id. */
  place(account: string, request: OrderRequest, actor: Actor): Promise<OrderView>;
  /**
   * Like place, also telling whether the order is a replay: the same client_order_id with the same
   * parameters returns the existing order (replayed: true); with other parameters it fails with
   * CLIENT_ORDER_ID_CONFLICT naming the existing order.
   */
  placeOrder(account: string, request: OrderRequest, actor: Actor, opts?: PlaceOptions): Promise<PlacedOrder>;
  /** How much of its risk caps the account has used today (UTC; simulated day for a backtest). */
  riskUsage(account: string): RiskUsage;
  preview(account: string, request: OrderRequest): Promise<OrderPreview>;
  cancel(account: string, lookup: OrderLookup, actor: Actor): Promise<OrderView>;
  cancelAll(account: string, market: string | undefined, actor: Actor): Promise<string[]>;
  get(account: string, lookup: OrderLookup): OrderView;
  list(account: string, filter: ListOrdersFilter): OrderView[];
  /** Dashboard: orders across accounts (account undefined = all). */
  listAll(filter: ListOrdersFilter & { account?: string }): OrderView[];
  listFills(account: string, filter: ListFillsFilter): FillView[];
  /** One page of list(): limit rows newest first, stable under inserts (cursor paging). */
  listPage(account: string, filter: ListOrdersFilter & PageFilter): OrdersPage;
  listFillsPage(account: string, filter: ListFillsFilter & PageFilter): FillsPage;
  /** Called after an order's new state has been committed. Returns an unsubscribe function. */
  onOrderChange(listener: OrderChangeListener): () => void;
}

// ---------------------------------------------------------------- markets/metadata (src/services/markets.ts)
export interface ExchangeInfo {
  id: string;
  name: string;
  live: boolean;
  paper: boolean;
}
export interface MarketRules extends Market {
  tick_size: string;
  step_size: string;
}
export interface MetadataStatus {
  exchange: string;
  refreshed_at?: string;
  source?: string; // "network" | "bundled-snapshot"
  last_error?: string;
  last_attempt_at?: string;
  markets: number;
  currencies: number;
}
export interface MarketsService {
  listExchanges(): ExchangeInfo[];
  listMarkets(exchange: string, filter?: { base?: string; quote?: string }): Market[];
  /** MARKET_NOT_FOUND if unknown. The `paper` exchange serves the bitstamp metadata. */
  getMarket(exchange: string, market: string): MarketRules;
  listCurrencies(exchange: string): Currency[];
  refresh(exchange: string, actor: Actor): Promise<MetadataStatus>;
  status(): MetadataStatus[];
}

// ---------------------------------------------------------------- balances & fees (src/services/balances.ts, fees.ts)
export interface BalanceView {
  currency: string;
  total: string;
  available: string;
  reserved: string;
}
export interface BalancesResult {
  account: string;
  as_of: string;
  balances: BalanceView[];
}
export interface BalancesService {
  get(account: string, refresh: boolean): Promise<BalancesResult>;
  history(
    account: string,
    filter: { currency?: string; since?: string; until?: string; limit?: number },
  ): { snapshots: { at: string; balances: BalanceView[] }[] };
  /** Fetch from the adapter and record a snapshot (scheduled job, and after fills). */
  snapshot(account: string): Promise<void>;
  /**
   * The stored latest balances of every account that has any, keyed by account reference
   * "<exchange>:<exchange_account_id>" (what get(account, false) answers from the store), in a
   * constant number of queries and without any exchange call.
   */
  latestForAll(): Map<string, BalancesResult>;
}
export interface FeesService {
  get(account: string, market?: string): Promise<{ fees: { market: string; maker: string; taker: string }[] }>;
}

// ---------------------------------------------------------------- positions (src/services/positions.ts)
export interface PositionView {
  /** Base currency of `market`. */
  currency: string;
  quote_currency: string;
  market: string;
  /** Net of all fills, signed (negative = sold more than fills bought). */
  amount: string;
  /** Per unit, in quote, fees excluded; null when flat. */
  average_cost: string | null;
  /** Net of every fee paid in the quote currency. */
  realized_pnl: string;
  /** At mark_price; "0" when flat; null without a mark. */
  unrealized_pnl: string | null;
  mark_price: string | null;
  /** Fees paid in the quote currency (included in realized_pnl). */
  fees_paid: string;
  /** Fees paid in other currencies (not netted). */
  other_fees?: { currency: string; amount: string }[];
}
export interface PositionsResult {
  account: string;
  as_of: string;
  positions: PositionView[];
}
export interface PositionsService {
  get(account: string): Promise<PositionsResult>;
}

// ---------------------------------------------------------------- portfolio (src/services/portfolio.ts)
export interface PortfolioPoint {
  at: string;
  /** Sum of the valued currencies, in quote_currency. */
  value: string;
}

export interface PortfolioResult {
  account: string;
  as_of: string;
  quote_currency: string;
  /** Other quote currencies the account could be shown in (its positions' quotes and held fiat). */
  quote_choices: string[];
  /** Oldest first; the last point is now (current balances at the marks), when balances are known. */
  points: PortfolioPoint[];
  value_now: string | null;
  /** Held currencies left out of the value: no market against the quote, or no price. */
  unvalued: string[];
  /** Sums of get_positions' positions quoted in quote_currency. */
  realized_pnl: string;
  /** null when a position in this quote has no mark price. */
  unrealized_pnl: string | null;
  fees_paid: string;
  /** Every position, exactly as get_positions answers. */
  positions: PositionView[];
}

export interface PortfolioService {
  get(account: string, opts?: { quote?: string; limit?: number }): Promise<PortfolioResult>;
}

// ---------------------------------------------------------------- backtests (src/services/backtests.ts)
export interface BacktestsService {
  create(input: unknown, actor: Actor): Promise<{ backtest_id: string; account: string; clock: string; markets: string[] }>;
  advance(input: unknown, actor: Actor): Promise<{ clock: string; events_processed: number; done: boolean; fills: FillView[] }>;
  report(input: unknown): Promise<BacktestReport>;
  /** Whether a backtest account ("<exchange>:<id>") still has its session; false once it ended (restart, or evicted to make room). */
  hasSession(accountRef: string): boolean;
}
export interface BacktestReport {
  backtest_id: string;
  clock: string;
  balances: BalanceView[];
  fills: FillView[];
  fees_paid: Record<string, string>;
  pnl: { quote_currency: string; value: string };
  /** pnl per valuation currency (several quote currencies are reported apart, never as 0). */
  pnl_by_currency: Record<string, string>;
  equity_curve: { at: string; equity: string }[];
  digest: string;
}

// ---------------------------------------------------------------- audit & status
export interface AuditEntryView {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  payload: Record<string, unknown>;
}
export interface AuditService {
  page(opts: { before?: number; limit?: number }): AuditEntryView[];
  verify(): { ok: true; rows: number } | { ok: false; rows: number; firstBad: number; reason: string };
}
export interface ConnectionStatusView {
  account: string;
  state: string;
  since: string;
  last_error?: string;
  /** Private channels subscribed now (absent until this process's stream reported them). */
  channels?: number;
}
/** An exchange fill kept aside, not applied: its market or side differs from its order's, or its price is worse than the limit. */
export interface QuarantinedFillView {
  account: string;
  order_id: string;
  fill_id: string;
  exchange_order_id: string;
  market: string;
  side: Side;
  amount: string;
  price: string;
  /** When the exchange says the fill happened. */
  fill_at: string;
  reason: string;
  /** Who brought it: exchange (stream or command answer), system:reconcile, system:inflight-check. */
  source: string;
  /** When it was kept aside. */
  at: string;
}
export interface StatusService {
  connections(): ConnectionStatusView[];
  /** Fills kept aside since this process started, newest first (bounded; each also has a `fill.quarantined` audit row). */
  quarantinedFills(): QuarantinedFillView[];
  metadata(): MetadataStatus[];
  ready(): { ready: boolean; checks: Record<string, boolean | string> };
  /**
   * Differs whenever stored data may have changed, by this process or another one (the CLI);
   * equal values mean nothing changed in between, so a page built from the store may be reused.
   */
  storeVersion(): string;
}

// ---------------------------------------------------------------- history (src/services/history.ts)
/** Time range of a history read: ISO instants, `since` inclusive, `until` exclusive. */
export interface HistoryRange {
  since?: string;
  until?: string;
}
/** One page, newest first; `next` is the opaque cursor of the following (older) page, absent on the last. */
export interface HistoryPage<T> {
  items: T[];
  next?: string;
}
export interface OrderHistoryFilter extends HistoryRange {
  account?: string;
  market?: string;
  statuses?: readonly OrderStatus[];
  cursor?: string;
  limit?: number; // default 100, max 1000
}
/** A fill with the reference of its account (the dashboard lists fills across accounts). */
export interface AccountFillView extends FillView {
  account: string;
}
export interface FillHistoryFilter extends HistoryRange {
  account?: string;
  market?: string;
  cursor?: string;
  limit?: number;
}
export interface AuditHistoryFilter extends HistoryRange {
  /** The seq to page below (the cursor of the audit log, also shown on the page). */
  before?: number;
  limit?: number; // default 50, max 500
}
export interface BalanceHistoryFilter extends HistoryRange {
  currency?: string;
  cursor?: string;
  limit?: number;
}
export interface OrderDetail {
  order: OrderView;
  /** Oldest first. */
  fills: AccountFillView[];
  /** Every audit row about the order (creation, each transition, quarantined fills), oldest first. */
  audit: AuditEntryView[];
}
/** Dashboard reads of the stored history: one order with its trail, and paged, date-ranged lists for pages and CSV. */
export interface HistoryService {
  /** By public order_id, whatever the account; ORDER_NOT_FOUND otherwise. */
  order(orderId: string): OrderDetail;
  orders(filter: OrderHistoryFilter): HistoryPage<OrderView>;
  fills(filter: FillHistoryFilter): HistoryPage<AccountFillView>;
  audit(filter: AuditHistoryFilter): HistoryPage<AuditEntryView>;
  balances(account: string, filter: BalanceHistoryFilter): HistoryPage<{ at: string; balances: BalanceView[] }>;
}

/** Dashboard sessions ended by logout, remembered across restarts (services/revoked-sessions.ts). */
export interface RevokedSessions {
  /** `sid` stays refused until `untilMs` (when its cookie would have expired anyway). */
  revoke(sid: string, untilMs: number): void;
  isRevoked(sid: string): boolean;
}

export interface Services {
  accounts: AccountsService;
  orders: OrdersService;
  markets: MarketsService;
  balances: BalancesService;
  fees: FeesService;
  positions: PositionsService;
  /** Dashboard portfolio view (services/portfolio.ts); unset (tests with fake services): the page is 404. */
  portfolio?: PortfolioService;
  backtests: BacktestsService;
  audit: AuditService;
  status: StatusService;
  /** Unset (tests with fake services): logouts are remembered in memory only. */
  sessions?: RevokedSessions;
  history: HistoryService;
}
