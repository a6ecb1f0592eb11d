/**
 * Generates the bundled sample dataset sim/sample-data/btcusd-trades-sample.csv: a plausible BTC/USD
 * random walk of trades (whole-dollar prices, as Bitstamp's btcusd has 0 price decimals).
 * Fixed seed, so re-running it rewrites the identical file:
 *   node bin/run-ts.js sim/sample-data/write-sample.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimRandom } from '../random.ts';

export const SAMPLE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'btcusd-trades-sample.csv');

export function generateSampleCsv(opts: { seed?: number; rows?: number; startMs?: number; startPrice?: number } = {}): string {
  const rng = new SimRandom(opts.seed ?? 20260101);
  const rows = opts.rows ?? 5000;
  let ts = opts.startMs ?? Date.UTC(2026, 0, 1);
  let price = opts.startPrice ?? 60000;
  const out = ['timestamp,price,amount,side'];
  for (let i = 0; i < rows; i++) {
    ts += 1000 + rng.int(29_000); // one trade every 1-30 s
    const move = Math.round((rng.next() - 0.5) * 0.002 * price); // at most ±0.1 %
    const side = move > 0 || (move === 0 && rng.next() < 0.5) ? 'buy' : 'sell';
    price = Math.max(1000, price + move);
    const amount = (1 + rng.int(50_000_000)) / 1e8; // 0.00000001 - 0.5 BTC
    out.push(`${new Date(ts).toISOString()},${price},${amount.toFixed(8)},${side}`);
  }
  return out.join('\n') + '\n';
}
