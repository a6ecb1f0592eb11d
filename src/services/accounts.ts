import type { Statement } from 'better-sqlite3';
import { z } from 'zod';
import { AccountRepository, type AccountFieldChanges } from '../accounts/repository.ts';
import { accountInputSchema, accountPatchSchema, checkExchangeAccountId, checkModeForExchange, defaultMode, parseOrThrow } from '../accounts/rules.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import { apiKeySchema, apiSecretSchema, type CredentialVault } from '../credentials/vault.ts';
import { apiKeyHint } from '../credentials/signer.ts';
import type { Db } from '../db/connection.ts';
import { storeFaultsOf } from '../db/store-faults.ts';
import { exchangeIdSchema, type Account, type AccountKey, type AccountRecord, type ExchangeId, type RiskLimits, riskLimitsSchema } from '../domain/account.ts';
import { type Clock, isoAt } from '../domain/clock.ts';
import { DomainError } from '../domain/errors.ts';
import type { PaperSimulation } from '../domain/paper-simulation.ts';
import { checkKeyOwner, type KeyOwnerLookup } from './credentials-check.ts';
import type { AccountDetail, AccountInput, AccountPatch, AccountsService, Actor, CredentialFields, CredentialsCheck, CredentialsInput } from './ports.ts';

export interface AccountsServiceDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  vault: CredentialVault;
  /** Open (non-terminal) orders of an account, from the orders side. */
  openOrderCount: (key: AccountKey) => number;
  /**
   * Called for every new account on the `paper` exchange (mode paper or backtest: see
   * record.account.mode) with its starting balances, inside the creating transaction: synchronous
   * db writes join it, and a throw rolls the account back. This is how the paper exchange is funded.
   */
  onPaperAccountCreated?: (record: AccountRecord, balances: Record<string, string>, simulation?: PaperSimulation) => void;
  /** Called inside the removing transaction, before the row goes (e.g. to drop paper exchange state). */
  onAccountRemoved?: (record: AccountRecord) => void;
  /**
   * Called AFTER commit when something that decides whether the account's exchange connection should
   * run has changed (credentials set, enabled, disabled), so the runtime can start or stop it.
   */
  onConnectionSettingsChanged?: (record: AccountRecord) => void;
  /** Called AFTER commit when an account was created (e.g. to take its first balance snapshot). */
  onAccountCreated?: (record: AccountRecord) => void;
  /**
   * The exchange's user id of a key (Bitstamp: `websockets_token/`, one signed read-only call), per
   * exchange; throws a DomainError when the exchange cannot say. Absent: keys are stored unverified.
   */
  verifyCredentials?: Partial<Record<ExchangeId, KeyOwnerLookup>>;
  /** Defaults to a repository over `db`. */
  repository?: AccountRepository;
  /** Credentials per exchange beyond key and secret (the ccxt exchanges' requiredCredentials). */
  credentialFieldsOf?: (exchange: ExchangeId) => CredentialFields | undefined;
}

const listFilterSchema = z
  .object({
    exchange: exchangeIdSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
// api_password / api_uid: what some ccxt exchanges require besides key and secret (requiredCredentials).
const credentialsInputSchema = z
  .object({ api_key: apiKeySchema, api_secret: apiSecretSchema, api_password: apiSecretSchema.optional(), api_uid: apiKeySchema.optional() })
  .strict();

const KILL_SWITCH_KEY = 'kill_switch';
type Change = { from: unknown; to: unknown };

/**
 * Account registry use cases for the dashboard and the CLI. Every change commits together with an
 * audit row describing it (old → new values; for credentials only a hint of the key id).
 * Accounts with any order history cannot be removed (orders, fills and the audit trail refer to
 * them): they are refused with a message suggesting `disable`.
 */
export class AccountsServiceImpl implements AccountsService {
  readonly repository: AccountRepository;
  private killSwitchStatement: Statement | undefined;

  constructor(private readonly deps: AccountsServiceDeps) {
    this.repository = deps.repository ?? new AccountRepository(deps.db);
  }

  list(filter: { exchange?: string; enabled?: boolean } = {}): Account[] {
    const f = parseOrThrow(listFilterSchema, filter);
    return this.repository
      .all()
      .map((r) => r.account)
      .filter((a) => (f.exchange === undefined || a.exchange === f.exchange) && (f.enabled === undefined || a.enabled === f.enabled));
  }

  get(ref: string): AccountDetail {
    const rec = this.repository.resolve(ref);
    const detail: AccountDetail = { ...rec.account, has_credentials: false };
    const info = this.deps.vault.info(rec.key);
    if (info) {
      detail.has_credentials = true;
      detail.credentials_set_at = info.setAt;
      detail.api_key_hint = info.apiKeyHint;
    }
    const lastBalanceAt = this.repository.lastBalanceAt(rec.key);
    if (lastBalanceAt !== undefined) detail.last_balance_at = lastBalanceAt;
    return detail;
  }

  /**
   * Every account as AccountDetail (what get() answers for one), in a constant number of queries:
   * pages and tools listing all accounts must not read per account.
   */
  listDetails(filter: { exchange?: string; enabled?: boolean } = {}): AccountDetail[] {
    const f = parseOrThrow(listFilterSchema, filter);
    return this.repository.allWithDetails(f).map(({ record, credentialsApiKey, credentialsSetAt, lastBalanceAt }) => {
      // The record is this call's own fresh object: extend it instead of copying it.
      const detail = record.account as AccountDetail;
      detail.has_credentials = credentialsApiKey !== undefined;
      if (credentialsApiKey !== undefined) {
        if (credentialsSetAt !== undefined) detail.credentials_set_at = credentialsSetAt;
        detail.api_key_hint = apiKeyHint(credentialsApiKey);
      }
      if (lastBalanceAt !== undefined) detail.last_balance_at = lastBalanceAt;
      return detail;
    });
  }

  credentialFields(ref: string): CredentialFields {
    const { exchange } = this.repository.resolve(ref).account;
    if (exchange === 'paper') return { fields: [], unsupported: [] };
    return this.deps.credentialFieldsOf?.(exchange) ?? { fields: ['api_key', 'api_secret'], unsupported: [] };
  }

  create(input: AccountInput, actor: Actor): Account {
    const v = parseOrThrow(accountInputSchema, input);
    const mode = v.mode ?? defaultMode(v.exchange);
    checkModeForExchange(v.exchange, mode);
    if (v.initial_balances !== undefined && v.exchange !== 'paper')
      throw invalid('initial_balances', `initial balances are only for paper accounts; ${v.exchange} balances come from the exchange`);
    if (v.rules_from !== undefined && v.exchange !== 'paper')
      throw invalid('rules_from', `rules_from is only for paper accounts; ${v.exchange} accounts follow ${v.exchange}'s own rules`);
    if (v.simulation !== undefined && v.exchange !== 'paper')
      throw invalid('simulation', `simulation settings are only for paper accounts; ${v.exchange} fills come from the exchange`);
    const created: { rec?: AccountRecord } = {};
    const account = this.tx(() => {
      this.assertNameFree(v.name);
      this.assertRefFree(v.exchange, v.exchange_account_id);
      const parent = v.parent ? this.resolveParent(v.parent, v.exchange) : undefined;
      const limits = v.limits ?? {};
      const rec = this.repository.insert(
        { name: v.name, exchange: v.exchange, exchange_account_id: v.exchange_account_id, mode, enabled: v.enabled ?? true, limits, ...(parent && { parentKey: parent.key }), ...(v.require_confirmation && { require_confirmation: true }), ...(v.rules_from !== undefined && v.rules_from !== 'bitstamp' && { rules_from: v.rules_from }) },
        this.now(),
      );
      const { created_at: _c, updated_at: _u, ...fields } = rec.account;
      this.deps.audit.append({
        actor,
        action: 'account.create',
        subject: rec.ref,
        payload: { ...fields, ...(v.initial_balances && { initial_balances: v.initial_balances }), ...(v.simulation && { simulation: v.simulation }) },
      });
      if (rec.account.exchange === 'paper') this.deps.onPaperAccountCreated?.(rec, v.initial_balances ?? {}, v.simulation);
      created.rec = rec;
      return rec.account;
    });
    if (created.rec) this.deps.onAccountCreated?.(created.rec);
    return account;
  }

  update(ref: string, patch: AccountPatch, actor: Actor): Account {
    const p = parseOrThrow(accountPatchSchema, patch);
    return this.tx(() => {
      const rec = this.repository.resolve(ref);
      const a = rec.account;
      const changes: AccountFieldChanges = {};
      const diff: Record<string, Change> = {};
      if (p.name !== undefined && p.name !== a.name) {
        this.assertNameFree(p.name, rec.key);
        changes.name = p.name;
        diff.name = { from: a.name, to: p.name };
      }
      if (p.exchange_account_id !== undefined && p.exchange_account_id !== a.exchange_account_id) {
        // The reference names the account on the exchange: history, open orders and the paper
        // simulator's state (keyed by reference) would silently move to another exchange account.
        if (a.exchange === 'paper')
          throw invalid('exchange_account_id', `the simulator's state of ${rec.ref} is kept under its reference, which cannot change; create a new paper account instead`);
        checkExchangeAccountId(a.exchange, p.exchange_account_id);
        this.assertRefFree(a.exchange, p.exchange_account_id);
        const open = this.deps.openOrderCount(rec.key);
        if (open > 0)
          throw invalid('exchange_account_id', `account ${rec.ref} has ${open} open orders; cancel them before changing its exchange_account_id`);
        if (this.repository.hasOrderHistory(rec.key))
          throw invalid('exchange_account_id', `account ${rec.ref} has order history; its exchange_account_id cannot change (create a new account instead)`);
        changes.exchange_account_id = p.exchange_account_id;
        diff.exchange_account_id = { from: a.exchange_account_id, to: p.exchange_account_id };
      }
      if (p.parent !== undefined) {
        const parent = p.parent === null ? null : this.resolveParent(p.parent, a.exchange, rec.key);
        const newRef = parent?.ref;
        if (newRef !== a.parent) {
          changes.parentKey = parent ? parent.key : null;
          diff.parent = { from: a.parent ?? null, to: newRef ?? null };
        }
      }
      if (p.mode !== undefined && p.mode !== a.mode) {
        checkModeForExchange(a.exchange, p.mode);
        changes.mode = p.mode;
        diff.mode = { from: a.mode, to: p.mode };
      }
      if (p.enabled !== undefined && p.enabled !== a.enabled) {
        changes.enabled = p.enabled;
        diff.enabled = { from: a.enabled, to: p.enabled };
      }
      if (p.limits !== undefined && canonicalJson(p.limits) !== canonicalJson(a.limits)) {
        changes.limits = p.limits;
        diff.limits = { from: a.limits, to: p.limits };
      }
      if (p.require_confirmation !== undefined && p.require_confirmation !== (a.require_confirmation ?? false)) {
        changes.require_confirmation = p.require_confirmation;
        diff.require_confirmation = { from: a.require_confirmation ?? false, to: p.require_confirmation };
      }
      if (Object.keys(diff).length === 0) return a; // nothing changed: no write, no audit row
      const updated = this.repository.update(rec.key, changes, this.now());
      this.deps.audit.append({ actor, action: 'account.update', subject: rec.ref, payload: { changes: diff } });
      return updated.account;
    });
  }

  setEnabled(ref: string, enabled: boolean, actor: Actor): Account {
    let changed: AccountRecord | undefined;
    const account = this.tx(() => {
      const rec = this.repository.resolve(ref);
      if (rec.account.enabled === enabled) return rec.account;
      const updated = this.repository.update(rec.key, { enabled }, this.now());
      this.deps.audit.append({
        actor,
        action: enabled ? 'account.enable' : 'account.disable',
        subject: rec.ref,
        payload: { changes: { enabled: { from: rec.account.enabled, to: enabled } } },
      });
      changed = updated;
      return updated.account;
    });
    if (changed) this.deps.onConnectionSettingsChanged?.(changed);
    return account;
  }

  setLimits(ref: string, limits: RiskLimits, actor: Actor): Account {
    const valid = parseOrThrow(riskLimitsSchema, limits);
    return this.tx(() => {
      const rec = this.repository.resolve(ref);
      if (canonicalJson(valid) === canonicalJson(rec.account.limits)) return rec.account;
      const updated = this.repository.update(rec.key, { limits: valid }, this.now());
      this.deps.audit.append({
        actor,
        action: 'account.limits',
        subject: rec.ref,
        payload: { changes: { limits: { from: rec.account.limits, to: valid } } },
      });
      return updated.account;
    });
  }

  remove(ref: string, actor: Actor): void {
    this.tx(() => {
      const rec = this.repository.resolve(ref);
      const label = `account ${rec.account.name} (${rec.ref})`;
      const open = this.deps.openOrderCount(rec.key);
      if (open > 0) throw invalid('account', `${label} has ${open} open orders; cancel them first`);
      const children = this.repository.children(rec.key);
      if (children.length > 0)
        throw invalid('account', `${label} is the parent of ${children.map((c) => c.ref).join(', ')}; remove them or change their parent first`);
      if (this.repository.hasOrderHistory(rec.key))
        throw invalid('account', `${label} has order history that fills and the audit trail refer to, so it cannot be removed; disable it instead`);
      const hadCredentials = this.deps.vault.remove(rec.key);
      this.deps.onAccountRemoved?.(rec);
      this.repository.delete(rec.key);
      const { created_at: _c, updated_at: _u, ...fields } = rec.account;
      this.deps.audit.append({ actor, action: 'account.remove', subject: rec.ref, payload: { ...fields, credentials_removed: hadCredentials } });
    });
  }

  setCredentials(ref: string, creds: CredentialsInput, actor: Actor): void {
    this.storeCredentials(ref, parseOrThrow(credentialsInputSchema, creds), actor);
  }

  async setCredentialsChecked(ref: string, creds: CredentialsInput, actor: Actor): Promise<CredentialsCheck> {
    const c = parseOrThrow(credentialsInputSchema, creds);
    const rec = this.repository.resolve(ref);
    if (rec.account.exchange === 'paper') return this.storeCredentials(ref, c, actor); // refused there
    const check = await checkKeyOwner(rec, c, this.deps.verifyCredentials?.[rec.account.exchange]);
    return this.storeCredentials(ref, c, actor, check, rec.account.exchange_account_id);
  }

  /** `verifiedFor`: the exchange_account_id the check was made against; it must not have changed meanwhile. */
  private storeCredentials(
    ref: string,
    c: { api_key: string; api_secret: string; api_password?: string | undefined; api_uid?: string | undefined },
    actor: Actor,
    check: CredentialsCheck = { verified: false, message: 'not verified: stored without asking the exchange' },
    verifiedFor?: string,
  ): CredentialsCheck {
    const rec = this.tx(() => {
      const rec = this.repository.resolve(ref);
      if (rec.account.exchange === 'paper')
        throw invalid('api_key', `${rec.ref} is a paper account: it trades against the simulator and takes no API credentials`);
      if (verifiedFor !== undefined && verifiedFor !== rec.account.exchange_account_id)
        throw invalid('api_key', `the exchange_account_id of ${rec.ref} changed while the key was checked; set the credentials again`);
      const replaced = this.deps.vault.has(rec.key);
      const extra = { ...(c.api_password !== undefined ? { password: c.api_password } : {}), ...(c.api_uid !== undefined ? { uid: c.api_uid } : {}) };
      this.deps.vault.set(rec.key, { apiKey: c.api_key, apiSecret: c.api_secret, ...(Object.keys(extra).length > 0 ? { extra } : {}) });
      const hint = apiKeyHint(c.api_key);
      this.deps.audit.append({
        actor,
        action: 'account.credentials.set',
        subject: rec.ref,
        payload: {
          change: replaced ? `api key replaced, hint ${hint}` : `api key set, hint ${hint}`,
          api_key_hint: hint,
          replaced,
          ...(verifiedFor !== undefined && { check: check.message }),
        },
      });
      return rec;
    });
    this.deps.onConnectionSettingsChanged?.(rec);
    return check;
  }

  forgetCredentials(ref: string | undefined, actor: Actor): string[] {
    const forgotten = this.tx(() => {
      const records = ref === undefined ? this.repository.all() : [this.repository.resolve(ref)];
      const had = records.filter((r) => this.deps.vault.remove(r.key));
      for (const r of had)
        this.deps.audit.append({ actor, action: 'account.credentials.forgotten', subject: r.ref, payload: { change: 'stored API credentials deleted unread; set them again' } });
      return had;
    });
    for (const r of forgotten) this.deps.onConnectionSettingsChanged?.(r);
    return forgotten.map((r) => r.ref);
  }

  setGlobalKillSwitch(on: boolean, actor: Actor): void {
    this.tx(() => {
      const was = this.storedKillSwitch();
      if (was === on) return;
      this.deps.db
        .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
        .run(KILL_SWITCH_KEY, on ? '1' : '0');
      this.deps.audit.append({ actor, action: on ? 'kill_switch.on' : 'kill_switch.off', subject: 'global', payload: { changes: { kill_switch: { from: was, to: on } } } });
    });
  }

  /** On when an operator turned it on, or while the store is damaged (db/store-faults.ts: trading halted). */
  globalKillSwitch(): boolean {
    return this.storedKillSwitch() || storeFaultsOf(this.deps.db).haltReason() !== undefined;
  }

  private storedKillSwitch(): boolean {
    // Read on every order and every accounts page: prepared once.
    this.killSwitchStatement ??= this.deps.db.prepare('SELECT value FROM settings WHERE key = ?');
    const row = this.killSwitchStatement.get(KILL_SWITCH_KEY) as { value: string } | undefined;
    return row?.value === '1';
  }

  private tx<T>(fn: () => T): T {
    try {
      return this.deps.db.transaction(fn)();
    } catch (e) {
      throw storeFaultsOf(this.deps.db).note(e, 'changes') ?? mapConstraintError(e);
    }
  }

  private now(): string {
    return isoAt(this.deps.clock.now());
  }

  private assertNameFree(name: string, self?: AccountKey): void {
    const other = this.repository.findByNameIgnoringCase(name);
    if (other && other.key !== self) throw invalid('name', `an account named ${other.account.name} already exists; names are unique (ignoring case)`);
  }

  private assertRefFree(exchange: ExchangeId, exchangeAccountId: string): void {
    const other = this.repository.find(`${exchange}:${exchangeAccountId}`);
    if (other) throw invalid('exchange_account_id', `an account for ${other.ref} already exists (named ${other.account.name})`);
  }

  /** The parent must exist, be on the same exchange, and not be the account itself or one of its subaccounts. */
  private resolveParent(ref: string, exchange: ExchangeId, self?: AccountKey): AccountRecord {
    const parent = this.repository.find(ref);
    if (!parent) throw invalid('parent', `parent account "${ref.slice(0, 100)}" does not exist`);
    if (parent.account.exchange !== exchange)
      throw invalid('parent', `parent ${parent.ref} is on exchange ${parent.account.exchange}; a subaccount must be on the same exchange (${exchange})`);
    if (self !== undefined && parent.key === self) throw invalid('parent', 'an account cannot be its own parent');
    if (self !== undefined && this.repository.ancestors(parent.key).includes(self))
      throw invalid('parent', `${parent.ref} is a subaccount of this account; making it the parent would create a cycle`);
    return parent;
  }
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message, { fields: [field] });
}

/** A concurrent writer (e.g. the CLI beside a running server) can still hit a UNIQUE constraint. */
function mapConstraintError(e: unknown): unknown {
  if (e instanceof Error && (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
    const field = /accounts\.name/.test(e.message) ? 'name' : 'exchange_account_id';
    return invalid(field, field === 'name' ? 'an account with this name already exists' : 'an account with this exchange_account_id already exists on that exchange');
  }
  return e;
}

export const DEFAULT_PAPER_ACCOUNT: AccountInput = {
  name: 'paper',
  exchange: 'paper',
  exchange_account_id: 'paper',
  mode: 'paper',
  initial_balances: { USD: '100000', BTC: '2', ETH: '20', EUR: '100000' },
};

/** First start: a ready paper account when no account exists at all. Returns it if created. */
export function ensureDefaultPaperAccount(service: AccountsService, actor: Actor): Account | undefined {
  if (service.list().length > 0) return undefined;
  try {
    return service.create(DEFAULT_PAPER_ACCOUNT, actor);
  } catch (e) {
    if (service.list().length > 0) return undefined; // another process created accounts meanwhile
    throw e;
  }
}
