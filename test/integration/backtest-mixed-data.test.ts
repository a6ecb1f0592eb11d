/**
 * Mixed data through the real SDK client: backtest_create with `data` = [trades file, quotes file]
 * of btcusd. A market buy takes the quoted ask (the book comes from the quotes file), a resting
 * buy fills on a trade print through its price (trades file); pnl marks at the last trade; the
 * digest is identical across two runs; a bad source is named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useAppClient } from '../unit/mcp-app-client.ts';
import { fail, ok } from '../unit/mcp-harness.ts';
import { tempDataDir } from './mcp-app.ts';

const ctx = useAppClient();
const dir = tempDataDir('bt-mixed-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tradesFile = path.join(dir, 'btcusd-trades.csv');
const quotesFile = path.join(dir, 'btcusd-quotes.csv');
fs.writeFileSync(
  tradesFile,
  ['timestamp,price,amount,side', '2026-01-01T00:00:30Z,50000,0.1,buy', '2026-01-01T00:01:30Z,49900,0.1,sell', '2026-01-01T00:02:30Z,49700,0.5,sell', ''].join('\n'),
);
fs.writeFileSync(
  quotesFile,
  [
    'timestamp,bid,ask,bid_amount,ask_amount',
    '2026-01-01T00:00:00Z,49990,50010,2,2',
    '2026-01-01T00:01:00Z,49890,49910,2,2',
    '2026-01-01T00:02:00Z,49790,49810,2,2',
    '',
  ].join('\n'),
);

type Fill = { order_id: string; amount: string; price: string; liquidity: string; at: string };

/** The same rows inline: `data` may mix paths and inline objects too. */
function inline(file: string, kind: 'trades' | 'quotes'): Record<string, Record<string, string>[]> {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return { [kind]: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v]))) };
}

async function run(data: unknown[] = [tradesFile, quotesFile]): Promise<Record<string, unknown>> {
  const { client } = ctx;
  const bt = await ok(client, 'backtest_create', { data, initial_balances: { USD: '100000', BTC: '1' }, fees: { maker: '0.003', taker: '0.004' } });
  expect(bt.clock).toBe('2026-01-01T00:00:00.000Z'); // the first quote
  expect(bt.markets).toEqual(['btcusd']);
  const account = bt.account as string;
  // The first quote sets the book (before it a market buy would wait for a price).
  const open = await ok(client, 'backtest_advance', { backtest_id: bt.backtest_id, until: '2026-01-01T00:00:00Z' });
  expect([open.events_processed, open.fills]).toEqual([1, []]);
  const taker = await ok(client, 'place_order', { account, market: 'btcusd', side: 'buy', type: 'market', amount: '0.5', client_order_id: 'take' });
  const maker = await ok(client, 'place_order', { account, market: 'btcusd', side: 'buy', type: 'limit', amount: '0.2', price: '49800', client_order_id: 'rest' });
  const takerId = (taker.order as { order_id: string }).order_id;
  const makerId = (maker.order as { order_id: string; status: string }).order_id;
  expect((maker.order as { status: string }).status).toBe('open'); // below the quoted ask: it rests

  // To 00:02:10: the print at 49900 and the quotes down to 49790/49810 do not fill a buy at 49800.
  const mid = await ok(client, 'backtest_advance', { backtest_id: bt.backtest_id, until: '2026-01-01T00:02:10Z' });
  expect((mid.fills as Fill[]).map((f) => f.order_id)).toEqual([takerId]);
  const end = await ok(client, 'backtest_advance', { backtest_id: bt.backtest_id });
  expect(end.done).toBe(true);
  expect((end.fills as Fill[]).map((f) => [f.order_id, f.amount, f.price, f.liquidity, f.at])).toEqual([
    [makerId, '0.2', '49800', 'maker', '2026-01-01T00:02:30.000Z'], // the sell print at 49700 went through it
  ]);
  return ok(client, 'backtest_report', { backtest_id: bt.backtest_id, fills: 'all' });
}

describe('backtest_create with a trades file and a quotes file', () => {
  it('takes from the quoted book, fills resting orders on prints, marks at the last trade, same digest twice', async () => {
    const r = await run();
    const fills = r.fills as Fill[];
    // The market buy took the quoted ask at arrival (no trade had printed yet).
    expect(fills.map((f) => [f.amount, f.price, f.liquidity, f.at])).toEqual([
      ['0.5', '50010', 'taker', '2026-01-01T00:00:00.000Z'],
      ['0.2', '49800', 'maker', '2026-01-01T00:02:30.000Z'],
    ]);
    // USD 100000 − 25005 − 100.02 (taker fee) − 9960 − 29.88 (maker fee) = 64905.10; BTC 1.7.
    const bal = Object.fromEntries((r.balances as { currency: string; total: string }[]).map((b) => [b.currency, b.total]));
    expect([bal.USD, bal.BTC]).toEqual(['64905.1', '1.7']);
    // Start: 100000 + 1 × 50000 (first mark: the first quote's mid); end: 64905.10 + 1.7 × 49700 (last trade).
    const curve = r.equity_curve as { at: string; equity: string }[];
    expect([curve[0], curve[curve.length - 1]]).toEqual([
      { at: '2026-01-01T00:00:00.000Z', equity: '150000' },
      { at: '2026-01-01T00:02:30.000Z', equity: '149395.1' },
    ]);
    expect(r.pnl).toEqual({ quote_currency: 'USD', value: '-604.9' });

    const again = await run();
    expect(again.digest).toBe(r.digest);
    expect(again.digest).toMatch(/^[0-9a-f]{64}$/);
    const mixed = await run([tradesFile, inline(quotesFile, 'quotes')]);
    expect([mixed.digest, mixed.pnl]).toEqual([r.digest, r.pnl]);
  });

  it('names a bad source and keeps the single-source form', async () => {
    const e = await fail(ctx.client, 'backtest_create', { data: [tradesFile, { bars: [] }], initial_balances: { USD: '1' } });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^data(\.1)?: must be a file path or an object/);
    const single = await ok(ctx.client, 'backtest_create', { data: tradesFile, initial_balances: { USD: '1' } });
    expect(single.clock).toBe('2026-01-01T00:00:30.000Z');
  });
});
