import { z } from 'zod';
import { decimalString } from './money.ts';

/** The built-in exchanges: always offered. Others (ccxt ids) are enabled by EXEC_MCP_EXCHANGES. */
export const EXCHANGES = ['bitstamp', 'paper'] as const;
/** An exchange id: a built-in one or an enabled ccxt id (e.g. "kraken"). */
export type ExchangeId = string;

/**
 * The exchanges accounts may use in this process: the built-ins plus the ccxt ids of
 * EXEC_MCP_EXCHANGES. Set once by the composition root before anything parses input; a process
 * setting (like the config it comes from), read by the schemas that validate `exchange` fields.
 */
let enabledExchanges: readonly string[] = EXCHANGES;

export function enableExchanges(ccxtIds: readonly string[]): void {
  enabledExchanges = [...new Set([...EXCHANGES, ...ccxtIds])];
}

export function knownExchanges(): readonly string[] {
  return enabledExchanges;
}

export function isKnownExchange(id: string): boolean {
  return enabledExchanges.includes(id);
}

/** A zod field for an enabled exchange id, with a message listing them. */
export const exchangeIdSchema = z.string().superRefine((v, ctx) => {
  if (!isKnownExchange(v)) ctx.addIssue({ code: 'custom', message: `must be one of ${enabledExchanges.join(', ')} (more with EXEC_MCP_EXCHANGES)` });
});
export const ACCOUNT_MODES = ['live', 'paper', 'backtest'] as const;
export type AccountMode = (typeof ACCOUNT_MODES)[number];

/** Per-account risk caps (DESIGN.md "Safety at the MCP edge"); absent = no cap. */
export const riskLimitsSchema = z
  .object({
    max_order_value: decimalString.optional(),
    max_open_orders: z.number().int().min(0).max(1_000_000).optional(),
    daily_notional: decimalString.optional(),
    allowed_markets: z.array(z.string().min(1).max(32)).max(1000).optional(),
    kill_switch: z.boolean().optional(),
  })
  .strict();
export type RiskLimits = z.infer<typeof riskLimitsSchema>;

/** The public view of an account. The internal primary key never appears here. */
export interface Account {
  name: string;
  exchange: ExchangeId;
  exchange_account_id: string;
  parent?: string; // reference "<exchange>:<id>" of the parent account
  mode: AccountMode;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  limits: RiskLimits;
  /** place_order asks a human to confirm each order (MCP elicitation); present only when set. */
  require_confirmation?: true;
  /** Paper only: the enabled exchange whose market rules it mirrors (default bitstamp); present only when set. */
  rules_from?: ExchangeId;
}

/** The exchange whose market rules (metadata) an account's orders are checked against. */
export function rulesExchangeOf(a: Pick<Account, 'exchange' | 'rules_from'>): ExchangeId {
  return a.rules_from ?? a.exchange;
}

export const accountNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'must start with a letter or digit and use only letters, digits, space . _ -');
export const exchangeAccountIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'must be 1-64 characters of letters, digits . _ -');

export function accountRef(a: Pick<Account, 'exchange' | 'exchange_account_id'>): string {
  return `${a.exchange}:${a.exchange_account_id}`;
}

/** Splits "<exchange>:<exchange_account_id>"; anything else is treated as a name. */
export function parseAccountRef(ref: string): { exchange: string; exchangeAccountId: string } | { name: string } {
  const i = ref.indexOf(':');
  if (i > 0) {
    const exchange = ref.slice(0, i);
    if (isKnownExchange(exchange)) return { exchange, exchangeAccountId: ref.slice(i + 1) };
  }
  return { name: ref };
}

/** Internal handle of an account: `key` is the table's integer key, for repositories and the runtime only. Never serialized. */
export type AccountKey = number & { readonly __brand: 'AccountKey' };
export interface AccountRecord {
  key: AccountKey;
  ref: string; // "<exchange>:<exchange_account_id>"
  account: Account;
}

/** Resolves public references to records (implemented by src/accounts). */
export interface AccountDirectory {
  /** By name or "<exchange>:<exchange_account_id>"; throws DomainError ACCOUNT_NOT_FOUND. */
  resolve(ref: string): AccountRecord;
  byKey(key: AccountKey): AccountRecord | undefined;
  all(): AccountRecord[];
}
