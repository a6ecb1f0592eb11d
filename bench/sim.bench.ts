/**
 * Simulator throughput: replaying 1,000,000 trade prints through a backtest session, without orders
 * and with 10,000 resting orders (default fill model, then queue "at_touch"), each beside a baseline
 * plain loop over the same parsed events. Targets are issue 22's (>= 5M events/s without orders,
 * >= 1M with 10k resting orders). Also reports the CSV parser's rows/s.
 * Run alone: node bin/run-ts.js bench/sim.bench.ts (SIM_BENCH_EVENTS=N for a smaller tape).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BacktestSession } from '../sim/backtest-session.ts';
import { bundledMarket } from '../src/exchanges/bitstamp/metadata.ts';
import { generateSampleCsv } from '../sim/sample-data/generate-sample.ts';
import { parseMarketDataText, type MarketData } from '../sim/market-data/parse.ts';
import { SimRandom } from '../sim/random.ts';
import type { EngineOptions, MarketEvent } from '../sim/types.ts';

import type { BenchResult } from './types.ts';

const N = Number(process.env.SIM_BENCH_EVENTS ?? 1_000_000);
const RESTING = 10_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** The cheapest thing a replay can do per event: read it. */
function baselineLoop(events: MarketEvent[]): number {
  const t = performance.now();
  let acc = 0;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (ev.kind === 'trade') acc += ev.key;
  }
  const ms = performance.now() - t;
  if (acc === -1) process.stdout.write(''); // keep acc alive
  return events.length / (ms / 1000);
}

function session(data: MarketData, extra: Partial<EngineOptions>): BacktestSession {
  return new BacktestSession(data, { getMarket: bundledMarket, seed: 1, slippageBps: 5, ...extra }, { USD: '100000000000', BTC: '1000000' });
}

function replay(data: MarketData, orders: number, extra: Partial<EngineOptions> = {}): { rate: number; fills: number } {
  const s = session(data, extra);
  if (orders > 0) {
    // Resting orders spread over the walk's whole price range, below (buys) and above (sells) the first price.
    const rng = new SimRandom(99);
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of data.events) if (e.kind === 'trade') (lo = Math.min(lo, e.key)), (hi = Math.max(hi, e.key));
    const first = data.events[0]!.kind === 'trade' ? (data.events[0] as { key: number }).key : lo;
    s.engine.onTrade(data.events[0] as Parameters<typeof s.engine.onTrade>[0]);
    for (let i = 0; i < orders; i++) {
      const buy = i % 2 === 0;
      const price = buy ? Math.floor(lo + rng.next() * (first - lo - 1)) : Math.ceil(first + 1 + rng.next() * (hi - first - 1));
      s.engine.place({ clientOrderId: `b${i}`, market: 'btcusd', side: buy ? 'buy' : 'sell', type: 'limit', amount: (0.001 + rng.int(1000) / 1e5).toFixed(5), price: String(price), timeInForce: 'gtc', postOnly: false });
    }
    s.engine.drainEvents();
  }
  const t = performance.now();
  s.runToEnd();
  const ms = performance.now() - t;
  return { rate: data.events.length / (ms / 1000), fills: s.engine.fills().length };
}

export async function run(): Promise<BenchResult[]> {
  const csv = generateSampleCsv({ rows: N, seed: 4242 });
  const t = performance.now();
  const data = parseMarketDataText(csv, { source: 'bench.csv', market: 'btcusd' });
  const parseRate = N / ((performance.now() - t) / 1000);
  const base: number[] = [];
  const plain: number[] = [];
  const withOrders: number[] = [];
  const queued: number[] = [];
  let fills = 0;
  let queuedFills = 0;
  for (let round = 0; round < 3; round++) {
    base.push(baselineLoop(data.events));
    plain.push(replay(data, 0).rate);
    const r = replay(data, RESTING);
    withOrders.push(r.rate);
    fills = r.fills;
    const q = replay(data, RESTING, { queue: 'at_touch' });
    queued.push(q.rate);
    queuedFills = q.fills;
  }
  const b = median(base);
  const results: BenchResult[] = [
    { name: `sim replay ${N} trades, no orders`, value: median(plain), unit: 'events/s', baseline: b, baselineName: 'plain loop over the parsed events', ratio: median(plain) / b, target: '>= 5000000 events/s', pass: median(plain) >= 5_000_000 },
    {
      name: `sim replay ${N} trades, ${RESTING} resting orders (${fills} fills)`,
      value: median(withOrders),
      unit: 'events/s',
      baseline: b,
      baselineName: 'plain loop over the parsed events',
      ratio: median(withOrders) / b,
      target: '>= 1000000 events/s',
      pass: median(withOrders) >= 1_000_000,
    },
    {
      name: `sim replay ${N} trades, ${RESTING} resting orders, queue at_touch (${queuedFills} fills)`,
      value: median(queued),
      unit: 'events/s',
      baseline: b,
      baselineName: 'plain loop over the parsed events',
      ratio: median(queued) / b,
      target: '>= 1000000 events/s',
      pass: median(queued) >= 1_000_000,
    },
    { name: `market-data CSV parse ${N} rows (zod per row)`, value: parseRate, unit: 'rows/s', baseline: b, baselineName: 'plain loop over the parsed events', ratio: parseRate / b },
  ];
  return results;
}

if (process.argv[1] && path.basename(process.argv[1]) === 'run-ts.js' && fileURLToPath(import.meta.url).endsWith(path.join('bench', 'sim.bench.ts'))) {
  const rows = await run();
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  for (const r of rows)
    process.stdout.write(`${r.name.padEnd(84)} ${fmt(r.value).padStart(12)} ${r.unit}  baseline ${fmt(r.baseline)} (${r.baselineName})  ratio ${r.ratio.toFixed(4)}${r.target ? `  target ${r.target}` : ''}\n`);
}
