/**
 * Issue 21 "Identity": a Bitstamp account's key must be that account's. The emulator's
 * websockets_token/ names each key's user id; an account whose exchange_account_id differs (the
 * impostor) is refused with nothing sent to any trading or account endpoint, and its private
 * stream stops with the reason instead of retrying.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../src/domain/account.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { limitCommand } from '../fixtures/adapter-commands.ts';
import { MAIN, eventually, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

let h: Harness;
let states: Array<{ account: string; state: string; lastError?: string }>;
beforeEach(async () => {
  states = [];
  h = await startHarness({
    factory: {
      onConnectionState: (record: AccountRecord, state: string, lastError?: string) =>
        states.push({ account: record.ref, state, ...(lastError !== undefined && { lastError }) }),
    },
  });
});
afterEach(async () => {
  await h.close();
});

const endpoints = (): string[] => h.emulator.requests.map((r) => r.endpoint);
const errorOf = async (p: Promise<unknown>): Promise<DomainError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DomainError);
  return e as DomainError;
};

describe('Bitstamp identity check', () => {
  it('the impostor account (id 999999, key of user 100001) is refused with nothing sent', async () => {
    const { adapter } = h.adapterFor(MAIN, '999999');
    const e = await errorOf(adapter.placeOrder(limitCommand({ clientOrderId: 'impostor-1' })));
    expect(e.code).toBe('NO_CREDENTIALS');
    expect(e.message).toContain('belongs to Bitstamp user 100001');
    // Every other call is refused from the known answer: no second identity call, nothing else.
    expect((await errorOf(adapter.getBalances())).code).toBe('NO_CREDENTIALS');
    expect((await errorOf(adapter.cancelAllOrders())).code).toBe('NO_CREDENTIALS');
    expect((await errorOf(adapter.listOpenOrders())).code).toBe('NO_CREDENTIALS');
    expect(endpoints()).toEqual(['websockets_token/']);
    expect(h.emulator.engine.orders).toEqual([]);
  });

  it("the impostor's stream stops with the reason at connection start and does not retry", async () => {
    const { adapter } = h.adapterFor(MAIN, '999999');
    await adapter.start();
    const stopped = await eventually(() => states.find((s) => s.state === 'stopped'));
    expect(stopped).toMatchObject({ account: 'bitstamp:999999', lastError: expect.stringContaining('belongs to Bitstamp user 100001') });
    await new Promise((r) => setTimeout(r, 300)); // several backoff periods of the harness timing
    expect(endpoints()).toEqual(['websockets_token/']);
    expect(h.emulator.wsServer.subscriptions()).toEqual([]);
    // A second start (e.g. re-enabled) is refused from the known answer without a call.
    await adapter.close();
    await adapter.start();
    expect(states.at(-1)).toMatchObject({ state: 'stopped', lastError: expect.stringContaining('user 100001') });
    expect(endpoints()).toEqual(['websockets_token/']);
    // Nothing from the refused stream reaches a trading endpoint either.
    expect((await errorOf(adapter.placeOrder(limitCommand()))).code).toBe('NO_CREDENTIALS');
    expect(endpoints()).toEqual(['websockets_token/']);
  });

  it('calls made at once share one identity call', async () => {
    const { adapter } = h.adapterFor(MAIN, '100001');
    await Promise.all([adapter.getBalances(), adapter.listOpenOrders(), adapter.getFees()]);
    expect(endpoints().filter((e) => e === 'websockets_token/')).toHaveLength(1);
    expect(endpoints()[0]).toBe('websockets_token/'); // before anything else
  });

  it('a stored non-numeric id is stopped with a reason, without any call', async () => {
    const { adapter } = h.adapterFor(MAIN, 'abc');
    await adapter.start();
    expect(states).toEqual([{ account: 'bitstamp:abc', state: 'stopped', lastError: expect.stringContaining('numeric user id') }]);
    const e = await errorOf(adapter.placeOrder(limitCommand()));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(endpoints()).toEqual([]);
  });

  it("the account's own key passes: one identity call, learned from the stream's token when it came first", async () => {
    const { adapter, events } = h.adapterFor(MAIN, '100001');
    await adapter.start();
    await eventually(() => events.some((e) => e.type === 'connected'));
    await adapter.placeOrder(limitCommand({ clientOrderId: 'own-1' }));
    await adapter.getBalances();
    expect(endpoints().filter((e) => e === 'websockets_token/')).toHaveLength(1);
    expect(endpoints()).toContain('buy/btcusd/');
  });
});
