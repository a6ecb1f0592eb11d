/** Error codes of the public contract (CONTRACT.md "Errors"). Mapped to MCP/HTTP once, at the edge. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_DISABLED',
  'NO_CREDENTIALS',
  'MARKET_NOT_FOUND',
  'MARKET_DISABLED',
  'PRECISION_VIOLATION',
  'BELOW_MINIMUM',
  'INSUFFICIENT_FUNDS',
  'RISK_LIMIT',
  'ORDER_NOT_FOUND',
  'ORDER_NOT_CANCELLABLE',
  'EXCHANGE_UNAVAILABLE',
  'EXCHANGE_REJECTED',
  'RATE_LIMITED',
  'OUTCOME_UNKNOWN',
  'CLIENT_ORDER_ID_CONFLICT',
  'CONFIRMATION_REQUIRED',
  'CONFIRMATION_DECLINED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface Problem {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** A typed, expected failure. Its message is safe to show a client: no secrets, no stack. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** Any thrown value as a DomainError; unknown failures become INTERNAL without leaking their text. */
export function toDomainError(e: unknown): DomainError {
  if (e instanceof DomainError) return e;
  return new DomainError('INTERNAL', 'internal error; see the server log');
}

/** Turns a zod error into INVALID_ARGUMENT naming each offending field and what is allowed. */
export function invalidArgumentFromIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): DomainError {
  const parts = issues.slice(0, 5).map((i) => {
    const field = i.path.map(String).join('.') || '(arguments)';
    return `${field}: ${i.message}`;
  });
  return new DomainError('INVALID_ARGUMENT', parts.join('; '), {
    fields: issues.map((i) => i.path.map(String).join('.')),
  });
}

/**
 * The code and text of a status reason the runtime wrote as "CODE: message" (errorText in
 * runtime-host); `code` is undefined when the text does not start with a contract code.
 */
export function codedReason(reason: string): { code: ErrorCode | undefined; message: string } {
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(reason);
  if (m && (ERROR_CODES as readonly string[]).includes(m[1]!)) return { code: m[1] as ErrorCode, message: m[2]! };
  return { code: undefined, message: reason };
}
