import { ACCOUNT_MODES, isKnownExchange, knownExchanges, accountNameSchema, exchangeAccountIdSchema, riskLimitsSchema } from '../../domain/account.ts';
import type { AccountMode, ExchangeId, RiskLimits } from '../../domain/account.ts';
import type { AccountDetail, AccountInput, AccountPatch, CredentialField, CredentialsInput } from '../../services/ports.ts';
import { FormProblems, checkbox, optionalText, type FormFields } from '../forms.ts';

/** Form <-> service conversions for the account, limits and credentials forms (field names: CONTRACT.md "HTTP"). */

export interface AccountFormValues {
  name: string;
  exchange: string;
  exchange_account_id: string;
  parent: string;
  mode: string;
  enabled: boolean;
  require_confirmation: boolean;
  initial_balances: string;
}

export function accountFormValues(f: FormFields): AccountFormValues {
  return {
    name: f['name'] ?? '',
    exchange: f['exchange'] ?? '',
    exchange_account_id: f['exchange_account_id'] ?? '',
    parent: f['parent'] ?? '',
    mode: f['mode'] ?? '',
    enabled: checkbox(f['enabled']),
    require_confirmation: checkbox(f['require_confirmation']),
    initial_balances: f['initial_balances'] ?? '',
  };
}

export function accountFormValuesOf(a: AccountDetail): AccountFormValues {
  return {
    name: a.name,
    exchange: a.exchange,
    exchange_account_id: a.exchange_account_id,
    parent: a.parent ?? '',
    mode: a.mode,
    enabled: a.enabled,
    require_confirmation: a.require_confirmation === true,
    initial_balances: '',
  };
}

function checkSchema(p: FormProblems, field: string, value: string | undefined, schema: typeof accountNameSchema): void {
  if (value === undefined) return p.add(field, 'is required');
  const r = schema.safeParse(value);
  if (!r.success) p.add(field, r.error.issues[0]?.message ?? 'is not valid');
}

/** "USD=10000, BTC=0.5" -> {USD: "10000", BTC: "0.5"} (paper accounts' starting balances). */
function parseBalances(p: FormProblems, text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\s]+/).filter((s) => s !== '')) {
    const m = /^([A-Za-z0-9]{1,12})=(\d{1,20}(?:\.\d{1,18})?)$/.exec(part);
    if (!m) {
      p.add('initial_balances', `"${part}" is not CURRENCY=AMOUNT (e.g. USD=10000, BTC=0.5)`);
      return undefined;
    }
    out[(m[1] ?? '').toUpperCase()] = m[2] ?? '0';
  }
  return out;
}

/** The create form as an AccountInput, or INVALID_ARGUMENT naming every bad field. */
export function accountInputFromForm(f: FormFields): AccountInput {
  const p = new FormProblems();
  const name = optionalText(f['name']);
  const exchange = optionalText(f['exchange']);
  const exchangeAccountId = optionalText(f['exchange_account_id']);
  const mode = optionalText(f['mode']);
  checkSchema(p, 'name', name, accountNameSchema);
  if (exchange === undefined) p.add('exchange', 'is required');
  else if (!isKnownExchange(exchange)) p.add('exchange', `must be one of ${knownExchanges().join(', ')}`);
  checkSchema(p, 'exchange_account_id', exchangeAccountId, exchangeAccountIdSchema);
  if (mode !== undefined && !(ACCOUNT_MODES as readonly string[]).includes(mode)) p.add('mode', `must be one of ${ACCOUNT_MODES.join(', ')}`);
  const balances = parseBalances(p, optionalText(f['initial_balances']));
  if (balances && exchange !== 'paper') p.add('initial_balances', 'starting balances are only for paper accounts');
  p.throwIfAny();
  const input: AccountInput = {
    name: name ?? '',
    exchange: exchange as ExchangeId,
    exchange_account_id: exchangeAccountId ?? '',
    enabled: checkbox(f['enabled']),
  };
  const parent = optionalText(f['parent']);
  if (parent !== undefined) input.parent = parent;
  if (mode !== undefined) input.mode = mode as AccountMode;
  if (balances !== undefined) input.initial_balances = balances;
  return input;
}

/** The edit form as a patch holding only what changed (so the audit row says what changed). */
export function accountPatchFromForm(f: FormFields, current: AccountDetail): AccountPatch {
  const p = new FormProblems();
  const name = optionalText(f['name']);
  const exchangeAccountId = optionalText(f['exchange_account_id']);
  const mode = optionalText(f['mode']);
  checkSchema(p, 'name', name, accountNameSchema);
  checkSchema(p, 'exchange_account_id', exchangeAccountId, exchangeAccountIdSchema);
  if (mode !== undefined && !(ACCOUNT_MODES as readonly string[]).includes(mode)) p.add('mode', `must be one of ${ACCOUNT_MODES.join(', ')}`);
  const parent = optionalText(f['parent']);
  // The exchange is part of the account's reference: a script that posts another one is refused, not ignored.
  const exchange = optionalText(f['exchange']);
  if (exchange !== undefined && exchange !== current.exchange)
    p.add('exchange', `cannot be changed (this account is on ${current.exchange}); add a new account on ${exchange} instead`);
  p.throwIfAny();
  const patch: AccountPatch = {};
  if (name !== undefined && name !== current.name) patch.name = name;
  if (exchangeAccountId !== undefined && exchangeAccountId !== current.exchange_account_id) patch.exchange_account_id = exchangeAccountId;
  if (parent !== current.parent) patch.parent = parent ?? ''; // "" removes the parent
  if (mode !== undefined && mode !== current.mode) patch.mode = mode as AccountMode;
  const enabled = checkbox(f['enabled']);
  if (enabled !== current.enabled) patch.enabled = enabled;
  const confirm = checkbox(f['require_confirmation']);
  if (confirm !== (current.require_confirmation === true)) patch.require_confirmation = confirm;
  return patch;
}

export interface LimitsFormValues {
  max_order_value: string;
  max_open_orders: string;
  daily_notional: string;
  allowed_markets: string;
  kill_switch: boolean;
}

export function limitsFormValues(f: FormFields): LimitsFormValues {
  return {
    max_order_value: f['max_order_value'] ?? '',
    max_open_orders: f['max_open_orders'] ?? '',
    daily_notional: f['daily_notional'] ?? '',
    allowed_markets: f['allowed_markets'] ?? '',
    kill_switch: checkbox(f['kill_switch']),
  };
}

export function limitsFormValuesOf(l: RiskLimits): LimitsFormValues {
  return {
    max_order_value: l.max_order_value ?? '',
    max_open_orders: l.max_open_orders === undefined ? '' : String(l.max_open_orders),
    daily_notional: l.daily_notional ?? '',
    allowed_markets: (l.allowed_markets ?? []).join(', '),
    kill_switch: l.kill_switch === true,
  };
}

/** The risk-limits form; an empty field means "no cap". */
export function limitsFromForm(f: FormFields): RiskLimits {
  const p = new FormProblems();
  const raw: Record<string, unknown> = {};
  const mov = optionalText(f['max_order_value']);
  if (mov !== undefined) raw['max_order_value'] = mov;
  const moo = optionalText(f['max_open_orders']);
  if (moo !== undefined) {
    if (/^\d{1,7}$/.test(moo)) raw['max_open_orders'] = Number(moo);
    else p.add('max_open_orders', 'must be a whole number from 0 to 1000000');
  }
  const dn = optionalText(f['daily_notional']);
  if (dn !== undefined) raw['daily_notional'] = dn;
  const markets = optionalText(f['allowed_markets']);
  if (markets !== undefined) raw['allowed_markets'] = markets.split(/[,\s]+/).filter((m) => m !== '').map((m) => m.toLowerCase());
  raw['kill_switch'] = checkbox(f['kill_switch']);
  const parsed = riskLimitsSchema.safeParse(raw);
  if (!parsed.success) for (const i of parsed.error.issues) p.add(String(i.path[0] ?? 'limits'), i.message);
  p.throwIfAny();
  return parsed.success ? parsed.data : {};
}

/** Credentials form: both fields required; values are never echoed back to any page. */
/** The credentials form: one write-only input per field the exchange requires (ccxt's requiredCredentials). */
const CREDENTIAL_INPUTS: Record<CredentialField, { label: string; secret: boolean; max: number }> = {
  api_key: { label: 'API key', secret: false, max: 256 },
  api_secret: { label: 'API secret', secret: true, max: 512 },
  api_password: { label: 'API passphrase', secret: true, max: 512 },
  api_uid: { label: 'User id (uid)', secret: false, max: 256 },
};

/** The inputs of the credentials page: never a value (write-only). */
export function credentialInputs(fields: readonly CredentialField[]): Array<{ name: CredentialField; label: string; type: string; autocomplete: string }> {
  return fields.map((name) => {
    const i = CREDENTIAL_INPUTS[name];
    return { name, label: i.label, type: i.secret ? 'password' : 'text', autocomplete: i.secret ? 'new-password' : 'off' };
  });
}

export function credentialsFromForm(f: FormFields, fields: readonly CredentialField[] = ['api_key', 'api_secret']): CredentialsInput {
  const p = new FormProblems();
  const out: Partial<Record<CredentialField, string>> = {};
  for (const name of new Set<CredentialField>(['api_key', 'api_secret', ...fields])) {
    const v = optionalText(f[name]);
    if (v === undefined) p.add(name, 'is required');
    else if (v.length > CREDENTIAL_INPUTS[name].max) p.add(name, `must be at most ${CREDENTIAL_INPUTS[name].max} characters`);
    else out[name] = v;
  }
  p.throwIfAny();
  return { ...out, api_key: out.api_key ?? '', api_secret: out.api_secret ?? '' };
}
