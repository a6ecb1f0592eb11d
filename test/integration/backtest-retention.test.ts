/**
 * Backtests hold their market data in memory and nothing in the contract ends one: beyond the
 * retention limits the least recently used end, as a restart would end them (orders expire with
 * the reason, the account refuses new orders), and the server's memory stays bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/main.ts';
import { FixedPriceSource } from '../../src/exchanges/paper-price-sources.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BacktestRetention } from '../../src/services/backtest-retention.ts';
import { rejectedDomainError } from '../fixtures/domain-errors.ts';
import { tempDataDir } from './mcp-app.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const trades = (n: number) => Array.from({ length: n }, (_, i) => ({ timestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), price: '50000', amount: '0.1', side: 'buy' }));
const input = (n: number) => ({ data: { trades: trades(n) }, initial_balances: { USD: '10000' } });

describe('backtest retention', () => {
  it('ends the least recently used backtest beyond the limit: its orders expire, its account refuses orders, the others go on', async () => {
    app = await createApp(loadConfig({ EXEC_MCP_DATA_DIR: tempDataDir('exec-mcp-bt-retention-'), EXEC_MCP_OFFLINE: '1' }), {
      logger: silentLogger(),
      priceSource: new FixedPriceSource({ btcusd: '50000' }),
      backtestRetention: { maxSessions: 2, maxEvents: 1_000 },
    });
    await app.start();
    const { backtests, orders } = app.services;
    const a = await backtests.create(input(5), 'test');
    const b = await backtests.create(input(5), 'test');
    const resting = await orders.place(a.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' }, 'test');
    await backtests.advance({ backtest_id: a.backtest_id, steps: 1 }, 'test'); // a is now used more recently than b
    const c = await backtests.create(input(5), 'test'); // third one: b, the least recently used, ends

    const ended = await rejectedDomainError(backtests.advance({ backtest_id: b.backtest_id, steps: 1 }, 'test'));
    expect(ended.code).toBe('INVALID_ARGUMENT');
    expect(ended.message).toMatch(/backtest .* has ended: .*least recently used.*create a new backtest/);
    const refused = await rejectedDomainError(orders.place(b.account, { market: 'btcusd', side: 'buy', type: 'limit', amount: '0.01', price: '40000' }, 'test'));
    expect(refused.code).toBe('ACCOUNT_DISABLED');

    expect(orders.get(a.account, { order_id: resting.order_id }).status).toBe('open');
    await expect(backtests.advance({ backtest_id: a.backtest_id, steps: 1 }, 'test')).resolves.toMatchObject({ events_processed: 1 });
    await expect(backtests.report({ backtest_id: c.backtest_id })).resolves.toMatchObject({ backtest_id: c.backtest_id });

    // Too many events held: the oldest go; the new one holds the whole budget.
    const big = await backtests.create(input(1_000), 'test');
    for (const gone of [a, c]) expect((await rejectedDomainError(backtests.report({ backtest_id: gone.backtest_id }))).message).toMatch(/has ended/);
    // Expired at the backtest's last simulated time (two steps: 00:01), not the wall clock.
    expect(orders.get(a.account, { order_id: resting.order_id })).toMatchObject({ status: 'expired', status_reason: expect.stringMatching(/no longer in memory/), updated_at: '2026-01-01T00:01:00.000Z' });
    await expect(backtests.advance({ backtest_id: big.backtest_id, steps: 10 }, 'test')).resolves.toMatchObject({ events_processed: 10 });

    // One that alone is over the budget could only stay by breaking it: refused, nothing ended.
    const over = await rejectedDomainError(backtests.create(input(1_001), 'test'));
    expect(over.code).toBe('INVALID_ARGUMENT');
    expect(over.message).toBe(
      'data.trades[1000]: more than 1000 market-data events, the limit of a backtest and of all live backtests together (raise it with EXEC_MCP_BACKTEST_MAX_EVENTS); give less data or split it',
    );
    await expect(backtests.report({ backtest_id: big.backtest_id })).resolves.toMatchObject({ backtest_id: big.backtest_id });
  });
});

describe('BacktestRetention', () => {
  it('picks the least recently used first, never the one to keep, until both limits hold', () => {
    const r = new BacktestRetention({ maxSessions: 2, maxEvents: 100 });
    r.add('a', 10);
    r.add('b', 10);
    r.add('c', 10);
    expect(r.beyondLimits('c')).toEqual(['a']);
    r.touch('a');
    expect(r.beyondLimits('c')).toEqual(['b']);
    r.remove('b');
    r.add('d', 95);
    expect(r.beyondLimits('d')).toEqual(['c', 'a']);
    expect(r.beyondLimits('a')).toEqual(['c', 'd']);
  });
});
