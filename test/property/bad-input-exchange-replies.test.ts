/**
 * Exchange replies are hostile input too. Valid Bitstamp reply shapes are mutated (fields dropped,
 * replaced by wrong types, huge or negative numbers, NaN-ish strings, unicode, nested junk) and fed
 * to every parser of src/exchanges/bitstamp/parse.ts. Each call must either return a well-formed
 * value (canonical decimal strings, no NaN/Infinity) or throw a DomainError with the code of its
 * call kind (reads: EXCHANGE_UNAVAILABLE, writes: OUTCOME_UNKNOWN) — never a TypeError or a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DomainError } from '../../src/domain/errors.ts';
import {
  balanceSchema,
  cancelAllSchema,
  cancelReplySchema,
  feeSchema,
  openOrderSchema,
  orderAckSchema,
  orderStatusSchema,
  parseReply,
  toBalanceReport,
  toFeeReport,
  toOpenOrderReport,
  toOrderStatusReport,
  userTransactionSchema,
  userTransactionToFill,
  wsTokenSchema,
} from '../../src/exchanges/bitstamp/parse.ts';

const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 300);
const NOW = '2026-01-01T00:00:00.000Z';

const VALID: Record<string, Record<string, unknown>> = {
  balance: { currency: 'usd', total: '100.00', available: '90.00', reserved: '10.00' },
  fee: { market: 'btcusd', currency_pair: 'BTC/USD', fees: { maker: '0.15', taker: '0.25' } },
  ack: { id: '1700000001', datetime: '2026-01-01 00:00:00.000000', type: '0', price: '60000', amount: '0.01', client_order_id: 'abc', market: 'BTC/USD' },
  cancel: { id: 1700000001, amount: 0.01, price: 60000, type: 0 },
  cancelAll: { canceled: [{ id: 1700000001, amount: 0.01, price: 60000, type: 0 }], success: true },
  open: { id: '1700000001', datetime: '2026-01-01 00:00:00', type: '1', price: '61000', amount: '0.005', amount_at_create: '0.01', market: 'BTC/USD', client_order_id: 'abc' },
  status: {
    id: 1700000001,
    datetime: '2026-01-01 00:00:00',
    type: '0',
    status: 'Finished',
    market: 'BTC/USD',
    amount_remaining: '0',
    client_order_id: 'abc',
    transactions: [{ tid: 300000001, price: '60000', fee: '1.2', datetime: '2026-01-01 00:00:01', type: 2, btc: '0.01', usd: '600' }],
  },
  userTx: { id: 300000001, datetime: '2026-01-01 00:00:01', type: '2', fee: '1.2', order_id: 1700000001, btc: '-0.01', usd: '600', btc_usd: '60000' },
  wsToken: { token: 'tok', user_id: '100001', valid_sec: 60 },
};

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, true, false, '', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x10', '1,5', '١٢٣', '１２３', '12\u200b3', '💥', '\u0000', 'null', '[]', '{}'),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e21, 1e-21, NaN, Infinity),
  fc.constantFrom('9'.repeat(400), `0.${'0'.repeat(300)}1`, `-${'9'.repeat(60)}`, '1e-400', '1E+400'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.double(),
  fc.bigInt().map((b) => b.toString()),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.anything({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** A valid reply with up to three mutations: drop a key, replace a value (also nested), or add junk. */
function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(base);
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...keys) }),
    fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...keys), value: weird }),
    fc.record({ op: fc.constant('nested' as const), key: fc.constantFrom(...keys), value: weird }),
    fc.record({ op: fc.constant('add' as const), key: fc.string({ maxLength: 10 }), value: weird }),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
      const copy = structuredClone(base);
      for (const m of ms) {
        if (m.op === 'drop') delete copy[m.key];
        else if (m.op === 'nested') {
          const inner = copy[m.key];
          if (Array.isArray(inner) && inner[0] && typeof inner[0] === 'object') {
            const first = inner[0] as Record<string, unknown>;
            const k = Object.keys(first)[0];
            if (k !== undefined) first[k] = m.value;
          } else if (inner && typeof inner === 'object') {
            const k = Object.keys(inner)[0];
            if (k !== undefined) (inner as Record<string, unknown>)[k] = m.value;
          } else copy[m.key] = m.value;
        } else copy[m.key] = m.value;
      }
      return copy as unknown;
    }) },
    { weight: 1, arbitrary: weird },
  );
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const DECIMAL_KEYS = new Set(['amount', 'price', 'fee', 'total', 'available', 'reserved', 'filledAmount', 'maker', 'taker']);
/** Every money field that comes out is a canonical decimal string (ids and tokens are opaque strings). */
function assertCanonical(value: unknown, where: string): void {
  if (Array.isArray(value)) return value.forEach((v) => assertCanonical(v, where));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (DECIMAL_KEYS.has(k) && v !== undefined) expect(String(v), `${k} of ${where}`).toMatch(DECIMAL);
    assertCanonical(v, where);
  }
}

/** Runs a parser; returns 'ok' or the error code; anything but a DomainError of `code` fails. */
function expectOkOrDomainError(fn: () => unknown, code: 'EXCHANGE_UNAVAILABLE' | 'OUTCOME_UNKNOWN', input: unknown): void {
  let out: unknown;
  try {
    out = fn();
  } catch (e) {
    if (!(e instanceof DomainError)) throw new Error(`not a DomainError for ${JSON.stringify(input)?.slice(0, 200)}: ${String(e)}`);
    expect(e.code, e.message).toBe(code);
    expect(e.message.length).toBeGreaterThan(10);
    expect(e.message).not.toMatch(/\n\s+at /); // no stack
    return;
  }
  assertCanonical(out, JSON.stringify(input)?.slice(0, 200) ?? '');
}

type Case = { name: string; base: Record<string, unknown>; code: 'EXCHANGE_UNAVAILABLE' | 'OUTCOME_UNKNOWN'; run: (body: unknown) => unknown };
const read = <T extends z.ZodType>(schema: T, body: unknown): z.output<T> => parseReply(schema, body, 'read', 'test/');
const write = <T extends z.ZodType>(schema: T, body: unknown): z.output<T> => parseReply(schema, body, 'write', 'test/');

const CASES: Case[] = [
  { name: 'account_balances', base: VALID.balance!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => toBalanceReport(read(balanceSchema, b)) },
  { name: 'fees/trading', base: VALID.fee!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => toFeeReport(read(feeSchema, b)) },
  { name: 'buy (order ack)', base: VALID.ack!, code: 'OUTCOME_UNKNOWN', run: (b) => { const a = write(orderAckSchema, b); return { id: a.id, price: a.price, amount: a.amount }; } },
  { name: 'cancel_order', base: VALID.cancel!, code: 'OUTCOME_UNKNOWN', run: (b) => ({ id: write(cancelReplySchema, b).id }) },
  { name: 'cancel_all_orders', base: VALID.cancelAll!, code: 'OUTCOME_UNKNOWN', run: (b) => write(cancelAllSchema, b).canceled.map((c) => c.id) },
  { name: 'open_orders', base: VALID.open!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => toOpenOrderReport(read(openOrderSchema, b), 'open_orders/', NOW) },
  { name: 'order_status', base: VALID.status!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => toOrderStatusReport(read(orderStatusSchema, b), 'order_status/', NOW) },
  { name: 'user_transactions', base: VALID.userTx!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => userTransactionToFill(read(userTransactionSchema, b), 'user_transactions/') },
  { name: 'websockets_token', base: VALID.wsToken!, code: 'EXCHANGE_UNAVAILABLE', run: (b) => { const t = read(wsTokenSchema, b); return { token: t.token, user_id: t.user_id }; } },
];

describe('Bitstamp replies: malformed input gives a DomainError, never a crash', () => {
  it('the valid samples parse (so the property below is about the mutations)', () => {
    for (const c of CASES) expect(() => c.run(c.base), c.name).not.toThrow();
  });

  for (const c of CASES) {
    it(`${c.name}: mutated replies → well-formed value or ${c.code}`, () => {
      fc.assert(
        fc.property(mutated(c.base), (body) => expectOkOrDomainError(() => c.run(body), c.code, body)),
        { numRuns: RUNS },
      );
    });
  }

  it('decimals that come out are canonical decimal strings', () => {
    fc.assert(
      fc.property(mutated(VALID.balance!), (body) => {
        try {
          const r = toBalanceReport(read(balanceSchema, body));
          for (const v of [r.total, r.available, r.reserved]) expect(v).toMatch(DECIMAL);
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
