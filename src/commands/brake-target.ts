/**
 * Where the CLI's brake (`orders cancel|cancel-all`, `kill-switch on --cancel-open`) is carried
 * out. Only one process may own the order actors of a data dir (src/db/data-dir-lock.ts), so:
 * - a `serve` owns it: the cancel is relayed to its control endpoint (src/web/control.ts) with the
 *   MCP bearer token; serve's actors send it and record it;
 * - nobody owns it: this process takes the lock, hydrates the actors (app.start()), cancels through
 *   them and waits for the answers, then stops;
 * - an `exec-mcp mcp` session owns it (no HTTP endpoint): refused, nothing is sent.
 * Reads and store-only changes (kill switch flags, limits) never need this: they go to the store.
 */
import type { Config } from '../config.ts';
import { readLock } from '../db/data-dir-lock.ts';
import type { OrderView } from '../domain/order.ts';
import { DomainError, ERROR_CODES, type ErrorCode } from '../domain/errors.ts';
import { readMcpTokenFile } from '../first-run-secrets.ts';
import { cancelOpenOrders, type AccountCancelResult, type BrakeServices } from '../services/brake.ts';
import type { OrderLookup } from '../services/ports.ts';

export const CLI_ACTOR = 'cli';

export interface OrderBrake {
  /** "relayed to the running serve at URL" or "own runtime". */
  readonly via: string;
  cancel(account: string, lookup: OrderLookup): Promise<OrderView>;
  cancelAll(account: string | undefined): Promise<AccountCancelResult[]>;
}

/** What the brake commands need from the composition root (src/main.ts createApp). */
export interface BrakeApp {
  services: BrakeServices;
  /** Takes the data dir lock and hydrates the order actors. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

const RELAY_TIMEOUT_MS = 60_000;

/** The brake for this data dir, starting `app` when this process has to own the runtime. */
export async function brakeFor(config: Config, app: BrakeApp, fetchImpl: FetchLike = fetch): Promise<OrderBrake> {
  const holder = readLock(config.dataDir);
  if (holder?.url !== undefined) {
    const token = config.token ?? readMcpTokenFile(config.dataDir);
    if (!token) throw new DomainError('INTERNAL', `exec-mcp serve (pid ${holder.pid}) owns data dir ${config.dataDir}, but its MCP token is not readable here; set EXEC_MCP_TOKEN`);
    return remoteBrake(holder.url, token, fetchImpl);
  }
  if (holder)
    throw new DomainError(
      'INTERNAL',
      `data dir ${config.dataDir} is in use by exec-mcp ${holder.command} (pid ${holder.pid}), which has no control endpoint; nothing was sent. ` +
        'Cancel in that session (cancel_order, cancel_all_orders) or stop it first',
    );
  await app.start(); // fails, sending nothing, if a serve took the data dir in the meantime
  return {
    via: 'own runtime',
    cancel: (account, lookup) => app.services.orders.cancel(account, lookup, CLI_ACTOR),
    cancelAll: (account) => cancelOpenOrders(app.services, account, CLI_ACTOR),
  };
}

function remoteBrake(base: string, token: string, fetchImpl: FetchLike): OrderBrake {
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    let res: { status: number; text(): Promise<string> };
    try {
      res = await fetchImpl(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
    } catch (e) {
      // The outcome is unknown only if the request got there; say so, and how to check.
      throw new DomainError('OUTCOME_UNKNOWN', `no answer from the running exec-mcp at ${base} (${e instanceof Error ? e.message : String(e)}); check with "exec-mcp orders list"`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new DomainError('INTERNAL', `the running exec-mcp at ${base} answered ${res.status} without JSON`);
    }
    const err = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
    if (res.status !== 200 || err !== undefined) {
      const code = (ERROR_CODES as readonly string[]).includes(String(err?.code)) ? (err?.code as ErrorCode) : 'INTERNAL';
      throw new DomainError(code, typeof err?.message === 'string' ? err.message : `the running exec-mcp answered ${res.status}`);
    }
    return parsed as T;
  };
  return {
    via: `relayed to the running exec-mcp serve at ${base}`,
    cancel: async (account, lookup) => (await post<{ order: OrderView }>('/control/orders/cancel', { account, ...lookup })).order,
    cancelAll: async (account) => (await post<{ results: AccountCancelResult[] }>('/control/orders/cancel-all', account === undefined ? {} : { account })).results,
  };
}
