/**
 * Fill-model settings of one live paper account (sim/README.md): chosen when the account is
 * created, kept with its simulator state. The same names and bounds as backtest_create's.
 */
import { z } from 'zod';

export const paperSimulationSchema = z
  .object({
    /** Share of each trade print the account can trade, (0, 1]; default 1. */
    participation: z.number().gt(0).max(1).optional(),
    /** Queue model of resting orders; default none. */
    queue: z.enum(['none', 'at_touch']).optional(),
    /** at_touch on trade data: share of recent volume at the price counted ahead, default 1. */
    queue_touch_fraction: z.number().min(0).max(100).optional(),
  })
  .strict();
export type PaperSimulation = z.infer<typeof paperSimulationSchema>;

/** The engine options these settings stand for (only those given). */
export function paperSimulationOptions(s: PaperSimulation | undefined): { participation?: number; queue?: 'none' | 'at_touch'; queueTouchFraction?: number } {
  const out: { participation?: number; queue?: 'none' | 'at_touch'; queueTouchFraction?: number } = {};
  if (s?.participation !== undefined) out.participation = s.participation;
  if (s?.queue !== undefined) out.queue = s.queue;
  if (s?.queue_touch_fraction !== undefined) out.queueTouchFraction = s.queue_touch_fraction;
  return out;
}
