/**
 * Random candle tapes through a backtest session (candles spread over their interval, orders placed
 * at random simulated times): money is conserved exactly, no fill happens before its order was
 * placed, every fill is at a print's time and within print × participation, and the equity curve
 * ends at the report's pnl.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { parseInlineMarketData } from '../../sim/market-data/parse.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';
import type { PlaceOrderCommand } from '../../src/exchanges/adapter.ts';
import type { TradePrint } from '../../sim/types.ts';
import { D, type Dec } from '../../src/domain/money.ts';
import { DomainError } from '../../src/domain/errors.ts';

const T0 = Date.UTC(2026, 0, 1);
const RUNS = Number(process.env.SIM_PROPERTY_RUNS ?? 60);
const INITIAL = { USD: '200000', BTC: '2' };

const candleArb = fc.record({
  move: fc.integer({ min: -300, max: 300 }),
  up: fc.integer({ min: 0, max: 200 }),
  down: fc.integer({ min: 0, max: 200 }),
  close: fc.integer({ min: 0, max: 100 }), // where the close sits between low and high, %
  volume: fc.integer({ min: 1, max: 400_000_000 }),
});
const orderArb = fc.record({
  atMs: fc.integer({ min: 0, max: 40 * 60_000 }),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  type: fc.constantFrom('limit' as const, 'limit' as const, 'market' as const),
  tif: fc.constantFrom('gtc' as const, 'ioc' as const, 'fok' as const),
  offset: fc.integer({ min: -400, max: 400 }),
  amount: fc.integer({ min: 100_000, max: 50_000_000 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 300_000 }), { freq: 3 }),
});
const scenarioArb = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  latency: fc.integer({ min: 0, max: 30_000 }),
  jitter: fc.integer({ min: 0, max: 10_000 }),
  touchProb: fc.constantFrom(1, 0.5),
  participation: fc.constantFrom(1, 0.25),
  candles: fc.array(candleArb, { minLength: 2, maxLength: 40 }),
  orders: fc.array(orderArb, { minLength: 1, maxLength: 25 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function run(s: Scenario) {
  let open = 60000;
  const rows = s.candles.map((c, i) => {
    const close = Math.max(200, open + c.move);
    const high = Math.max(open, close) + c.up;
    const low = Math.max(100, Math.min(open, close) - c.down);
    const row = { timestamp: new Date(T0 + i * 60_000).toISOString(), open: String(open), high: String(high), low: String(low), close: String(close), volume: (c.volume / 1e8).toFixed(8) };
    open = close;
    return row;
  });
  const data = parseInlineMarketData('candles', rows, 'btcusd');
  const session = new BacktestSession(
    data,
    { getMarket: bundledMarket, seed: s.seed, latencyMs: s.latency, latencyJitterMs: s.jitter, probFillOnTouch: s.touchProb, participation: s.participation, fees: { maker: '0.001', taker: '0.002' } },
    INITIAL,
  );
  const placedAt = new Map<string, number>();
  type Step = { at: number; run: () => void };
  const steps: Step[] = [];
  s.orders.forEach((o, k) => {
    const id = `o${k}`;
    const at = T0 + o.atMs;
    steps.push({
      at,
      run: () => {
        const last = Number(session.engine.lastPrice('btcusd') ?? 60000);
        const cmd: PlaceOrderCommand = { clientOrderId: id, market: 'btcusd', side: o.side, type: o.type, amount: new D(o.amount).div(1e8).toFixed(), timeInForce: o.type === 'limit' ? o.tif : 'gtc', postOnly: false };
        if (o.type === 'limit') cmd.price = String(Math.max(1, last + o.offset));
        try {
          session.engine.place(cmd);
          placedAt.set(id, session.clock());
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
        }
      },
    });
    if (o.cancelAfterMs !== null)
      steps.push({
        at: at + o.cancelAfterMs,
        run: () => {
          try {
            session.engine.cancel({ clientOrderId: id });
          } catch (err) {
            if (!(err instanceof DomainError)) throw err;
          }
        },
      });
  });
  for (const st of steps.sort((a, b) => a.at - b.at)) {
    session.runUntil(Math.max(st.at, session.clock()));
    st.run();
  }
  session.runToEnd();
  return { session, placedAt, prints: data.events.filter((e): e is TradePrint => e.kind === 'trade') };
}

describe('random candle tapes', () => {
  test.prop([scenarioArb], { numRuns: RUNS })('money conserved exactly; no fill before its order; fills at print times within print × participation', (s) => {
    const { session, placedAt, prints } = run(s);
    const expected = new Map<string, Dec>(Object.entries(INITIAL).map(([c, v]) => [c, new D(v)]));
    const add = (c: string, v: Dec) => expected.set(c, (expected.get(c) ?? new D(0)).plus(v));
    const perTs = new Map<string, Dec>();
    for (const f of session.engine.fills()) {
      const notional = new D(f.amount).times(f.price);
      if (f.side === 'buy') add('BTC', new D(f.amount)), add('USD', notional.neg());
      else add('BTC', new D(f.amount).neg()), add('USD', notional);
      add(f.feeCurrency, new D(f.fee).neg());
      const ts = Date.parse(f.at);
      expect(ts).toBeGreaterThanOrEqual(placedAt.get(f.clientOrderId!)! + s.latency);
      const at = prints.filter((p) => p.ts === ts);
      expect(at.length).toBeGreaterThan(0);
      const key = `${ts}/${f.side}`;
      perTs.set(key, (perTs.get(key) ?? new D(0)).plus(f.amount));
      const cap = at.reduce((acc, p) => acc.plus(p.amount!), new D(0)).times(s.participation);
      expect(perTs.get(key)!.lte(cap.times(2))).toBe(true); // takers and makers each get the share
    }
    for (const b of session.engine.ledger.report()) {
      expect(b.total).toBe(expected.get(b.currency)!.toFixed());
      expect(new D(b.total).gte(0) && new D(b.available).gte(0) && new D(b.reserved).gte(0)).toBe(true);
    }
    const r = session.report();
    expect(new D(r.equity_curve.at(-1)!.equity).minus(r.equity_curve[0]!.equity).toFixed()).toBe(new D(r.pnl.value).toFixed());
  });

  test.prop([scenarioArb], { numRuns: Math.ceil(RUNS / 2) })('identical inputs give identical digests', (s) => {
    expect(run(s).session.report().digest).toBe(run(s).session.report().digest);
  });
});
