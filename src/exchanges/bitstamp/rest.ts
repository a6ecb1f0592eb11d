/**
 * Bitstamp private REST client (API v2): signing, client-side rate limiting, timeouts, retries of
 * reads only, response-signature verification, and zod parsing of every reply. Errors are
 * DomainErrors with CONTRACT codes (see errors.ts for the mapping rules).
 */
import { z } from 'zod';
import type { Signer } from '../../credentials/signer.ts';
import type { Clock, Random } from '../../domain/clock.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { authHeaders, responseSignatureValid, uuidV4From } from './auth.ts';
import { bitstampErrorToDomain, noAnswerError, readErrorBody, type CallKind } from './errors.ts';
import { parseJsonLossless } from './json.ts';
import {
  balanceSchema,
  cancelAllSchema,
  cancelReplySchema,
  feeSchema,
  openOrderSchema,
  orderAckSchema,
  orderStatusSchema,
  parseReply,
  userTransactionSchema,
  wsTokenSchema,
} from './parse.ts';
import { BitstampRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { CredentialRedactor } from './redact.ts';

/** Paths that are easy to change if Bitstamp's (unverified) preferences differ. */
export const OPEN_ORDERS_ALL_PATH = 'open_orders/'; // DOC; ccxt uses the older 'open_orders/all/'

export interface RequestMetrics {
  exchangeRequests: { observe(labels: Record<string, string>, seconds: number): void };
  /** Writes answered 200 without X-Server-Auth-Signature (accepted, see call()). */
  responseSignatureMissing?: { inc(labels: Record<string, string>): void };
  /** Server clock minus ours, learned from the Date header on API0017. */
  clockSkewSeconds?: { set(labels: Record<string, string>, value: number): void };
}

export interface BitstampRestOptions {
  apiUrl: string; // e.g. "https://www.bitstamp.net" (no /api/v2)
  /** Resolved at each call (credentials may be set or replaced while the client lives). */
  signer: () => Signer | undefined;
  clock: Clock;
  random: Random;
  logger: Logger;
  readTimeoutMs?: number; // default 10 s
  writeTimeoutMs?: number; // default 15 s
  readRetries?: number; // extra attempts for reads, default 3
  retryBaseMs?: number; // default 250, doubled per attempt, jittered
  rateLimit?: RateLimitOptions | false;
  maxRateWaitMs?: number; // wait at most this long for a rate-limit token, default 2 s
  verifyResponseSignature?: boolean; // default true
  sleep?: (ms: number) => Promise<void>;
  fetchFn?: typeof fetch;
  metrics?: RequestMetrics;
  /** EXEC_MCP_OFFLINE=1: no outbound calls; every request is refused before anything is sent. */
  offline?: boolean;
}

type Params = Record<string, string | undefined>;

/** EXEC_MCP_OFFLINE=1: the request was refused before anything was sent. */
class OfflineRefusal extends DomainError {
  constructor(endpoint: string) {
    super('EXCHANGE_UNAVAILABLE', `offline mode (EXEC_MCP_OFFLINE=1): no outbound calls; ${endpoint} not sent`, { endpoint });
  }
}
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** API0017: our X-Auth-Timestamp was more than 150 s off the server's clock; nothing was done. */
class ClockRejection extends DomainError {}

export class BitstampRestClient {
  private readonly base: URL;
  private readonly limiter: BitstampRateLimiter | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchFn: typeof fetch;
  /** Removes the key and recent signatures from exchange text before it becomes an error message. */
  readonly redactor = new CredentialRedactor();
  private skewMs = 0;
  private missingSignatures = 0;

  constructor(private readonly o: BitstampRestOptions) {
    this.base = new URL(o.apiUrl.replace(/\/+$/, '') + '/');
    this.limiter = o.rateLimit === false ? undefined : new BitstampRateLimiter(o.clock, o.rateLimit ?? {});
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.fetchFn = o.fetchFn ?? fetch;
  }

  // ---- endpoints -------------------------------------------------------------------------------

  async accountBalances() {
    return this.read('account_balances/', undefined, z.array(balanceSchema));
  }
  async tradingFees() {
    return this.read('fees/trading/', undefined, z.array(feeSchema));
  }
  /** Limit order: `params` carries amount, price and the optional TIF flags / client_order_id. */
  async placeLimit(side: 'buy' | 'sell', pair: string, params: Params) {
    return this.write(`${side}/${pair}/`, params, orderAckSchema);
  }
  async placeMarket(side: 'buy' | 'sell', pair: string, params: Params) {
    return this.write(`${side}/market/${pair}/`, params, orderAckSchema);
  }
  async placeInstant(side: 'buy' | 'sell', pair: string, params: Params) {
    return this.write(`${side}/instant/${pair}/`, params, orderAckSchema);
  }
  async cancelOrder(locator: { id: string } | { client_order_id: string }) {
    return this.write('cancel_order/', locator, cancelReplySchema);
  }
  async cancelAllOrders(pair?: string) {
    return this.write(pair ? `cancel_all_orders/${pair}/` : 'cancel_all_orders/', undefined, cancelAllSchema);
  }
  async openOrders(pair?: string) {
    return this.read(pair ? `open_orders/${pair}/` : OPEN_ORDERS_ALL_PATH, undefined, z.array(openOrderSchema));
  }
  async orderStatus(locator: { id: string } | { client_order_id: string }) {
    return this.read('order_status/', { ...locator, omit_transactions: 'false' }, orderStatusSchema);
  }
  async userTransactions(params: { offset?: number; limit?: number; sort?: 'asc' | 'desc'; since_timestamp?: number }, pair?: string) {
    const p: Params = {};
    for (const [k, v] of Object.entries(params)) if (v !== undefined) p[k] = String(v);
    return this.read(pair ? `user_transactions/${pair}/` : 'user_transactions/', p, z.array(userTransactionSchema));
  }
  async websocketsToken() {
    return this.read('websockets_token/', undefined, wsTokenSchema);
  }

  /** Server clock minus local clock in ms (0 until Bitstamp rejected a timestamp with API0017). */
  get clockSkewMs(): number {
    return this.skewMs;
  }

  /** Writes whose 200 reply carried no response signature (logged and accepted). */
  get missingResponseSignatures(): number {
    return this.missingSignatures;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  /** Reads are idempotent: retried with jittered exponential backoff on EXCHANGE_UNAVAILABLE / RATE_LIMITED. */
  private async read<T extends z.ZodType>(endpoint: string, params: Params | undefined, schema: T): Promise<z.output<T>> {
    const retries = this.o.readRetries ?? 3;
    const base = this.o.retryBaseMs ?? 250;
    let clockRetried = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return this.parse(schema, await this.call('read', endpoint, params), 'read', endpoint);
      } catch (e) {
        // The clock was just corrected from the server's Date header: one immediate retry.
        if (e instanceof ClockRejection && !clockRetried) {
          clockRetried = true;
          attempt--;
          continue;
        }
        const retryable = e instanceof DomainError && !(e instanceof OfflineRefusal) && (e.code === 'EXCHANGE_UNAVAILABLE' || e.code === 'RATE_LIMITED');
        if (!retryable || attempt >= retries) throw e;
        const delay = Math.round(base * 2 ** attempt * (0.5 + this.o.random() / 2));
        this.o.logger.warn({ endpoint, attempt: attempt + 1, delay_ms: delay, code: e.code }, 'bitstamp read failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  /** Writes are sent exactly once: any doubt about the outcome is OUTCOME_UNKNOWN. */
  private async write<T extends z.ZodType>(endpoint: string, params: Params | undefined, schema: T): Promise<z.output<T>> {
    return this.parse(schema, await this.call('write', endpoint, params), 'write', endpoint);
  }

  private parse<T extends z.ZodType>(schema: T, body: unknown, kind: CallKind, endpoint: string): z.output<T> {
    try {
      return parseReply(schema, body, kind, endpoint);
    } catch (e) {
      throw this.redactError(e);
    }
  }

  /** The same error with credential values cut from its message and details (the same object if clean). */
  redactError(e: unknown): unknown {
    if (!(e instanceof DomainError)) return e;
    const message = this.redactor.redact(e.message);
    let changed = message !== e.message;
    let details: Record<string, unknown> | undefined;
    if (e.details !== undefined) {
      details = {};
      for (const [k, v] of Object.entries(e.details)) {
        const clean = typeof v === 'string' ? this.redactor.redact(v) : v;
        changed ||= clean !== v;
        details[k] = clean;
      }
    }
    return changed ? new DomainError(e.code, message, details) : e;
  }

  private async acquireRateToken(endpoint: string): Promise<void> {
    if (!this.limiter) return;
    const maxWait = this.o.maxRateWaitMs ?? 2_000;
    let waited = 0;
    for (let i = 0; i < 20; i++) {
      const wait = this.limiter.tryAcquire();
      if (wait === 0) return;
      if (waited + wait > maxWait) break;
      await this.sleep(wait);
      waited += wait;
    }
    throw new DomainError('RATE_LIMITED', `client-side rate limit for Bitstamp reached (400 req/s, 10,000 req/10 min); ${endpoint} not sent, retry later`, { endpoint });
  }

  private async call(kind: CallKind, endpoint: string, params: Params | undefined): Promise<unknown> {
    try {
      return await this.callOnce(kind, endpoint, params);
    } catch (e) {
      throw this.redactError(e);
    }
  }

  private async callOnce(kind: CallKind, endpoint: string, params: Params | undefined): Promise<unknown> {
    // Thrown straight through read()'s retries: offline does not pass with time.
    if (this.o.offline) throw new OfflineRefusal(endpoint);
    const signer = this.o.signer();
    if (!signer) throw new DomainError('NO_CREDENTIALS', `no Bitstamp API credentials for this account; ${endpoint} not sent`, { endpoint });
    await this.acquireRateToken(endpoint);
    const url = new URL(`api/v2/${endpoint}`, this.base);
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined) form.append(k, v);
    const body = form.toString();
    const nonce = uuidV4From(this.o.random);
    const timestamp = String(Math.round(this.o.clock.now() + this.skewMs));
    const headers = authHeaders(signer, { method: 'POST', host: url.host, path: url.pathname, query: '', body, nonce, timestamp });
    this.redactor.rememberKey(signer.apiKey);
    this.redactor.rememberSignature(headers['X-Auth-Signature'] ?? '');
    const timeoutMs = kind === 'write' ? (this.o.writeTimeoutMs ?? 15_000) : (this.o.readTimeoutMs ?? 10_000);
    const started = performance.now();
    let result = 'ok';
    try {
      let res: Response;
      try {
        const init: RequestInit = { method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs) };
        if (body !== '') init.body = body;
        res = await this.fetchFn(url, init);
      } catch (e) {
        result = 'network';
        throw this.networkError(kind, endpoint, e, timeoutMs);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        result = 'network';
        throw this.networkError(kind, endpoint, e, timeoutMs);
      }
      if (res.status >= 500) {
        result = '5xx';
        throw noAnswerError(kind, endpoint, `server error HTTP ${res.status}`);
      }
      let json: unknown;
      try {
        json = parseJsonLossless(text);
      } catch {
        result = 'malformed';
        if (res.status === 429) throw new DomainError('RATE_LIMITED', `Bitstamp rate limit hit on ${endpoint} (HTTP 429)`, { endpoint });
        throw res.status >= 400
          ? new DomainError('EXCHANGE_REJECTED', `Bitstamp rejected ${endpoint} with HTTP ${res.status}`, { endpoint })
          : noAnswerError(kind, endpoint, 'reply is not valid JSON');
      }
      const err = readErrorBody(json, res.status);
      if (err) {
        result = 'error';
        const redact = (t: string): string => this.redactor.redact(t);
        if (err.code === 'API0017' && this.learnServerClock(res.headers.get('date'), endpoint)) {
          const d = bitstampErrorToDomain(err, res.status, endpoint, redact);
          throw new ClockRejection(d.code, d.message, d.details);
        }
        throw bitstampErrorToDomain(err, res.status, endpoint, redact);
      }
      if (res.status >= 400) {
        result = 'error';
        throw new DomainError(res.status === 429 ? 'RATE_LIMITED' : 'EXCHANGE_REJECTED', `Bitstamp rejected ${endpoint} with HTTP ${res.status}`, { endpoint });
      }
      if (this.o.verifyResponseSignature ?? true) {
        const received = res.headers.get('x-server-auth-signature');
        if ((received === null || received === '') && kind === 'write') {
          // A 200 over TLS without the header: dropping the reply would turn a placed order into an
          // unknown outcome. Accept it, but make it visible; a signature that is wrong still fails.
          this.missingSignatures++;
          this.o.metrics?.responseSignatureMissing?.inc({ exchange: 'bitstamp', endpoint: endpoint.split('/')[0] ?? endpoint });
          this.o.logger.warn({ endpoint, missing_total: this.missingSignatures }, 'bitstamp write reply has no X-Server-Auth-Signature; accepted from the reply');
          return json;
        }
        const ok = responseSignatureValid(signer, nonce, timestamp, res.headers.get('content-type') ?? '', text, received);
        if (!ok) {
          result = 'bad_signature';
          throw noAnswerError(kind, endpoint, 'response signature invalid');
        }
      }
      return json;
    } finally {
      this.o.metrics?.exchangeRequests.observe({ exchange: 'bitstamp', endpoint: endpoint.split('/')[0] ?? endpoint, result }, (performance.now() - started) / 1000);
    }
  }

  /** Sets the skew from the server's Date header; false when the header is missing or unreadable. */
  private learnServerClock(dateHeader: string | null, endpoint: string): boolean {
    const serverMs = dateHeader ? Date.parse(dateHeader) : Number.NaN;
    if (Number.isNaN(serverMs)) return false;
    // Date has 1 s resolution: aim at the middle of that second.
    this.skewMs = serverMs + 500 - this.o.clock.now();
    this.o.metrics?.clockSkewSeconds?.set({ exchange: 'bitstamp' }, this.skewMs / 1000);
    this.o.logger.warn({ endpoint, skew_ms: this.skewMs }, 'bitstamp rejected our timestamp (API0017); clock skew learned from the Date header');
    return true;
  }

  private networkError(kind: CallKind, endpoint: string, e: unknown, timeoutMs: number): DomainError {
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return noAnswerError(kind, endpoint, `no answer within ${timeoutMs} ms`);
    const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
    const code = cause?.code ?? '';
    // The connection never opened: nothing reached Bitstamp, so even a write is definitely not placed.
    if (NOT_SENT_CODES.has(code)) return new DomainError('EXCHANGE_UNAVAILABLE', `Bitstamp ${endpoint}: cannot connect (${code}); request not sent`, { endpoint });
    return noAnswerError(kind, endpoint, `network error${code ? ` (${code})` : ''}`);
  }
}
