import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseBacktestArgs } from '../../src/commands/backtest.ts';
import { parseOrdersScript } from '../../sim/orders-script.ts';
import { thrownDomainError } from '../fixtures/domain-errors.ts';

const DATA = 'sim/sample-data/btcusd-trades-sample.csv';
const ORDERS = 'sim/sample-data/sample-orders.jsonl';
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/exec-mcp.js', 'backtest', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const err = thrownDomainError;

describe('exec-mcp backtest (headless)', () => {
  it('prints the report JSON; the service run and the simulator alone give the same digest and balances', () => {
    const args = ['--data', DATA, '--orders', ORDERS, '--balance', 'USD=10000', '--balance', 'BTC=0.1', '--seed', '7', '--fees', '0.003,0.004'];
    const svc = cli(...args);
    const alone = cli(...args, '--sim-only');
    expect(svc.code).toBe(0);
    expect(alone.code).toBe(0);
    const a = JSON.parse(svc.out) as { engine: string; digest: string; balances: unknown; fills: { fill_id: string }[]; rejected: { code: string }[]; pnl: unknown };
    const b = JSON.parse(alone.out) as typeof a;
    expect([a.engine, b.engine]).toEqual(['service', 'sim-only']);
    expect(a.fills.length).toBeGreaterThan(2);
    expect(a.digest).toBe(b.digest);
    expect(a.balances).toEqual(b.balances);
    expect(a.pnl).toEqual(b.pnl);
    expect(a.rejected.map((r) => r.code)).toEqual(['INSUFFICIENT_FUNDS', 'ORDER_NOT_CANCELLABLE']);
    expect(b.rejected.map((r) => r.code)).toEqual(['INSUFFICIENT_FUNDS', 'ORDER_NOT_FOUND']);
    expect(cli(...args, '--sim-only', '--seed', '7').out).toBe(alone.out); // byte-identical
  }, 60_000);

  it('without --orders the data replays with no orders: no fills, balances as given', () => {
    for (const extra of [[], ['--sim-only']]) {
      const r = cli('--data', DATA, '--balance', 'USD=500', ...extra);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as { fills: unknown[]; balances: { currency: string; total: string }[]; rejected: unknown[] };
      expect(report.fills).toEqual([]);
      expect(report.rejected).toEqual([]);
      expect(report.balances.find((b) => b.currency === 'USD')?.total).toBe('500');
    }
  }, 60_000);

  it('bad arguments exit 2 with one readable line on stderr and nothing on stdout', () => {
    const r = cli('--orders', ORDERS);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: INVALID_ARGUMENT: --data is required/);
    expect(cli('--data', '/nope.csv', '--orders', ORDERS, '--sim-only').err).toMatch(/data file \/nope.csv does not exist/);
  }, 60_000);

  it('parses flags and ORDERS lines with clear errors', () => {
    expect(parseBacktestArgs(['--data', 'd', '--orders', 'o'])).toEqual({ data: 'd', orders: 'o', balances: { USD: '10000' }, simOnly: false });
    expect(parseBacktestArgs(['--data', 'd', '--orders', 'o', '--balance', 'btc=1.5', '--fees', '0.001,0.002', '--seed', '9', '--latency-ms', '250'])).toMatchObject({
      balances: { BTC: '1.5' },
      fees: { maker: '0.001', taker: '0.002' },
      seed: 9,
      latencyMs: 250,
    });
    expect(err(() => parseBacktestArgs(['--data', 'd', '--orders', 'o', '--fees', '0.1'])).message).toMatch(/--fees 0.1: expected maker,taker/);
    expect(err(() => parseBacktestArgs(['--data', 'd', '--orders', 'o', '--balance', 'USD'])).message).toMatch(/--balance USD: expected CUR=AMOUNT/);
    expect(err(() => parseBacktestArgs(['--data', 'd', '--orders', 'o', '--seed', 'x'])).message).toMatch(/--seed must be a whole number/);
    expect(err(() => parseBacktestArgs(['--data', 'd', '--orders', 'o', '--wat'])).message).toMatch(/unknown flag --wat/);

    const steps = parseOrdersScript('{"at":"2026-01-01T00:00:00Z","place":{"market":"btcusd","side":"buy","type":"market","amount":"0.1"}}\n\n{"at":1767225600001,"cancel":"line-1"}\n', 'o.jsonl');
    expect(steps).toEqual([
      { line: 1, at: 1767225600000, place: { market: 'btcusd', side: 'buy', type: 'market', amount: '0.1', client_order_id: 'line-1' } },
      { line: 3, at: 1767225600001, cancel: 'line-1' },
    ]);
    expect(err(() => parseOrdersScript('{"at":1,"place":{"market":"btcusd","side":"up","type":"market","amount":"1"}}', 'o.jsonl')).message).toMatch(/^o.jsonl line 1: field "/);
    expect(err(() => parseOrdersScript('{"at":5,"cancel":"a"}\n{"at":4,"cancel":"b"}', 'o.jsonl')).message).toBe('o.jsonl line 2: field "at": expected lines in time order');
    expect(err(() => parseOrdersScript('nope', 'o.jsonl')).message).toBe('o.jsonl line 1: expected one JSON object per line');
  });
});
