/**
 * require_confirmation: place_order asks the human through MCP elicitation and places only on accept.
 * Real app (paper venue: the setting applies on every mode, so paper rehearses what live does), SDK
 * clients in-process: one that declares `elicitation` and answers per test, one that does not.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer } from '../../src/mcp/server.ts';
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
