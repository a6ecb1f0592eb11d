/**
 * A local Bitstamp (HTTP API v2 + WebSocket v2) for tests and manual runs: strict auth checks,
 * Bitstamp's error shapes, reserved balances, matching of resting orders against external trades
 * (`trade()`), and fault injection (`faults`). Listens on 127.0.0.1; port 0 picks a free port.
 *
 * In-process control: emulator.trade/setPrice/addAccount/faults/requestReconnect/dropConnections/
 * expireTokens. HTTP control (for `npm run emulator`): POST /__emulator/{trade,price,accounts,
 * faults,request_reconnect,drop_connections,expire_tokens} with a JSON body; GET /__emulator/state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, seededRandom, type Clock, type Random } from '../../src/domain/clock.ts';
import { readSnapshotRaw } from '../../src/exchanges/bitstamp/metadata.ts';
import { AuthChecker, hmacHex } from './auth-check.ts';
import { EmulatorEngine, type EmuAccountConfig } from './engine.ts';
import { defaultFaults, fires, type FaultRule, type Faults } from './faults.ts';
import { MemoryTokenStore, PrivateRoutes } from './routes.ts';
import { EmulatorWsServer } from './ws-server.ts';
import { EmuError } from './wire.ts';
import { TokenBucket } from '../../src/exchanges/bitstamp/rate-limit.ts';

export interface EmulatorOptions {
  port?: number; // default 0
  clock?: Clock; // default system clock (timestamp window, tokens, datetimes, expiry)
  seed?: number; // fault randomness
  accounts?: EmuAccountConfig[];
  prices?: Record<string, string>; // initial last prices per market
  /** Raw /markets/ entries listed instead of the bundled snapshot (e.g. syntheticMarkets(150)). */
  markets?: Array<Record<string, unknown>>;
}

/** `count` listed spot markets as /markets/ returns them: the bundled ones, then made-up "x<n>usd" pairs. */
export function syntheticMarkets(count: number): Array<Record<string, unknown>> {
  const bundled = (readSnapshotRaw().markets as Array<Record<string, unknown>>).filter((m) => m.market_type === undefined || m.market_type === 'SPOT');
  const out = bundled.slice(0, count);
  const template = bundled[0] ?? {};
  for (let i = out.length; i < count; i++) {
    const base = `X${i}`;
    out.push({ ...template, name: `${base}/USD`, market_symbol: `${base.toLowerCase()}usd`, base_currency: base, description: `Test coin ${i} / U.S. dollar` });
  }
  return out;
}

export interface RequestLogEntry {
  endpoint: string;
  status: number | 'timeout' | 'dropped';
}

const JSON_TYPE = 'application/json';

export class BitstampEmulator {
  readonly engine: EmulatorEngine;
  faults: Faults = defaultFaults();
  readonly requests: RequestLogEntry[] = [];
  /** HTTP requests ("POST buy/btcusd/") and WS subscribes/answers ("ws:subscribe <channel>") in arrival order. */
  readonly timeline: string[] = [];
  /** How many times each fault fired (HTTP rules, rate limiting, latency, WS drop/duplicate/reorder). */
  readonly injected: Record<string, number> = {};
  private readonly server: Server;
  private readonly ws: EmulatorWsServer;
  private readonly tokens: MemoryTokenStore;
  private readonly auth: AuthChecker;
  private readonly routes: PrivateRoutes;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly limits = new Map<string, { key: string; buckets: TokenBucket[] }>();
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(opts: EmulatorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = seededRandom(opts.seed ?? 1);
    const raw = opts.markets ? { ...readSnapshotRaw(), markets: opts.markets } : readSnapshotRaw();
    this.engine = new EmulatorEngine(this.clock, raw.markets as Array<Record<string, unknown>>);
    for (const a of opts.accounts ?? []) this.engine.addAccount(a);
    for (const [m, p] of Object.entries(opts.prices ?? {})) this.engine.setPrice(m, p);
    this.tokens = new MemoryTokenStore(this.clock);
    this.auth = new AuthChecker(this.clock, (k) => this.engine.accounts.get(k));
    this.routes = new PrivateRoutes(this.engine, this.clock, () => this.faults, this.tokens);
    this.server = createServer((req, res) => void this.onRequest(req, res, raw));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.ws = new EmulatorWsServer(this.server, this.engine, this.tokens, () => this.faults, this.random, (kind) => this.countFault(kind), (line) => this.timeline.push(line));
  }

  static async start(opts: EmulatorOptions = {}): Promise<BitstampEmulator> {
    const e = new BitstampEmulator(opts);
    await new Promise<void>((resolve) => e.server.listen(opts.port ?? 0, '127.0.0.1', resolve));
    e.port = (e.server.address() as AddressInfo).port;
    return e;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }
  get wsServer(): EmulatorWsServer {
    return this.ws;
  }

  addAccount(cfg: EmuAccountConfig): void {
    this.engine.addAccount(cfg);
  }
  /** An external trade: fills resting orders that cross `price`, up to `amount`. Returns fills made. */
  trade(market: string, price: string, amount: string): number {
    return this.engine.trade(market, price, amount);
  }
  setPrice(market: string, price: string): void {
    this.engine.setPrice(market, price);
  }
  requestReconnect(): void {
    this.ws.requestReconnect();
  }
  dropConnections(): void {
    this.ws.dropConnections();
  }
  expireTokens(): void {
    this.tokens.expireAll();
  }

  async close(): Promise<void> {
    await this.ws.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse, raw: { markets: unknown; currencies: unknown }): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith('/__emulator/')) return this.control(req.method ?? 'GET', path.slice('/__emulator/'.length), body, res);
    if (req.method === 'GET') {
      if (path === '/api/v2/markets/') return this.send(res, 200, raw.markets);
      if (path === '/api/v2/currencies/') return this.send(res, 200, raw.currencies);
      const t = /^\/api\/v2\/ticker\/([a-z0-9-]+)\/$/.exec(path);
      const last = t?.[1] !== undefined ? this.engine.lastPrice.get(t[1]) : undefined;
      if (last) return this.send(res, 200, { timestamp: String(Math.floor(this.clock.now() / 1000)), last: last.toFixed(), bid: last.toFixed(), ask: last.toFixed(), open: last.toFixed(), high: last.toFixed(), low: last.toFixed(), vwap: last.toFixed(), volume: '0' });
      return this.send(res, 404, { message: 'Not found.' });
    }
    if (req.method !== 'POST' || !path.startsWith('/api/v2/')) return this.send(res, 404, { message: 'Not found.' });
    const endpoint = path.slice('/api/v2/'.length);
    const log: RequestLogEntry = { endpoint, status: 200 };
    this.requests.push(log);
    this.timeline.push(`POST ${endpoint}`);
    let auth;
    try {
      auth = this.auth.check('POST', req.headers.host ?? '', path, url.search.replace(/^\?/, ''), req.headers, body);
      this.rateLimit(auth.account.apiKey);
    } catch (e) {
      if (!(e instanceof EmuError)) throw e;
      log.status = e.httpStatus;
      return this.send(res, e.httpStatus, e.body);
    }
    const f = this.faults;
    if (f.latencyMs > 0) {
      this.countFault('latency');
      await new Promise((r) => setTimeout(r, f.latencyMs));
    }
    if (this.fired('dropBefore', f.dropBefore, endpoint)) {
      log.status = 'dropped';
      req.socket.destroy();
      return;
    }
    if (this.fired('errorBefore', f.errorBefore, endpoint)) {
      log.status = f.errorBefore?.status ?? 502;
      return this.sendRaw(res, log.status, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
    }
    let status = 200;
    let reply: unknown;
    try {
      reply = this.routes.handle(auth.account, endpoint, new URLSearchParams(body));
    } catch (e) {
      if (!(e instanceof EmuError)) throw e;
      status = e.httpStatus;
      reply = e.body;
    }
    log.status = status;
    if (this.fired('timeoutAfterAccept', f.timeoutAfterAccept, endpoint)) {
      log.status = 'timeout';
      return; // never answered; the socket is destroyed on close()
    }
    if (this.fired('errorAfter', f.errorAfter, endpoint)) {
      log.status = f.errorAfter?.status ?? 504;
      return this.sendRaw(res, log.status, 'text/html', '<html><body><h1>504 Gateway Time-out</h1></body></html>');
    }
    const text = this.fired('malformed', f.malformed, endpoint) ? JSON.stringify({ unexpected: true, id: null }) : JSON.stringify(reply);
    const headers: Record<string, string> = {};
    if (status === 200) {
      const sig = hmacHex(auth.account.secret, `${auth.nonce}${auth.timestamp}${JSON_TYPE}${text}`);
      headers['X-Server-Auth-Signature'] = this.fired('badSignature', f.badSignature, endpoint) ? sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sig;
    }
    this.sendRaw(res, status, JSON_TYPE, text, headers);
  }

  private rateLimit(apiKey: string): void {
    const { perSecond, perTenMinutes } = this.faults.rateLimit;
    // New limits (faults changed at run time) take effect at once: rebuild the buckets.
    let entry = this.limits.get(apiKey);
    if (!entry || entry.key !== `${perSecond}/${perTenMinutes}`) {
      entry = { key: `${perSecond}/${perTenMinutes}`, buckets: [new TokenBucket(perSecond, perSecond / 1000, this.clock), new TokenBucket(perTenMinutes, perTenMinutes / 600_000, this.clock)] };
      this.limits.set(apiKey, entry);
    }
    const buckets = entry.buckets;
    if (buckets.some((b) => b.waitMs() > 0)) {
      this.countFault('rateLimit');
      throw new EmuError(400, { status: 'error', reason: 'Rate limit exceeded. Please try again later.', response_code: '400.002' });
    }
    for (const b of buckets) b.take();
  }

  private countFault(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }

  private fired(kind: string, rule: FaultRule | undefined, endpoint: string): boolean {
    const hit = fires(rule, endpoint, this.random);
    if (hit) this.countFault(kind);
    return hit;
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    this.sendRaw(res, status, JSON_TYPE, JSON.stringify(body));
  }

  private sendRaw(res: ServerResponse, status: number, type: string, text: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': type, ...headers });
    res.end(text);
  }

  private control(method: string, action: string, body: string, res: ServerResponse): void {
    let args: Record<string, unknown> = {};
    try {
      args = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    } catch {
      return this.send(res, 400, { error: 'body must be JSON' });
    }
    const s = (k: string): string => String(args[k] ?? '');
    switch (`${method} ${action}`) {
      case 'GET state':
        return this.send(res, 200, {
          orders: this.engine.orders.map((o) => ({ id: o.id, user_id: o.userId, market: o.market.symbol, side: o.side, status: o.status, price: o.price.toFixed(), amount: o.amountAtCreate.toFixed(), remaining: o.remaining.toFixed(), client_order_id: o.clientOrderId })),
          prices: Object.fromEntries([...this.engine.lastPrice].map(([m, p]) => [m, p.toFixed()])),
        });
      case 'POST trade':
        return this.send(res, 200, { fills: this.trade(s('market'), s('price'), s('amount')) });
      case 'POST price':
        this.setPrice(s('market'), s('price'));
        return this.send(res, 200, { ok: true });
      case 'POST accounts':
        this.addAccount(args as unknown as EmuAccountConfig);
        return this.send(res, 200, { ok: true });
      case 'POST faults':
        this.faults = { ...this.faults, ...(args as Partial<Faults>) };
        return this.send(res, 200, { ok: true });
      case 'POST request_reconnect':
        this.requestReconnect();
        return this.send(res, 200, { ok: true });
      case 'POST drop_connections':
        this.dropConnections();
        return this.send(res, 200, { ok: true });
      case 'POST expire_tokens':
        this.expireTokens();
        return this.send(res, 200, { ok: true });
    }
    this.send(res, 404, { error: `unknown control action ${method} ${action}` });
  }
}
