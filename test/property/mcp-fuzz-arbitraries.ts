/**
 * Generators of malformed MCP tool arguments. Each starts from a VALID argument object of the tool
 * and breaks it in one way that the advertised JSON schema forbids (unknown field, wrong type, value
 * outside the enum/pattern/range, missing required field), so every generated call must fail with
 * INVALID_ARGUMENT and never reach a service.
 */
import fc from 'fast-check';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
};

/** One valid argument object per tool (accounts/markets that exist on a fresh paper-only app). */
export const VALID_ARGS: Record<string, Record<string, unknown>> = {
  list_exchanges: {},
  list_accounts: { exchange: 'paper', enabled: true },
  get_account: { account: 'paper' },
  get_balances: { account: 'paper', refresh: false },
  get_balance_history: { account: 'paper', currency: 'BTC', since: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:00Z', limit: 10 },
  get_fees: { account: 'paper', market: 'btcusd' },
  list_currencies: { exchange: 'paper' },
  list_markets: { exchange: 'paper', base: 'BTC', quote: 'USD' },
  get_market_rules: { exchange: 'paper', market: 'btcusd' },
  preview_order: { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', time_in_force: 'gtc', post_only: false, client_order_id: 'fz-1' },
  place_order: { account: 'paper', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000', time_in_force: 'gtc', post_only: false, client_order_id: 'fz-1' },
  cancel_order: { account: 'paper', client_order_id: 'fz-1' },
  cancel_all_orders: { account: 'paper', market: 'btcusd' },
  get_order: { account: 'paper', order_id: '01JABCDEF' },
  list_orders: { account: 'paper', status: 'all', market: 'btcusd', limit: 5 },
  list_fills: { account: 'paper', market: 'btcusd', since: '2026-01-01T00:00:00Z', limit: 5 },
  get_trading_status: { account: 'paper' },
  get_positions: { account: 'paper' },
  backtest_create: {
    data: { trades: [{ timestamp: '2026-01-01T00:00:00Z', price: '50000', amount: '0.1', side: 'buy' }] },
    initial_balances: { USD: '10000' },
    fees: { maker: '0.001', taker: '0.002' },
    latency_ms: 0,
    seed: 1,
    name: 'fuzz-bt',
  },
  backtest_advance: { backtest_id: 'BT1', steps: 1 },
  backtest_report: { backtest_id: 'BT1' },
};

const anyJson = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

function types(s: JsonSchema): Set<string> {
  const out = new Set<string>();
  const add = (x: JsonSchema): void => {
    if (Array.isArray(x.type)) x.type.forEach((t) => out.add(t));
    else if (x.type) out.add(x.type);
    x.anyOf?.forEach(add);
    x.oneOf?.forEach(add);
  };
  add(s);
  return out;
}

/** Values whose JSON type the schema does not allow at all. */
function wrongType(s: JsonSchema): fc.Arbitrary<unknown> {
  const allowed = types(s);
  const candidates: fc.Arbitrary<unknown>[] = [];
  if (!allowed.has('string')) candidates.push(fc.string({ maxLength: 20 }));
  if (!allowed.has('number') && !allowed.has('integer')) candidates.push(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  if (!allowed.has('boolean')) candidates.push(fc.boolean());
  if (!allowed.has('null')) candidates.push(fc.constant(null));
  if (!allowed.has('array')) candidates.push(fc.array(fc.integer(), { maxLength: 3 }));
  if (!allowed.has('object')) candidates.push(fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
  return fc.oneof(...candidates);
}

/** Values of the right JSON type that still break the schema (enum, pattern, length, range). */
function wrongValue(s: JsonSchema): fc.Arbitrary<unknown> | undefined {
  if (s.enum) {
    const allowed = new Set(s.enum);
    return fc.string({ maxLength: 12 }).filter((v) => !allowed.has(v));
  }
  if (s.type === 'string' && s.pattern) {
    const re = new RegExp(s.pattern);
    const badStrings = fc.oneof(
      fc.constantFrom('', ' ', '1e5', '-1', 'abc def', '0x10', '1.', '.5', '∞', 'NaN', '2026-13-45', 'yesterday', 'a\u0000b'),
      fc.string({ maxLength: 30 }),
    );
    return badStrings.filter((v) => !re.test(v) || v.length < (s.minLength ?? 0) || v.length > (s.maxLength ?? Infinity));
  }
  if (s.type === 'string' && (s.minLength !== undefined || s.maxLength !== undefined)) {
    const options: fc.Arbitrary<string>[] = [];
    if ((s.minLength ?? 0) > 0) options.push(fc.constant(''));
    if (s.maxLength !== undefined) options.push(fc.string({ minLength: s.maxLength + 1, maxLength: s.maxLength + 10 }));
    return options.length > 0 ? fc.oneof(...options) : undefined;
  }
  if (s.type === 'integer') {
    const options: fc.Arbitrary<number>[] = [fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x))];
    if (s.minimum !== undefined) options.push(fc.integer({ min: -1e9, max: s.minimum - 1 }));
    if (s.maximum !== undefined) options.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1e9 }));
    return fc.oneof(...options);
  }
  return undefined;
}

export type Malformed = { kind: string; args: Record<string, unknown> };

/** Arbitrary malformed argument objects for one tool, given its advertised input schema. */
export function malformedArgs(tool: string, schema: JsonSchema): fc.Arbitrary<Malformed> {
  const base = VALID_ARGS[tool];
  if (!base) throw new Error(`no valid args for ${tool}`);
  const props = schema.properties ?? {};
  const names = Object.keys(props);
  const gens: fc.Arbitrary<Malformed>[] = [
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !names.includes(k) && k !== '__proto__'), anyJson)
      .map(([k, v]) => ({ kind: `unknown field ${k}`, args: { ...base, [k]: v } })),
  ];
  if (names.length > 0) {
    gens.push(
      fc
        .constantFrom(...names)
        .chain((n) => wrongType(props[n]!).map((v) => ({ kind: `wrong type ${n}`, args: { ...base, [n]: v } }))),
    );
    const valueBreakable = names.filter((n) => wrongValue(props[n]!) !== undefined);
    if (valueBreakable.length > 0)
      gens.push(
        fc
          .constantFrom(...valueBreakable)
          .chain((n) => wrongValue(props[n]!)!.map((v) => ({ kind: `wrong value ${n}`, args: { ...base, [n]: v } }))),
      );
  }
  const required = schema.required ?? [];
  if (required.length > 0)
    gens.push(
      fc.constantFrom(...required).map((n) => {
        const args = { ...base };
        delete args[n];
        return { kind: `missing ${n}`, args };
      }),
    );
  return fc.oneof(...gens);
}
