import { z } from 'zod';
import {
  ACCOUNT_MODES,
  exchangeIdSchema,
  type AccountMode,
  type ExchangeId,
  accountNameSchema,
  exchangeAccountIdSchema,
  riskLimitsSchema,
} from '../domain/account.ts';
import { DomainError, invalidArgumentFromIssues } from '../domain/errors.ts';
import { exchangeAccountIdProblem } from '../domain/exchange-identity.ts';
import { decimalString } from '../domain/money.ts';
import { paperSimulationSchema } from '../domain/paper-simulation.ts';

/** Validation of account input from every edge (MCP never writes accounts; dashboard and CLI do). */
const name = z.string().trim().pipe(accountNameSchema);
const exchangeAccountId = z.string().trim().pipe(exchangeAccountIdSchema);
/** "" (an empty form field) or null means "no parent". */
const parentRef = z
  .union([z.string().trim().max(200, 'must be an account reference'), z.null()])
  .transform((v) => (v === null || v === '' ? null : v));
const CURRENCY_RE = /^[A-Z0-9]{2,10}$/;
/** Keys checked in a refinement: zod 4 replaces a record key schema's own message with "Invalid key in record". */
const balances = z.record(z.string(), decimalString).superRefine((rec, ctx) => {
  for (const code of Object.keys(rec))
    if (!CURRENCY_RE.test(code))
      ctx.addIssue({ code: 'custom', path: [code], message: 'currency codes are 2-10 upper-case letters or digits, e.g. USD' });
});
const exchange = exchangeIdSchema;
const mode = z.enum(ACCOUNT_MODES, { message: `must be one of ${ACCOUNT_MODES.join(', ')}` });

export const accountInputSchema = z
  .object({
    name,
    exchange,
    exchange_account_id: exchangeAccountId,
    parent: parentRef.optional(),
    mode: mode.optional(),
    enabled: z.boolean().optional(),
    limits: riskLimitsSchema.optional(),
    require_confirmation: z.boolean().optional(),
    /** Paper only: mirror this enabled live exchange's market rules (bitstamp or an EXEC_MCP_EXCHANGES id). */
    rules_from: exchange.refine((id) => id !== 'paper', 'must be a live exchange (bitstamp or one of EXEC_MCP_EXCHANGES)').optional(),
    initial_balances: balances.optional(),
    simulation: paperSimulationSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const problem = exchangeAccountIdProblem(v.exchange, v.exchange_account_id);
    if (problem) ctx.addIssue({ code: 'custom', path: ['exchange_account_id'], message: problem });
  });
export type ValidAccountInput = z.infer<typeof accountInputSchema>;

export const accountPatchSchema = z
  .object({
    name: name.optional(),
    exchange_account_id: exchangeAccountId.optional(),
    parent: parentRef.optional(),
    mode: mode.optional(),
    enabled: z.boolean().optional(),
    limits: riskLimitsSchema.optional(),
    require_confirmation: z.boolean().optional(),
  })
  .strict();
export type ValidAccountPatch = z.infer<typeof accountPatchSchema>;

export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidArgumentFromIssues(parsed.error.issues);
  return parsed.data;
}

/** Modes each exchange allows: paper exchange ⇒ simulated money only; bitstamp ⇒ real money only. */
export const MODES_BY_EXCHANGE: Record<ExchangeId, readonly AccountMode[]> = {
  bitstamp: ['live'],
  paper: ['paper', 'backtest'],
};
/** Every other (ccxt) exchange is live money only. */
const LIVE_ONLY: readonly AccountMode[] = ['live'];

function modesOf(exchangeId: ExchangeId): readonly AccountMode[] {
  return MODES_BY_EXCHANGE[exchangeId] ?? LIVE_ONLY;
}

export function defaultMode(exchangeId: ExchangeId): AccountMode {
  return modesOf(exchangeId)[0]!;
}

/** An exchange_account_id must be what that exchange calls the account (Bitstamp: the numeric user id). */
export function checkExchangeAccountId(exchangeId: ExchangeId, exchangeAccountId: string): void {
  const problem = exchangeAccountIdProblem(exchangeId, exchangeAccountId);
  if (problem) throw new DomainError('INVALID_ARGUMENT', `exchange_account_id: ${problem}`, { fields: ['exchange_account_id'] });
}

export function checkModeForExchange(exchangeId: ExchangeId, m: AccountMode): void {
  const allowed = modesOf(exchangeId);
  if (!allowed.includes(m))
    throw new DomainError('INVALID_ARGUMENT', `mode ${m} is not allowed on exchange ${exchangeId}; allowed: ${allowed.join(', ')}`, {
      fields: ['mode'],
    });
}
