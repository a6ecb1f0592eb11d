/**
 * `accounts add --exchange paper --rules-from kraken`: the paper account's orders are checked against
 * kraken's cached market rules (seeded into SQLite here: offline, nothing is fetched), while a
 * default paper account keeps Bitstamp's. Real app, real CLI, real SQLite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccounts } from '../../src/commands/accounts.ts';
import { loadConfig } from '../../src/config.ts';
import { closeDb, openDb } from '../../src/db/connection.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { Market } from '../../src/domain/market.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { createApp, type App } from '../../src/main.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { tempDataDir } from './mcp-app.ts';

const ENV = { EXEC_MCP_EXCHANGES: 'bitstamp,kraken', EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'silent' };

/** Stricter than Bitstamp's btcusd (8 amount decimals, minimum 10 USD). */
const KRAKEN_BTCUSD: Market = {
  market: 'btcusd', name: 'BTC/USD', base: 'BTC', quote: 'USD', price_decimals: 0, amount_decimals: 4,
  instant_order_counter_decimals: 0, min_order_value: '50', trading_enabled: true, instant_and_market_orders_enabled: true,
};

async function cli(args: string[], dataDir: string, env: Record<string, string> = ENV): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
  const code = await runAccounts([...args, '--data-dir', dataDir], env, {
    stdin: Readable.from([]),
    stdout: sink,
    stderr: sink,
    openApp: (config, opts) => createApp(config, { logger: silentLogger(), ...opts }),
  });
  return { code, out };
}

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('paper accounts mirroring another exchange\'s rules (--rules-from)', () => {
  const dir = tempDataDir('exec-mcp-rules-from-');
  let app: App;

  beforeAll(async () => {
    const add = (name: string, extra: string[]) =>
      cli(['add', '--name', name, '--exchange', 'paper', '--exchange-account-id', name, '--balance', 'USD=100000', ...extra], dir);
    expect(await add('pk', ['--rules-from', 'kraken'])).toEqual({ code: 0, out: 'created account pk (paper:pk, mode paper)\n' });
    expect((await add('pb', [])).code).toBe(0);
    // kraken's metadata cache, as a refresh would have left it.
    const db = openDb(path.join(dir, 'exec-mcp.sqlite'));
    try {
      db.prepare('INSERT INTO metadata_markets (exchange, market, json) VALUES (?, ?, ?)').run('kraken', 'btcusd', JSON.stringify(KRAKEN_BTCUSD));
    } finally {
      closeDb(db);
    }
    app = await createApp(loadConfig({ ...ENV, EXEC_MCP_DATA_DIR: dir }), { logger: silentLogger(), priceSource: new FixedPriceSource({ btcusd: '50000' }) });
    await app.start();
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the account shows where its rules come from; a default paper account has no rules_from', async () => {
    expect(app.services.accounts.get('pk').rules_from).toBe('kraken');
    expect(app.services.accounts.get('pb').rules_from).toBeUndefined();
    const show = await cli(['show', 'pk'], dir);
    expect(show.out).toMatch(/market rules +from kraken/);
  });

  it('refuses below kraken\'s minimum and beyond its amount precision, where Bitstamp\'s rules accept', async () => {
    const small = { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.0005', price: '40000' } as const; // 20 USD
    expect((await refusal(app.services.orders.place('pk', small, 'test'))).code).toBe('BELOW_MINIMUM');
    const fine = { ...small, amount: '0.00123456' }; // 8 decimals, 49.38 USD
    const e = await refusal(app.services.orders.place('pk', fine, 'test'));
    expect(e.code).toBe('PRECISION_VIOLATION');
    expect(e.message).toContain('allows 4');
    // The same orders on a Bitstamp-rules paper account are placed (today's behaviour).
    expect((await app.services.orders.place('pb', small, 'test')).status).toBe('open');
    expect((await app.services.orders.place('pb', fine, 'test')).status).toBe('open');
    // Within kraken's rules the mirrored account trades.
    const ok = await app.services.orders.place('pk', { ...small, amount: '0.002' }, 'test');
    expect(ok.status).toBe('open');
    const preview = await app.services.orders.preview('pk', small);
    expect(preview.problems.map((p) => p.code)).toContain('BELOW_MINIMUM');
  });

  it('rules_from must be an enabled live exchange, and only on paper accounts', async () => {
    const base = ['add', '--exchange', 'paper', '--balance', 'USD=1'];
    const off = await cli([...base, '--name', 'x1', '--exchange-account-id', 'x1', '--rules-from', 'binance'], dir);
    expect(off.code).not.toBe(0);
    expect(off.out).toMatch(/rules_from.*must be one of bitstamp, paper, kraken/);
    const paper = await cli([...base, '--name', 'x2', '--exchange-account-id', 'x2', '--rules-from', 'paper'], dir);
    expect(paper.code).not.toBe(0);
    expect(paper.out).toMatch(/rules_from.*must be a live exchange/);
    const live = await cli(['add', '--name', 'x3', '--exchange', 'kraken', '--exchange-account-id', 'x3', '--rules-from', 'bitstamp'], dir);
    expect(live.code).not.toBe(0);
    expect(live.out).toMatch(/rules_from is only for paper accounts/);
  });
});
