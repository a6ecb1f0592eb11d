/**
 * A memo of the last ISO timestamp: the runtime stamps every transition and outbox row with the
 * clock's time, and many of them share one millisecond inside a group commit.
 */
import { isoAt } from '../domain/clock.ts';

/** ISO time of the clock, formatted once per distinct millisecond (it is on every transition's path). */
export function isoCache(): (ms: number) => string {
  let lastMs = NaN;
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = isoAt(ms);
    }
    return lastIso;
  };
}
