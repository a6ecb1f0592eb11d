/**
 * Mixed data: several parsed sources (e.g. a trades file and a quotes file of one market) become
 * one event stream for a backtest. Each source is already in time order; the merge is by
 * timestamp and stable: on equal timestamps the events of the earlier source (its place in the
 * `data` array) come first, and within a source the file order is kept. Quotes then set the book
 * that arriving orders take from, trades print and fill resting orders (sim/README.md "Mixed data").
 */
import type { MarketEvent } from '../types.ts';
import type { MarketData } from './collect.ts';

/** The sources' events merged by time; one source is returned as it is. */
export function mergeMarketData(parts: readonly MarketData[]): MarketData {
  if (parts.length === 0) throw new Error('mergeMarketData: no sources');
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((n, p) => n + p.events.length, 0);
  const events: MarketEvent[] = new Array<MarketEvent>(total);
  const at = parts.map(() => 0);
  for (let out = 0; out < total; out++) {
    // A handful of sources: a linear scan for the earliest head, the lowest index winning ties.
    let best = -1;
    let bestTs = Infinity;
    for (let s = 0; s < parts.length; s++) {
      const e = parts[s]!.events[at[s]!];
      if (e !== undefined && e.ts < bestTs) {
        best = s;
        bestTs = e.ts;
      }
    }
    events[out] = parts[best]!.events[at[best]!++]!;
  }
  const interval = parts.find((p) => p.interval !== undefined)?.interval;
  return {
    kind: parts[0]!.kind, // the first source's kind: MarketData names one; the events say what each is
    events,
    markets: [...new Set(parts.flatMap((p) => p.markets))].sort(),
    first: events[0]!.ts,
    last: events[total - 1]!.ts,
    ...(interval !== undefined ? { interval } : {}),
  };
}
