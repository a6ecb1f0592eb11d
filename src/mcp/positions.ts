/** get_positions: what the account's fills add up to per market, with PnL (rules: src/domain/positions.ts). */
import { z } from 'zod';
import type { Services } from '../services/ports.ts';
import { accountOnlyInput } from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';

const nullableDecimal = z.string().nullable();

export const positionsOutput = z.object({
  account: z.string(),
  as_of: z.string(),
  positions: z.array(
    z.object({
      currency: z.string(),
      quote_currency: z.string(),
      market: z.string(),
      amount: z.string(),
      average_cost: nullableDecimal,
      realized_pnl: z.string(),
      unrealized_pnl: nullableDecimal,
      mark_price: nullableDecimal,
      fees_paid: z.string(),
      other_fees: z.array(z.object({ currency: z.string(), amount: z.string() })).optional(),
    }),
  ),
});

export function registerPositionsTool(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'get_positions',
      title: 'Get positions',
      description:
        'Per market traded, from fills: amount of base, average_cost in quote (fees excluded), realized_pnl (net of quote fees), unrealized_pnl at mark_price (null: no mark).',
      input: accountOnlyInput,
      output: positionsOutput,
      // A live account's mark may come from the configured price source (outside).
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      handler: (a) => services.positions.get(a.account),
    }),
  );
}
