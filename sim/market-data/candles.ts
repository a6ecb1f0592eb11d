/**
 * Candles without look-ahead (sim/README.md "Market data"). A candle's timestamp is its open; its
 * interval is the spacing of the data (the smallest gap between two candles of one market) unless
 * given. Its four prices happen inside the interval: open at +0, the extreme away from the close at
 * +⌊I/3⌋, the other extreme at +⌊2I/3⌋, close at +I−1 (the candle's last millisecond), each with a
 * quarter of the volume. So an order placed inside a candle meets only what is still to come.
 */
import { DomainError } from '../../src/domain/errors.ts';
import type { MarketEvent } from '../types.ts';

/** Used when the data has a single candle per market and no interval is given. */
export const DEFAULT_CANDLE_INTERVAL_MS = 60_000;
export const MAX_CANDLE_INTERVAL_MS = 31 * 86_400_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "15m" / "1h" / "1d" / "500ms" or a number of milliseconds → ms; INVALID_ARGUMENT otherwise. */
export function parseInterval(v: string | number, field = 'interval'): number {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else {
    const m = /^([1-9]\d{0,9})(ms|s|m|h|d)$/.exec(v);
    ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  }
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_CANDLE_INTERVAL_MS)
    throw new DomainError('INVALID_ARGUMENT', `${field}: expected a candle interval like "1m", "15m", "1h", "1d" or milliseconds (1 ms to 31 days)`, { fields: [field] });
  return ms;
}

/** The smallest positive gap between consecutive candle opens of one market (undefined: none). */
export function candleSpacing(opens: readonly { ts: number; market: string }[]): number | undefined {
  const prev = new Map<string, number>();
  let min: number | undefined;
  for (const c of opens) {
    const p = prev.get(c.market);
    if (p !== undefined && c.ts > p && (min === undefined || c.ts - p < min)) min = c.ts - p;
    prev.set(c.market, c.ts);
  }
  return min;
}

/**
 * Spreads the four prints of each candle (consecutive groups of four at the candle's open, as
 * rowToEvents makes them) over its interval, in place, then restores time order (stable: markets
 * sharing an instant keep their row order). Returns the interval used.
 */
export function spreadCandles(events: MarketEvent[], interval: number | undefined, source: string): number {
  const opens: MarketEvent[] = [];
  for (let i = 0; i < events.length; i += 4) opens.push(events[i]!);
  const spacing = candleSpacing(opens);
  if (interval !== undefined && spacing !== undefined && interval > spacing)
    throw new DomainError('INVALID_ARGUMENT', `interval: ${interval} ms is longer than the spacing of the candles in ${source} (${spacing} ms); candles must not overlap`, {
      fields: ['interval'],
    });
  const iv = interval ?? spacing ?? DEFAULT_CANDLE_INTERVAL_MS;
  const offsets = [0, Math.floor(iv / 3), Math.floor((2 * iv) / 3), iv - 1];
  for (let i = 0; i < events.length; i++) events[i]!.ts += offsets[i % 4]!;
  // Already sorted unless several markets share the data: then their candles interleave (a stable
  // sort keeps the row order of markets sharing an instant).
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) sorted = events[i - 1]!.ts <= events[i]!.ts;
  if (!sorted) events.sort((a, b) => a.ts - b.ts);
  return iv;
}
