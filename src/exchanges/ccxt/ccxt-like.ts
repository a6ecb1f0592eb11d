/**
 * The part of a ccxt `Exchange` instance the adapter uses, as plain structural types. The adapter
 * depends on this shape, not on the ccxt package, so tests inject a small fake through the factory
 * and production loads ccxt lazily (only when a ccxt exchange is enabled).
 */
export type CcxtParams = Record<string, string | number | boolean>;

export interface CcxtTrade {
  id?: string | undefined;
  order?: string | undefined;
  symbol?: string | undefined;
  side?: string | undefined;
  amount?: number | undefined;
  price?: number | undefined;
  takerOrMaker?: string | undefined;
  fee?: { cost?: number | undefined; currency?: string | undefined } | undefined;
  timestamp?: number | undefined;
  datetime?: string | undefined;
}

export interface CcxtOrder {
  id: string;
  clientOrderId?: string | undefined;
  symbol?: string | undefined;
  side?: string | undefined;
  status?: string | undefined;
  amount?: number | undefined;
  filled?: number | undefined;
  remaining?: number | undefined;
  price?: number | undefined;
  timestamp?: number | undefined;
  datetime?: string | undefined;
  trades?: CcxtTrade[] | undefined;
  /** The exchange's raw reply, for the few fields ccxt leaves out (capabilities.ts). */
  info?: unknown;
}

export interface CcxtMarket {
  id: string;
  symbol: string;
  base: string;
  quote: string;
  active?: boolean | undefined;
}

export interface CcxtBalanceEntry {
  free?: number | undefined;
  used?: number | undefined;
  total?: number | undefined;
}

export interface CcxtWsClient {
  isConnected?: boolean;
}

/** Capability flags: true, false, 'emulated' or undefined (unknown), as ccxt's `has`. */
export type CcxtHas = Record<string, boolean | string | undefined>;

export interface CcxtLike {
  readonly id: string;
  /** Display name, e.g. "Kraken". */
  readonly name?: string;
  readonly has: CcxtHas;
  readonly requiredCredentials: Record<string, boolean>;
  markets: Record<string, CcxtMarket> | undefined;
  apiKey: string;
  secret: string;
  password?: string;
  uid?: string;
  /** Open WebSocket clients by URL (ccxt.pro); absent on REST-only instances. */
  clients?: Record<string, CcxtWsClient>;
  loadMarkets(): Promise<Record<string, CcxtMarket>>;
  createOrder(symbol: string, type: string, side: string, amount: number, price?: number, params?: CcxtParams): Promise<CcxtOrder>;
  cancelOrder(id: string, symbol?: string, params?: CcxtParams): Promise<unknown>;
  cancelAllOrders(symbol?: string, params?: CcxtParams): Promise<unknown>;
  fetchOrder(id: string, symbol?: string, params?: CcxtParams): Promise<CcxtOrder>;
  fetchOpenOrders(symbol?: string, since?: number, limit?: number, params?: CcxtParams): Promise<CcxtOrder[]>;
  fetchClosedOrders(symbol?: string, since?: number, limit?: number, params?: CcxtParams): Promise<CcxtOrder[]>;
  fetchMyTrades(symbol?: string, since?: number, limit?: number, params?: CcxtParams): Promise<CcxtTrade[]>;
  fetchBalance(params?: CcxtParams): Promise<Record<string, unknown>>;
  fetchTradingFees(params?: CcxtParams): Promise<Record<string, { maker?: number | undefined; taker?: number | undefined }>>;
  watchOrders?(symbol?: string, since?: number, limit?: number, params?: CcxtParams): Promise<CcxtOrder[]>;
  watchMyTrades?(symbol?: string, since?: number, limit?: number, params?: CcxtParams): Promise<CcxtTrade[]>;
  close?(): Promise<unknown>;
}

/** What the vault hands a ccxt adapter: the fields ccxt's `requiredCredentials` names. */
export interface CcxtCredentials {
  apiKey: string;
  secret: string;
  password?: string;
  uid?: string;
}
