/**
 * Backtest tools. They create accounts and orders, so they count as execution tools and are not
 * registered on a read-only server.
 */
import type { Services } from '../services/ports.ts';
import { backtestAdvanceOutput, backtestCreateOutput, backtestReportOutput } from './output-schemas.ts';
import { backtestAdvanceInput, backtestCreateInput, backtestReportInput } from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';

export function registerBacktestTools(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'backtest_create',
      title: 'Create backtest',
      description:
        'Starts a deterministic backtest on historical trades or candles (a server file path, or inline {trades:[{timestamp, price, amount, side}]}, {candles:[{timestamp, open, high, low, close, volume}]} or {quotes:[{timestamp, bid, ask, bid_amount, ask_amount}]}). Creates a backtest account usable with every order tool (place_order, list_fills, get_balances, ...). Its clock starts at the first data timestamp and moves only with backtest_advance.',
      input: backtestCreateInput,
      output: backtestCreateOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      handler: (a, ctx) => services.backtests.create(a, ctx.actor),
    }),
  );
  reg.add(
    defineTool({
      name: 'backtest_advance',
      title: 'Advance backtest',
      description:
        'Replays market data up to `until` (ISO time) or for `steps` events (not both; neither = to the end), matching the backtest account\'s orders. Returns the new clock, events processed, whether the data is exhausted, and the fills that happened.',
      input: backtestAdvanceInput,
      output: backtestAdvanceOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      handler: (a, ctx) => services.backtests.advance(a, ctx.actor),
    }),
  );
  reg.add(
    defineTool({
      name: 'backtest_report',
      title: 'Backtest report',
      description:
        'Balances, fills, fees paid, PnL (pnl_by_currency: per quote), equity curve, and a sha256 digest of the fills (identical inputs give an identical digest).',
      input: backtestReportInput,
      output: backtestReportOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: (a) => services.backtests.report(a),
    }),
  );
}
