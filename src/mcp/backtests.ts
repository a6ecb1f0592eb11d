/**
 * Backtest tools. They create accounts and orders, so they count as execution tools and are not
 * registered on a read-only server.
 */
import type { Services } from '../services/ports.ts';
import { backtestAdvanceOutput, backtestCreateOutput, backtestReportOutput } from './output-schemas.ts';
import { backtestAdvanceInput, backtestCreateInput, backtestReportInput } from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';
import { reportView } from '../services/backtest-report-page.ts';

export function registerBacktestTools(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'backtest_create',
      title: 'Create backtest',
      description:
        'Starts a deterministic backtest on historical trades, candles or quotes. Returns its backtest_id and a backtest account that every order tool takes (place_order, list_fills, get_balances, ...). Its clock starts at the first data timestamp and moves only with backtest_advance. Data over the server size or event limits is refused (the error says which).',
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
        'Replays market data up to `until` or for `steps` events (neither = to the end), filling the backtest account\'s orders. Returns the clock, events processed, done (data exhausted) and the new fills.',
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
        'Balances, fees paid, PnL (pnl_by_currency: per quote), equity curve, sha256 digest of all fills (same inputs, same digest), fills_total and a page of fills, oldest first (next_fills_cursor pages on).',
      input: backtestReportInput,
      output: backtestReportOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: async ({ backtest_id, ...paging }) => reportView(await services.backtests.report({ backtest_id }), paging),
    }),
  );
}
