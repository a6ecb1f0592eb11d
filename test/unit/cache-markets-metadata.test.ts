/**
 * The metadata cache is loaded from SQLite at start. Rows that fail the market/currency schema are
 * skipped; a row whose json column is not JSON at all (a damaged db) must be skipped the same way,
 * not stop the service from starting.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { loadBundledSnapshot } from '../../src/exchanges/bitstamp/metadata.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { MarketsServiceImpl } from '../../src/services/markets.ts';

let dir: string;
let db: Db;
const clock = new ManualClock(Date.UTC(2026, 0, 2));

function service(): MarketsServiceImpl {
  return new MarketsServiceImpl({ db, clock, sources: {}, bundled: { bitstamp: loadBundledSnapshot }, offline: true, logger: silentLogger() });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cache-markets-'));
  db = openDb(path.join(dir, 'exec-mcp.sqlite'));
  migrate(db);
});
afterEach(() => {
  closeDb(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('metadata cache with damaged rows', () => {
  it('skips market and currency rows that are not JSON and serves the rest', () => {
    service().init(); // seeds the cache from the bundled snapshot
    const count = (db.prepare("SELECT COUNT(*) AS n FROM metadata_markets WHERE exchange = 'bitstamp'").get() as { n: number }).n;
    expect(count).toBeGreaterThan(1);
    db.prepare("UPDATE metadata_markets SET json = '{\"market\":\"btcusd\",' WHERE exchange = 'bitstamp' AND market = 'btcusd'").run();
    db.prepare("UPDATE metadata_currencies SET json = 'not json' WHERE exchange = 'bitstamp' AND code = 'BTC'").run();

    const markets = service();
    expect(() => markets.init()).not.toThrow();
    expect(markets.findMarket('bitstamp', 'btcusd')).toBeUndefined();
    expect(markets.listMarkets('bitstamp')).toHaveLength(count - 1);
    expect(markets.listCurrencies('bitstamp').some((c) => c.code === 'BTC')).toBe(false);
    expect(markets.listCurrencies('bitstamp').length).toBeGreaterThan(0);
  });
});
