/**
 * ccxt's error classes to the contract's DomainError codes. Classes are matched by name along the
 * prototype chain, so this file needs no runtime import of ccxt (and fakes can throw real ccxt errors).
 * Order matters: OrderNotFound is an InvalidOrder, RateLimitExceeded a NetworkError.
 */
import { DomainError, type ErrorCode } from '../../domain/errors.ts';

/** What the call was: a write that may have reached the exchange, or a read. */
export type CallKind = 'place' | 'cancel' | 'read';

function classNames(e: unknown): string[] {
  const names: string[] = [];
  if (typeof e !== 'object' || e === null) return names;
  for (let p: unknown = Object.getPrototypeOf(e); p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === 'string') names.push(ctor.name);
  }
  return names;
}

export function isCcxtError(e: unknown, name: string): boolean {
  return classNames(e).includes(name);
}

/** Checked in order; the first class the error is an instance of decides. */
const TABLE: Array<[string, (kind: CallKind) => ErrorCode]> = [
  ['OrderNotFound', () => 'ORDER_NOT_FOUND'],
  ['InsufficientFunds', () => 'INSUFFICIENT_FUNDS'],
  ['AuthenticationError', () => 'EXCHANGE_REJECTED'], // PermissionDenied, AccountSuspended…
  ['RateLimitExceeded', () => 'RATE_LIMITED'], // the exchange answered 429: the request was refused
  ['DDoSProtection', () => 'RATE_LIMITED'],
  ['InvalidNonce', () => 'EXCHANGE_REJECTED'], // refused on arrival, nothing done
  // A timeout or lost connection after the request left: a write may have landed.
  ['NetworkError', (kind) => (kind === 'read' ? 'EXCHANGE_UNAVAILABLE' : 'OUTCOME_UNKNOWN')],
  ['BadSymbol', () => 'MARKET_NOT_FOUND'],
  ['InvalidOrder', (kind) => (kind === 'cancel' ? 'ORDER_NOT_CANCELLABLE' : 'EXCHANGE_REJECTED')],
  ['ArgumentsRequired', () => 'INVALID_ARGUMENT'],
  ['NotSupported', () => 'EXCHANGE_REJECTED'],
  ['ExchangeError', () => 'EXCHANGE_REJECTED'],
];

const HINT: Partial<Record<ErrorCode, string>> = {
  OUTCOME_UNKNOWN: '; the outcome is unknown and will be reconciled, never resent blindly',
  EXCHANGE_UNAVAILABLE: '; try again later',
  RATE_LIMITED: '; slow down and try again',
};

/**
 * A DomainError for anything a ccxt call threw. `redact` removes credentials from the message
 * (ccxt quotes URLs and replies); non-ccxt errors are INTERNAL for reads, OUTCOME_UNKNOWN for writes.
 */
export function toDomainError(e: unknown, kind: CallKind, exchangeId: string, redact: (s: string) => string): DomainError {
  if (e instanceof DomainError) return e;
  const names = classNames(e);
  const raw = e instanceof Error ? e.message : String(e);
  const message = redact(stripQueries(raw)).slice(0, 500);
  for (const [name, code] of TABLE) {
    if (!names.includes(name)) continue;
    const c = code(kind);
    return new DomainError(c, `${exchangeId}: ${name}: ${message}${HINT[c] ?? ''}`, { ccxt_error: names[0] ?? name });
  }
  const c: ErrorCode = kind === 'read' ? 'INTERNAL' : 'OUTCOME_UNKNOWN';
  return new DomainError(c, `${exchangeId}: unexpected error: ${message}${HINT[c] ?? ''}`);
}

/** Query strings carry signatures and nonces on some exchanges: never repeat them. */
function stripQueries(s: string): string {
  return s.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, '$1?…');
}

/** Replaces every non-trivial credential value in `s` with "***". */
export function redactorFor(values: () => Array<string | undefined>): (s: string) => string {
  return (s) => {
    let out = s;
    for (const v of values()) if (v !== undefined && v.length >= 4) out = out.split(v).join('***');
    return out;
  };
}
