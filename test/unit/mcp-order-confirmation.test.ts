/**
 * require_confirmation: place_order asks the human through MCP elicitation and places only on accept.
 * Real app (paper venue: the setting applies on every mode, so paper rehearses what live does), SDK
 * clients in-process: one that declares `elicitation` and answers per test, one that does not.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { elicitationConfirmer } from '../../src/mcp/confirm.ts';
import { createMcpHttpHandler } from '../../src/mcp/http.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { serveStdio } from '../../src/mcp/stdio.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { call, fail, ok } from './mcp-harness.ts';

let app: TestApp;
const closers: Array<() => Promise<void>> = [];
/** What the eliciting client answers next, and every elicitation it was sent. */
let answer: ElicitResult['action'] = 'accept';
const asked: ElicitRequest['params'][] = [];
let eliciting: Client;
let plain: Client;

async function connect(client: Client): Promise<Client> {
  const server = createMcpServer(app.services, { readOnly: false, logger: silentLogger(), actor: 'mcp:test' });
  const [c, s] = InMemoryTransport.createLinkedPair();
  await server.connect(s);
  await client.connect(c);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

beforeAll(async () => {
  app = await startTestApp();
  app.services.accounts.create(
    { name: 'careful', exchange: 'paper', exchange_account_id: 'careful', initial_balances: { USD: '10000', BTC: '1' }, require_confirmation: true },
    'test',
  );
  eliciting = new Client({ name: 'human-in-the-loop', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  eliciting.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(req.params);
    return answer === 'accept' ? { action: 'accept', content: {} } : { action: answer };
  });
  await connect(eliciting);
  plain = await connect(new Client({ name: 'no-elicitation', version: '1.0.0' }));
});
afterAll(async () => {
  for (const c of closers) await c();
  await app?.close();
});

const order = (cid: string) => ({ account: 'careful', market: 'btcusd', side: 'buy', type: 'limit', amount: '0.001', price: '20000', client_order_id: cid });

async function stored(cid: string): Promise<boolean> {
  const r = await call(eliciting, 'get_order', { account: 'careful', client_order_id: cid });
  if (!r.ok) expect(r.error.code).toBe('ORDER_NOT_FOUND');
  return r.ok;
}

describe('place_order on an account with require_confirmation', () => {
  it('get_account shows the setting', async () => {
    expect(await ok(plain, 'get_account', { account: 'careful' })).toMatchObject({ require_confirmation: true });
    expect(await ok(plain, 'get_account', { account: 'paper' })).toMatchObject({ require_confirmation: false });
  });

  it('accept: the human sees the order summary, and the order is placed', async () => {
    answer = 'accept';
    const before = asked.length;
    const placed = await ok(eliciting, 'place_order', order('conf-accept'));
    expect(placed.order).toMatchObject({ client_order_id: 'conf-accept', status: 'open' });
    expect(asked).toHaveLength(before + 1);
    const msg = asked.at(-1)!.message;
    expect(msg).toMatch(/^BUY 0\.001 BTC on btcusd at 20000 USD \(limit, gtc\), about 20 USD, on account careful \(paper:careful, paper\), client_order_id conf-accept/);
    // A retry of the same client_order_id replays the placed order without asking again.
    expect(await ok(eliciting, 'place_order', order('conf-accept'))).toMatchObject({ replayed: true });
    expect(asked).toHaveLength(before + 1);
  });

  it('decline or cancel: an error with CONFIRMATION_DECLINED, and no order is stored or sent', async () => {
    const digest = app.digest();
    for (const action of ['decline', 'cancel'] as const) {
      answer = action;
      const e = await fail(eliciting, 'place_order', order(`conf-${action}`));
      expect(e.code).toBe('CONFIRMATION_DECLINED');
      expect(e.details).toMatchObject({ action });
      expect(e.message).toMatch(/nothing was placed/);
      expect(await stored(`conf-${action}`)).toBe(false);
    }
    await app.settle();
    expect(app.digest()).toBe(digest);
  });

  it('a client without the elicitation capability gets CONFIRMATION_REQUIRED saying why; nothing is stored', async () => {
    const before = asked.length;
    const e = await fail(plain, 'place_order', order('conf-plain'));
    expect(e.code).toBe('CONFIRMATION_REQUIRED');
    expect(e.message).toMatch(/elicitation capability/);
    expect(e.message).toMatch(/require_confirmation/);
    expect(await stored('conf-plain')).toBe(false);
    expect(asked).toHaveLength(before);
  });

  it('an order the market rules refuse is refused before anyone is asked; other accounts are never asked', async () => {
    answer = 'accept';
    const before = asked.length;
    expect((await fail(eliciting, 'place_order', { ...order('conf-bad'), amount: '0.123456789' })).code).toBe('PRECISION_VIOLATION');
    await ok(eliciting, 'place_order', { ...order('conf-other'), account: 'paper' });
    expect(asked).toHaveLength(before);
  });

  it('turning the setting off (service update, as the dashboard and CLI do) stops the asking', async () => {
    app.services.accounts.update('careful', { require_confirmation: false }, 'test');
    expect(await ok(plain, 'get_account', { account: 'careful' })).toMatchObject({ require_confirmation: false });
    expect((await ok(plain, 'place_order', order('conf-off'))).order).toMatchObject({ status: 'open' });
    app.services.accounts.update('careful', { require_confirmation: true }, 'test');
    expect((await fail(plain, 'place_order', order('conf-on-again'))).code).toBe('CONFIRMATION_REQUIRED');
  });
});

describe('over Streamable HTTP (the elicitation travels on the GET stream)', () => {
  it('accept places, decline places nothing', async () => {
    const token = 'confirm-token-0123456789abcdef';
    const handler = createMcpHttpHandler({ services: app.services, token, logger: silentLogger() });
    const server = http.createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const client = new Client({ name: 'http-human', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const seen: string[] = [];
    let reply: ElicitResult['action'] = 'accept';
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      seen.push(req.params.message);
      return reply === 'accept' ? { action: 'accept', content: {} } : { action: reply };
    });
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      expect((await ok(client, 'place_order', order('http-accept'))).order).toMatchObject({ client_order_id: 'http-accept', status: 'open' });
      reply = 'decline';
      expect(await fail(client, 'place_order', order('http-decline'))).toMatchObject({ code: 'CONFIRMATION_DECLINED', details: { action: 'decline' } });
      expect(await stored('http-decline')).toBe(false);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatch(/client_order_id http-accept/);
    } finally {
      await client.close().catch(() => undefined);
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 20_000);
});

/** The client end of a stdio pipe (newline-delimited JSON-RPC), as a spawned server would be spoken to. */
class PipeClientTransport implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  private readonly buffer = new ReadBuffer();
  constructor(
    private readonly fromServer: PassThrough,
    private readonly toServer: PassThrough,
  ) {}
  async start(): Promise<void> {
    this.fromServer.on('data', (d: Buffer) => {
      this.buffer.append(d);
      for (let m = this.buffer.readMessage(); m; m = this.buffer.readMessage()) this.onmessage?.(m);
    });
  }
  async send(m: JSONRPCMessage): Promise<void> {
    this.toServer.write(serializeMessage(m));
  }
  async close(): Promise<void> {
    this.toServer.end();
    this.onclose?.();
  }
}

describe('over stdio (serveStdio, newline-delimited JSON-RPC)', () => {
  it('accept places, decline places nothing', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const session = await serveStdio({ services: app.services, readOnly: false, logger: silentLogger(), stdin, stdout });
    const client = new Client({ name: 'stdio-human', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    let reply: ElicitResult['action'] = 'accept';
    client.setRequestHandler(ElicitRequestSchema, () => (reply === 'accept' ? { action: 'accept', content: {} } : { action: reply }));
    await client.connect(new PipeClientTransport(stdout, stdin));
    try {
      expect((await ok(client, 'place_order', order('stdio-accept'))).order).toMatchObject({ client_order_id: 'stdio-accept', status: 'open' });
      reply = 'decline';
      expect((await fail(client, 'place_order', order('stdio-decline'))).code).toBe('CONFIRMATION_DECLINED');
      expect(await stored('stdio-decline')).toBe(false);
    } finally {
      await client.close();
      await session.closed;
    }
  });
});

describe('elicitationConfirmer', () => {
  it('no answer in time is "unanswered" (not a yes); a client without the capability gets no confirmer', async () => {
    const server = new Server({ name: 's', version: '1' }, { capabilities: {} });
    const client = new Client({ name: 'slow-human', version: '1' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, () => new Promise<never>(() => undefined));
    const [c, t] = InMemoryTransport.createLinkedPair();
    await server.connect(t);
    await client.connect(c);
    const confirm = elicitationConfirmer(server, undefined, 50)!;
    expect(await confirm({ account: 'paper:x', message: 'BUY 1 BTC' })).toBe('unanswered');
    await client.close();
    await server.close();

    const bare = new Server({ name: 's', version: '1' }, { capabilities: {} });
    const [c2, t2] = InMemoryTransport.createLinkedPair();
    await bare.connect(t2);
    const noCap = new Client({ name: 'plain', version: '1' });
    await noCap.connect(c2);
    expect(elicitationConfirmer(bare)).toBeUndefined();
    await noCap.close();
    await bare.close();
  });
});
