/**
 * The emulator's WebSocket side (BITSTAMP.md §5, §7.11): subscribe/unsubscribe with token checks
 * (4009 on a bad/expired token or wrong user id), heartbeats, request_reconnect, and delivery of
 * private events with injected drops, duplicates and reordering. Subscriptions are per channel, as
 * on Bitstamp: each is acked or refused alone (a private channel of a market not listed, or one in
 * `faults.ws.failChannels`, gets a bts:error whose `channel` is empty, like Bitstamp's).
 */
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Random } from '../../src/domain/clock.ts';
import type { EmulatorEngine, PrivateEvent } from './engine.ts';
import type { Faults } from './faults.ts';
import type { MemoryTokenStore } from './routes.ts';

interface Client {
  socket: WebSocket;
  channels: Set<string>;
  held: string[]; // reordered messages waiting to be sent after the next one
}

const PRIVATE_RE = /^private-.+-(\d+)$/;
const MARKET_RE = /^private-(?:my_orders|my_trades|live_trades)_([a-z0-9-]+)-\d+$/;

/** A fault list names channels or markets. */
function listed(list: string[] | undefined, channel: string): boolean {
  if (!list || list.length === 0) return false;
  const market = MARKET_RE.exec(channel)?.[1];
  return list.includes(channel) || (market !== undefined && list.includes(market));
}

export class EmulatorWsServer {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  /** Every message pushed to clients (after faults), for test assertions. */
  readonly sent: Array<{ channel: string; event: string }> = [];

  constructor(
    server: Server,
    private readonly engine: EmulatorEngine,
    private readonly tokens: MemoryTokenStore,
    private readonly faults: () => Faults,
    private readonly random: Random,
    /** Told about every injected WS fault ("ws_drop", "ws_duplicate", "ws_reorder"), for fault counts. */
    private readonly onFault: (kind: string) => void = () => undefined,
    /** Told about every subscribe/unsubscribe and its answer, for ordering assertions. */
    private readonly onLog: (line: string) => void = () => undefined,
  ) {
    this.wss = new WebSocketServer({ server });
    this.wss.on('connection', (socket) => {
      const c: Client = { socket, channels: new Set(), held: [] };
      this.clients.add(c);
      socket.on('message', (raw) => this.onMessage(c, raw.toString()));
      socket.on('close', () => this.clients.delete(c));
      socket.on('error', () => this.clients.delete(c));
    });
    engine.on('private', (e: PrivateEvent) => this.deliver(e));
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  subscriptions(): string[] {
    return [...this.clients].flatMap((c) => [...c.channels]);
  }

  private reply(c: Client, msg: unknown): void {
    if (c.socket.readyState === c.socket.OPEN) c.socket.send(JSON.stringify(msg));
  }

  private onMessage(c: Client, text: string): void {
    let msg: { event?: unknown; data?: { channel?: unknown; auth?: unknown } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.reply(c, { event: 'bts:error', channel: '', data: { code: null, message: 'Bad subscription string.' } });
      return;
    }
    const channel = typeof msg.data?.channel === 'string' ? msg.data.channel : '';
    switch (msg.event) {
      case 'bts:heartbeat':
        if (!this.faults().ws.muteHeartbeat) this.reply(c, { event: 'bts:heartbeat', channel: '', data: { status: 'success' } });
        return;
      case 'bts:subscribe': {
        this.onLog(`ws:subscribe ${channel}`);
        const m = PRIVATE_RE.exec(channel);
        if (channel === '' || (m && !(typeof msg.data?.auth === 'string' && this.tokens.valid(msg.data.auth, m[1] ?? '')))) {
          this.onLog(`ws:error ${channel}`);
          this.reply(c, { event: 'bts:error', channel: '', data: { code: 4009, message: 'Connection is unauthorized.' } });
          return;
        }
        const f = this.faults().ws;
        if (listed(f.silentChannels, channel)) return;
        const market = MARKET_RE.exec(channel)?.[1];
        if (listed(f.failChannels, channel) || (market !== undefined && !this.engine.markets.has(market))) {
          this.onLog(`ws:error ${channel}`);
          this.reply(c, { event: 'bts:error', channel: '', data: { code: null, message: 'Bad subscription string.' } });
          return;
        }
        c.channels.add(channel);
        this.onLog(`ws:ack ${channel}`);
        this.reply(c, { event: 'bts:subscription_succeeded', channel, data: {} });
        return;
      }
      case 'bts:unsubscribe':
        this.onLog(`ws:unsubscribe ${channel}`);
        c.channels.delete(channel);
        this.reply(c, { event: 'bts:unsubscription_succeeded', channel, data: {} });
        return;
      default:
        this.reply(c, { event: 'bts:error', channel: '', data: { code: null, message: 'Bad subscription string.' } });
    }
  }

  private deliver(e: PrivateEvent): void {
    const f = this.faults().ws;
    const text = JSON.stringify({ event: e.event, channel: e.channel, data: e.data });
    for (const c of this.clients) {
      if (!c.channels.has(e.channel)) continue;
      if (f.dropRate > 0 && this.random() < f.dropRate) {
        this.onFault('ws_drop');
        continue;
      }
      const copies = f.duplicateRate > 0 && this.random() < f.duplicateRate ? 2 : 1;
      if (copies === 2) this.onFault('ws_duplicate');
      if (f.reorderRate > 0 && this.random() < f.reorderRate) {
        this.onFault('ws_reorder');
        c.held.push(text);
        setTimeout(() => this.flush(c), 25).unref();
        continue;
      }
      for (let i = 0; i < copies; i++) this.send(c, text, e);
      this.flush(c);
    }
  }

  private flush(c: Client): void {
    const held = c.held.splice(0);
    for (const t of held) this.send(c, t);
  }

  private send(c: Client, text: string, e?: PrivateEvent): void {
    if (c.socket.readyState !== c.socket.OPEN) return;
    c.socket.send(text);
    if (e) this.sent.push({ channel: e.channel, event: e.event });
  }

  /** Server-initiated reconnect request to every client. */
  requestReconnect(): void {
    for (const c of this.clients) this.reply(c, { event: 'bts:request_reconnect', channel: '', data: '' });
  }

  /** Abruptly drops every connection (no close frame). */
  dropConnections(): void {
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
  }

  close(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
