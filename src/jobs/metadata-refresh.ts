import type { Logger } from '../observability/logger.ts';
import type { MarketsService } from '../services/ports.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Refreshes exchange metadata at startup and then daily, in the background. Returns a stop function. */
export function startMetadataRefresh(deps: {
  markets: MarketsService;
  exchanges: string[];
  logger: Logger;
  intervalMs?: number;
  setInterval?: (fn: () => void, ms: number) => { unref?: () => void };
  clearInterval?: (h: unknown) => void;
}): { initial: Promise<void>; stop: () => void } {
  const run = async (): Promise<void> => {
    for (const ex of deps.exchanges) {
      await deps.markets.refresh(ex, 'system').catch((err: unknown) => deps.logger.warn({ err: String(err) }, 'metadata refresh crashed'));
    }
  };
  const initial = run();
  const si = deps.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
  const handle = si(() => void run(), deps.intervalMs ?? DAY_MS);
  handle.unref?.();
  return {
    initial,
    stop: () => (deps.clearInterval ?? ((h: unknown) => clearInterval(h as NodeJS.Timeout)))(handle),
  };
}
