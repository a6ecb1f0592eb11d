import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

  it('candles with jitter, touch chance and cancel latency: the service and the simulator alone agree, byte for byte across runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-cli-candles-'));
    try {
      const data = path.join(dir, 'btcusd-candles.csv');
      const rows = ['timestamp,open,high,low,close,volume'];
      let p = 60000;
      for (let i = 0; i < 60; i++) {
        const c = p + ((i * 37) % 11) * 20 - 100;
        rows.push(`${new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()},${p},${Math.max(p, c) + 40},${Math.min(p, c) - 40},${c},${(0.5 + (i % 3) * 0.25).toFixed(2)}`);
        p = c;
      }
      fs.writeFileSync(data, rows.join('\n') + '\n');
      const orders = path.join(dir, 'orders.jsonl');
      const lines: string[] = [];
      for (let i = 0; i < 10; i++) {
        const at = new Date(Date.UTC(2026, 0, 1, 0, i * 5, 7)).toISOString();
        lines.push(JSON.stringify({ at, place: { market: 'btcusd', side: i % 2 ? 'sell' : 'buy', type: 'limit', amount: '0.05', price: String(60000 + (i % 2 ? 60 : -60)), client_order_id: `o${i}` } }));
        lines.push(JSON.stringify({ at: new Date(Date.UTC(2026, 0, 1, 0, i * 5 + 2, 30)).toISOString(), cancel: `o${i}` }));
      }
      fs.writeFileSync(orders, lines.join('\n') + '\n');
      const args = ['--data', data, '--orders', orders, '--balance', 'USD=100000', '--balance', 'BTC=1', '--seed', '9', '--latency-ms', '20000', '--latency-jitter-ms', '30000', '--prob-fill-on-touch', '0.5', '--interval', '1m'];
      const svc = cli(...args);
      const alone = cli(...args, '--sim-only');
      expect(svc.code, svc.err).toBe(0);
      expect(alone.code, alone.err).toBe(0);
      const a = JSON.parse(svc.out) as { digest: string; fills: unknown[]; balances: unknown; pnl: unknown };
      const b = JSON.parse(alone.out) as typeof a;
      expect(a.fills.length).toBeGreaterThan(0);
      expect(a.digest).toBe(b.digest);
      expect(a.balances).toEqual(b.balances);
      expect(a.pnl).toEqual(b.pnl);
      expect(cli(...args, '--sim-only').out).toBe(alone.out);
      expect(JSON.parse(cli(...args.slice(0, 8), '--seed', '10', ...args.slice(10), '--sim-only').out).digest).not.toBe(b.digest);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
    expect(parseBacktestArgs(['--data', 'd', '--latency-jitter-ms', '40', '--prob-fill-on-touch', '0.5', '--interval', '5m'])).toMatchObject({ latencyJitterMs: 40, probFillOnTouch: 0.5, interval: '5m' });
    expect(err(() => parseBacktestArgs(['--data', 'd', '--prob-fill-on-touch', '2'])).message).toMatch(/--prob-fill-on-touch 2: expected a chance in \[0, 1\]/);

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
