/** The emulator's private endpoints (BITSTAMP.md §3): form params in, Bitstamp-shaped JSON out. */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/domain/clock.ts';
import type { EmuAccount, EmulatorEngine } from './engine.ts';
import type { Faults } from './faults.ts';
import { EmuError, bsDatetime, cancelled, fieldError, generalError, notFound, openOrder, orderAck, orderStatus, userTxRow } from './wire.ts';

export interface TokenStore {
  issue(userId: string, validSec: number): string;
}

const truthy = (v: string | null): boolean => v !== null && ['true', '1'].includes(v.toLowerCase());

export class PrivateRoutes {
  private openOrdersCache = new Map<string, { at: number; body: unknown }>();

  constructor(
    private readonly engine: EmulatorEngine,
    private readonly clock: Clock,
    private readonly faults: () => Faults,
    private readonly tokens: TokenStore,
  ) {}

  handle(acc: EmuAccount, endpoint: string, p: URLSearchParams): unknown {
    const parts = endpoint.replace(/\/$/, '').split('/');
    const [head, a, b] = parts;
    const e = this.engine;
    switch (head) {
      case 'account_balances': {
        const rows = [...acc.balances.entries()].map(([currency, bal]) => ({
          currency,
          total: bal.total.toFixed(8),
          available: bal.total.minus(bal.reserved).toFixed(8),
          reserved: bal.reserved.toFixed(8),
        }));
        if (a === undefined) return rows;
        return rows.find((r) => r.currency === a) ?? { currency: a, total: '0.00000000', available: '0.00000000', reserved: '0.00000000' };
      }
      case 'fees': {
        if (a !== 'trading') break;
        const rows = [...e.markets.values()].map((m) => ({
          currency_pair: m.symbol,
          market: m.symbol,
          fees: { maker: acc.makerPct.toFixed(5), taker: acc.takerPct.toFixed(5) },
        }));
        return b === undefined ? rows : (rows.find((r) => r.market === b) ?? rows[0]);
      }
      case 'buy':
      case 'sell': {
        if (a === undefined) break;
        const clientOrderId = p.get('client_order_id') ?? undefined;
        if (a === 'market' || a === 'instant') {
          if (b === undefined) break;
          return orderAck(e.placeImmediate(acc, b, head, a, this.required(p, 'amount'), clientOrderId));
        }
        const flags = new Set(['daily_order', 'ioc_order', 'fok_order', 'moc_order', 'gtd_order'].filter((f) => truthy(p.get(f))));
        const params = { amount: this.required(p, 'amount'), price: this.required(p, 'price'), flags, expireTime: p.get('expire_time') ?? undefined, clientOrderId };
        return orderAck(e.placeLimit(acc, a, head, params));
      }
      case 'cancel_order': {
        // Documented with `id` only: a client_order_id is not a way to cancel (find it via order_status).
        const id = p.get('id');
        if (id === null || id === '') throw generalError('Missing id POST param.');
        const o = e.find(acc, { id });
        if (!o || o.status !== 'Open') throw notFound('cancel_order');
        e.close(o, 'Canceled');
        return cancelled(o);
      }
      case 'cancel_all_orders': {
        const open = e.openOrders(acc, a);
        for (const o of open) e.close(o, 'Canceled');
        return { canceled: open.map(cancelled), success: true };
      }
      case 'open_orders': {
        const pair = a === 'all' ? undefined : a;
        const key = `${acc.userId}:${pair ?? '*'}`;
        const cacheMs = this.faults().openOrdersCacheMs;
        const hit = this.openOrdersCache.get(key);
        if (cacheMs > 0 && hit && this.clock.now() - hit.at < cacheMs) return hit.body;
        const body = e.openOrders(acc, pair).map(openOrder);
        this.openOrdersCache.set(key, { at: this.clock.now(), body });
        return body;
      }
      case 'order_status': {
        const o = e.find(acc, this.locator(p));
        if (!o) throw notFound('order_status');
        return orderStatus(o, truthy(p.get('omit_transactions')));
      }
      case 'user_transactions':
        return this.userTransactions(acc, p, a);
      case 'websockets_token': {
        const validSec = this.faults().tokenValidSec;
        return { token: this.tokens.issue(acc.userId, validSec), user_id: Number(acc.userId), valid_sec: validSec };
      }
    }
    throw new EmuError(404, { status: 'error', reason: 'Not found', response_code: '404.001' });
  }

  private required(p: URLSearchParams, field: string): string {
    const v = p.get(field);
    if (v === null || v === '') throw fieldError(field, 'This field is required.');
    return v;
  }

  /** order_status: `id` or `client_order_id` (BITSTAMP.md §3). */
  private locator(p: URLSearchParams): { id?: string; clientOrderId?: string } {
    const id = p.get('id');
    const cid = p.get('client_order_id');
    if (id !== null) return { id };
    if (cid !== null) return { clientOrderId: cid };
    throw fieldError('id', 'Missing id or client_order_id.');
  }

  private userTransactions(acc: EmuAccount, p: URLSearchParams, pair?: string): unknown {
    const offset = Number(p.get('offset') ?? 0);
    const limit = Math.min(1000, Number(p.get('limit') ?? 100));
    const sort = p.get('sort') ?? 'desc';
    const since = p.get('since_timestamp');
    const until = p.get('until_timestamp');
    const sinceId = p.get('since_id');
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) throw fieldError('limit', 'Invalid offset or limit.');
    const currencies = [...acc.balances.keys()];
    type Row = { id: number; at: number; body: Record<string, unknown> };
    const rows: Row[] = this.engine
      .transactions(acc)
      .filter((t) => pair === undefined || t.market.symbol === pair)
      .map((t) => ({ id: t.tid, at: t.at, body: userTxRow(t, currencies) }));
    if (pair === undefined)
      for (const d of this.engine.deposits.filter((x) => x.userId === acc.userId))
        rows.push({ id: d.id, at: d.at, body: { id: d.id, datetime: bsDatetime(d.at, true), type: '0', fee: '0.00', [d.currency]: d.amount.toFixed(8) } });
    const filtered = rows
      .filter((r) => since === null || r.at >= Number(since) * 1000)
      .filter((r) => until === null || r.at <= Number(until) * 1000)
      .filter((r) => sinceId === null || r.id >= Number(sinceId))
      .sort((x, y) => (sort === 'asc' ? x.id - y.id : y.id - x.id));
    return filtered.slice(offset, offset + limit).map((r) => r.body);
  }
}

export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, { userId: string; expiresAt: number }>();
  constructor(private readonly clock: Clock) {}
  issue(userId: string, validSec: number): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { userId, expiresAt: this.clock.now() + validSec * 1000 });
    return token;
  }
  /** Valid for this user id right now? */
  valid(token: string, userId: string): boolean {
    const t = this.tokens.get(token);
    return t !== undefined && t.userId === userId && t.expiresAt > this.clock.now();
  }
  expireAll(): void {
    this.tokens.clear();
  }
}
