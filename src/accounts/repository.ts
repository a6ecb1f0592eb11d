import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/connection.ts';
import {
  type Account,
  type AccountDirectory,
  type AccountKey,
  type AccountMode,
  type AccountRecord,
  type ExchangeId,
  type RiskLimits,
  accountRef,
  parseAccountRef,
  riskLimitsSchema,
} from '../domain/account.ts';
import { DomainError } from '../domain/errors.ts';
import { statement } from '../db/statements.ts';
import { parseStoredJson } from '../domain/stored-json.ts';

/** Columns of `accounts` as stored; the integer `id` is AccountKey and never leaves repositories/runtime. */
interface AccountRow {
  id: number;
  name: string;
  exchange: ExchangeId;
  exchange_account_id: string;
  parent_id: number | null;
  mode: AccountMode;
  enabled: number;
  limits_json: string;
  require_confirmation: number;
  rules_from: string | null;
  created_at: string;
  updated_at: string;
  parent_exchange: string | null;
  parent_exchange_account_id: string | null;
}

export interface NewAccountFields {
  name: string;
  exchange: ExchangeId;
  exchange_account_id: string;
  parentKey?: AccountKey;
  mode: AccountMode;
  enabled: boolean;
  limits: RiskLimits;
  require_confirmation?: boolean;
  rules_from?: ExchangeId;
}
export interface AccountFieldChanges {
  name?: string;
  exchange_account_id?: string;
  parentKey?: AccountKey | null;
  mode?: AccountMode;
  enabled?: boolean;
  limits?: RiskLimits;
  require_confirmation?: boolean;
}

/**
 * What AccountDetail shows beside the account, for one account or all of them. `credentialsApiKey`
 * is the key id (not secret; the service shows only a hint of it): the credentials ciphertext is
 * never selected here.
 */
export interface AccountDetailFacts {
  record: AccountRecord;
  credentialsApiKey?: string;
  credentialsSetAt?: string;
  lastBalanceAt?: string;
}

/**
 * Every account with its credential facts and latest balance time in ONE statement (the dashboard
 * lists all accounts on every request). The rows come back as one JSON array (json_group_array):
 * with better-sqlite3 that is about twice as fast as a row object per account, because each
 * column of each row otherwise becomes its own V8 property. The balance times are correlated MAX
 * subqueries: index lookups (balances' primary key, balance_snapshots_account_at), so the cost does
 * not grow with the balance history. Scalar MAX() is NULL if an argument is, hence the COALESCEs.
 */
const SELECT_DETAILS_JSON = `SELECT json_group_array(json_array(
    a.id, a.name, a.exchange, a.exchange_account_id, a.mode, a.enabled, a.limits_json, a.created_at, a.updated_at,
    p.exchange, p.exchange_account_id, c.api_key, c.updated_at,
    NULLIF(MAX(COALESCE((SELECT MAX(as_of) FROM balances WHERE account_id = a.id), ''),
               COALESCE((SELECT MAX(at) FROM balance_snapshots WHERE account_id = a.id), '')), ''),
    a.require_confirmation, a.rules_from
  ) ORDER BY a.name)
  FROM accounts a
  LEFT JOIN accounts p ON p.id = a.parent_id
  LEFT JOIN credentials c ON c.account_id = a.id
  WHERE (@exchange IS NULL OR a.exchange = @exchange) AND (@enabled IS NULL OR a.enabled = @enabled)`;

/** One element of SELECT_DETAILS_JSON's array, in its column order. */
type DetailTuple = [
  id: number, name: string, exchange: ExchangeId, exchange_account_id: string, mode: AccountMode, enabled: number,
  limits_json: string, created_at: string, updated_at: string, parent_exchange: string | null,
  parent_exchange_account_id: string | null, api_key: string | null, credentials_updated_at: string | null,
  last_balance_at: string | null, require_confirmation: number,
  rules_from: string | null,
];

/**
 * Limits JSON strings already validated by riskLimitsSchema (most accounts share "{}" or a few
 * variants): a hit skips the zod parse, and JSON.parse still gives each account its own object.
 * Bounded, so odd data cannot grow it without limit.
 */
const VALID_LIMITS = new Map<string, boolean>();
const VALID_LIMITS_MAX = 1024;

function limitsOf(json: string): RiskLimits {
  const known = VALID_LIMITS.get(json);
  if (known === true) return JSON.parse(json) as RiskLimits;
  if (known === false) return {};
  // Not JSON at all counts as invalid (a hit must be safe to JSON.parse), read as no limits.
  const parsed = riskLimitsSchema.safeParse(parseStoredJson(json));
  if (VALID_LIMITS.size >= VALID_LIMITS_MAX) VALID_LIMITS.clear();
  VALID_LIMITS.set(json, parsed.success);
  return parsed.success ? parsed.data : {};
}

function detailFactsOf(t: DetailTuple): AccountDetailFacts {
  const [id, name, exchange, exchangeAccountId, mode, enabled, limitsJson, createdAt, updatedAt, parentExchange, parentId, apiKey, credentialsAt, lastBalanceAt, confirm, rulesFrom] = t;
  const account: Account = {
    name,
    exchange,
    exchange_account_id: exchangeAccountId,
    mode,
    enabled: enabled === 1,
    created_at: createdAt,
    updated_at: updatedAt,
    limits: limitsOf(limitsJson),
  };
  if (confirm === 1) account.require_confirmation = true;
  if (rulesFrom !== null) account.rules_from = rulesFrom;
  if (parentExchange !== null && parentId !== null) account.parent = `${parentExchange}:${parentId}`;
  const facts: AccountDetailFacts = { record: { key: id as AccountKey, ref: accountRef(account), account } };
  if (apiKey !== null) facts.credentialsApiKey = apiKey;
  if (credentialsAt !== null) facts.credentialsSetAt = credentialsAt;
  if (lastBalanceAt !== null) facts.lastBalanceAt = lastBalanceAt;
  return facts;
}

const SELECT = `SELECT a.*, p.exchange AS parent_exchange, p.exchange_account_id AS parent_exchange_account_id
  FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id`;

/** Every lookup (several per placed order) goes through here: limitsOf skips re-validating known limits. */
function toRecord(r: AccountRow): AccountRecord {
  const account: Account = {
    name: r.name,
    exchange: r.exchange,
    exchange_account_id: r.exchange_account_id,
    mode: r.mode,
    enabled: r.enabled === 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
    limits: limitsOf(r.limits_json),
  };
  if (r.require_confirmation === 1) account.require_confirmation = true;
  if (r.rules_from !== null) account.rules_from = r.rules_from;
  if (r.parent_exchange !== null && r.parent_exchange_account_id !== null)
    account.parent = `${r.parent_exchange}:${r.parent_exchange_account_id}`;
  return { key: r.id as AccountKey, ref: accountRef(account), account };
}


/**
 * The accounts table. Implements AccountDirectory for the runtime and services: lookups by public
 * reference (name or "<exchange>:<exchange_account_id>") or by internal key. Stateless over the db
 * (no cache), so any number of instances agree and writes are visible at once.
 */
export class AccountRepository implements AccountDirectory {
  /** Prepared once: the dashboard runs it on every page view. */
  private selectDetails: Statement | undefined;

  constructor(private readonly db: Db) {}

  /** By name or "<exchange>:<exchange_account_id>"; throws ACCOUNT_NOT_FOUND. */
  resolve(ref: string): AccountRecord {
    const found = this.find(ref);
    if (!found)
      throw new DomainError(
        'ACCOUNT_NOT_FOUND',
        `no account "${ref.slice(0, 100)}"; use an account name or "<exchange>:<exchange_account_id>" as listed by list_accounts`,
      );
    return found;
  }

  find(ref: string): AccountRecord | undefined {
    const parsed = parseAccountRef(ref);
    const row =
      'name' in parsed
        ? statement(this.db, `${SELECT} WHERE a.name = ?`).get(parsed.name)
        : statement(this.db, `${SELECT} WHERE a.exchange = ? AND a.exchange_account_id = ?`).get(parsed.exchange, parsed.exchangeAccountId);
    return row ? toRecord(row as AccountRow) : undefined;
  }

  byKey(key: AccountKey): AccountRecord | undefined {
    const row = statement(this.db, `${SELECT} WHERE a.id = ?`).get(key) as AccountRow | undefined;
    return row && toRecord(row);
  }

  all(): AccountRecord[] {
    return (statement(this.db, `${SELECT} ORDER BY a.name`).all() as AccountRow[]).map(toRecord);
  }

  /** Case-insensitive, so "Main" and "main" cannot both exist (they would be confused by people). */
  findByNameIgnoringCase(name: string): AccountRecord | undefined {
    const row = statement(this.db, `${SELECT} WHERE a.name = ? COLLATE NOCASE`).get(name) as AccountRow | undefined;
    return row && toRecord(row);
  }

  count(): number {
    return (statement(this.db, 'SELECT COUNT(*) AS n FROM accounts').get() as { n: number }).n;
  }

  insert(fields: NewAccountFields, at: string): AccountRecord {
    const info = this.db
      .prepare(
        `INSERT INTO accounts (name, exchange, exchange_account_id, parent_id, mode, enabled, limits_json, require_confirmation, rules_from, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fields.name,
        fields.exchange,
        fields.exchange_account_id,
        fields.parentKey ?? null,
        fields.mode,
        fields.enabled ? 1 : 0,
        JSON.stringify(fields.limits),
        fields.require_confirmation ? 1 : 0,
        fields.rules_from ?? null,
        at,
        at,
      );
    return this.byKey(Number(info.lastInsertRowid) as AccountKey)!;
  }

  update(key: AccountKey, changes: AccountFieldChanges, at: string): AccountRecord {
    const sets: string[] = [];
    const values: Array<string | number | null> = [];
    const put = (column: string, value: string | number | null): void => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (changes.name !== undefined) put('name', changes.name);
    if (changes.exchange_account_id !== undefined) put('exchange_account_id', changes.exchange_account_id);
    if (changes.parentKey !== undefined) put('parent_id', changes.parentKey);
    if (changes.mode !== undefined) put('mode', changes.mode);
    if (changes.enabled !== undefined) put('enabled', changes.enabled ? 1 : 0);
    if (changes.limits !== undefined) put('limits_json', JSON.stringify(changes.limits));
    if (changes.require_confirmation !== undefined) put('require_confirmation', changes.require_confirmation ? 1 : 0);
    put('updated_at', at);
    statement(this.db, `UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`).run(...values, key);
    return this.byKey(key)!;
  }

  delete(key: AccountKey): void {
    statement(this.db, 'DELETE FROM accounts WHERE id = ?').run(key);
  }

  children(key: AccountKey): AccountRecord[] {
    return (statement(this.db, `${SELECT} WHERE a.parent_id = ? ORDER BY a.name`).all(key) as AccountRow[]).map(toRecord);
  }

  /** Keys from the account's parent up to the root (bounded, in case the data is already cyclic). */
  ancestors(key: AccountKey): AccountKey[] {
    const out: AccountKey[] = [];
    let current = statement(this.db, 'SELECT parent_id FROM accounts WHERE id = ?').get(key) as { parent_id: number | null } | undefined;
    while (current?.parent_id != null && out.length < 100) {
      out.push(current.parent_id as AccountKey);
      current = statement(this.db, 'SELECT parent_id FROM accounts WHERE id = ?').get(current.parent_id) as { parent_id: number | null } | undefined;
    }
    return out;
  }

  /** Orders, fills or outbox rows reference the account (their foreign keys RESTRICT deletion). */
  hasOrderHistory(key: AccountKey): boolean {
    return (
      statement(this.db, 'SELECT 1 FROM orders WHERE account_id = ? LIMIT 1').get(key) !== undefined ||
      statement(this.db, 'SELECT 1 FROM fills WHERE account_id = ? LIMIT 1').get(key) !== undefined ||
      statement(this.db, 'SELECT 1 FROM outbox WHERE account_id = ? LIMIT 1').get(key) !== undefined
    );
  }

  /** Most recent balance time (latest balances or history snapshot), for AccountDetail.last_balance_at. */
  lastBalanceAt(key: AccountKey): string | undefined {
    const row = this.db
      .prepare(
        `SELECT MAX(at) AS at FROM (
           SELECT MAX(as_of) AS at FROM balances WHERE account_id = ?
           UNION ALL SELECT MAX(at) AS at FROM balance_snapshots WHERE account_id = ?)`,
      )
      .get(key, key) as { at: string | null };
    return row.at ?? undefined;
  }

  /**
   * All accounts (optionally of one exchange / enabled state), ordered by name, each with its
   * credential facts and latest balance time: one query whatever the number of accounts.
   */
  allWithDetails(filter: { exchange?: ExchangeId; enabled?: boolean } = {}): AccountDetailFacts[] {
    this.selectDetails ??= this.db.prepare(SELECT_DETAILS_JSON).pluck();
    const json = this.selectDetails.get({
      exchange: filter.exchange ?? null,
      enabled: filter.enabled === undefined ? null : filter.enabled ? 1 : 0,
    }) as string;
    return (JSON.parse(json) as DetailTuple[]).map(detailFactsOf);
  }
}
