/**
 * AdapterRegistry caches one adapter per AccountKey. SQLite reuses the key of a removed account
 * (accounts.id is INTEGER PRIMARY KEY without AUTOINCREMENT), and the CLI may remove and re-create
 * accounts in another process while the server runs: a cached adapter must never serve another account.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountRepository } from '../../src/accounts/repository.ts';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { AccountRecord } from '../../src/domain/account.ts';
import type { ExchangeAdapter } from '../../src/exchanges/adapter.ts';
import { AdapterRegistry } from '../../src/runtime/adapter-registry.ts';

/** A stand-in adapter that says which account it was built for (only `exchange`, `close` and the label are used). */
function fakeAdapter(exchange: string, builtFor: string, closed: string[]): ExchangeAdapter & { builtFor: string } {
  const never = (): Promise<never> => Promise.reject(new Error('not used in this test'));
  return {
    exchange,
    builtFor,
    placeOrder: never,
    cancelOrder: never,
    cancelAllOrders: never,
    queryOrder: never,
    listOpenOrders: never,
    listFills: never,
    getBalances: never,
    getFees: never,
    subscribe: () => () => undefined,
    start: async () => undefined,
    close: async () => void closed.push(builtFor),
  };
}

let dir: string;
let serverDb: Db;
let cliDb: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cache-registry-'));
  const file = path.join(dir, 'exec-mcp.sqlite');
  serverDb = openDb(file);
  migrate(serverDb);
  cliDb = openDb(file); // the CLI: another connection (process) on the same file
});
afterEach(() => {
  closeDb(cliDb);
  closeDb(serverDb);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AdapterRegistry and reused account keys', () => {
  it('does not hand the adapter of a removed account to the account that got its key', () => {
    const closed: string[] = [];
    const registry = new AdapterRegistry({
      paper: (r: AccountRecord) => fakeAdapter('paper', r.ref, closed),
      bitstamp: (r: AccountRecord) => fakeAdapter('bitstamp', r.ref, closed),
    });
    const server = new AccountRepository(serverDb);
    const cli = new AccountRepository(cliDb);

    const old = cli.insert({ name: 'sandbox', exchange: 'paper', exchange_account_id: 'sandbox', mode: 'paper', enabled: true, limits: {} }, '2026-01-02T00:00:00.000Z');
    const first = registry.get(server.resolve('sandbox')) as ExchangeAdapter & { builtFor: string };
    expect(first.builtFor).toBe('paper:sandbox');

    // The CLI removes it (no order history) and adds a live account, which gets the same key.
    cli.delete(old.key);
    const live = cli.insert({ name: 'main', exchange: 'bitstamp', exchange_account_id: '123456', mode: 'live', enabled: true, limits: {} }, '2026-01-02T00:05:00.000Z');
    expect(live.key).toBe(old.key);

    const adapter = registry.get(server.resolve('main')) as ExchangeAdapter & { builtFor: string };
    expect(adapter.exchange).toBe('bitstamp');
    expect(adapter.builtFor).toBe('bitstamp:123456');
    expect(closed).toEqual(['paper:sandbox']); // the stale adapter was shut down
    // Later lookups reuse the new adapter.
    expect(registry.get(server.resolve('main'))).toBe(adapter);
  });

  it('a re-created paper account does not inherit the old simulator either', () => {
    const closed: string[] = [];
    const registry = new AdapterRegistry({ paper: (r: AccountRecord) => fakeAdapter('paper', `${r.ref}@${r.account.created_at}`, closed) });
    const server = new AccountRepository(serverDb);
    const cli = new AccountRepository(cliDb);
    const a = cli.insert({ name: 'p', exchange: 'paper', exchange_account_id: 'p', mode: 'paper', enabled: true, limits: {} }, '2026-01-02T00:00:00.000Z');
    const first = registry.get(server.resolve('p'));
    cli.delete(a.key);
    cli.insert({ name: 'p', exchange: 'paper', exchange_account_id: 'p', mode: 'paper', enabled: true, limits: {} }, '2026-01-02T00:10:00.000Z');
    const second = registry.get(server.resolve('p')) as ExchangeAdapter & { builtFor: string };
    expect(second).not.toBe(first);
    expect(second.builtFor).toBe('paper:p@2026-01-02T00:10:00.000Z');
  });

  it('a paper account whose mode changed gets the venue of its new mode', () => {
    const closed: string[] = [];
    const registry = new AdapterRegistry({ paper: (r: AccountRecord) => fakeAdapter('paper', `${r.ref}:${r.account.mode}`, closed) });
    const repo = new AccountRepository(serverDb);
    const a = repo.insert({ name: 'p', exchange: 'paper', exchange_account_id: 'p', mode: 'paper', enabled: true, limits: {} }, '2026-01-02T00:00:00.000Z');
    registry.get(a);
    const switched = repo.update(a.key, { mode: 'backtest' }, '2026-01-02T01:00:00.000Z');
    expect((registry.get(switched) as ExchangeAdapter & { builtFor: string }).builtFor).toBe('paper:p:backtest');
    expect(closed).toEqual(['paper:p:paper']);
  });

  it('an account that is only updated keeps its adapter', () => {
    const registry = new AdapterRegistry({ paper: (r: AccountRecord) => fakeAdapter('paper', r.ref, []) });
    const repo = new AccountRepository(serverDb);
    const a = repo.insert({ name: 'p', exchange: 'paper', exchange_account_id: 'p', mode: 'paper', enabled: true, limits: {} }, '2026-01-02T00:00:00.000Z');
    const first = registry.get(a);
    const renamed = repo.update(a.key, { name: 'q', enabled: false, limits: { kill_switch: true } }, '2026-01-02T01:00:00.000Z');
    expect(registry.get(renamed)).toBe(first);
  });
});
