/**
 * createMcpServer: one McpServer with every contract tool (or, read-only, only the reads), the
 * orders:// resources and the server instructions. One instance per connection/session: stdio
 * makes one, Streamable HTTP one per session. Handlers are thin and only call `services`.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Services } from '../services/ports.ts';
import { registerBacktestTools } from './backtests.ts';
import { registerDiscoveryTools } from './discovery.ts';
import { registerTradingStatusTool } from './trading-status.ts';
import { registerPositionsTool } from './positions.ts';
import { serverInstructions } from './instructions.ts';
import { registerOrderExecutionTools, registerOrderReadTools } from './orders.ts';
import { noopOutput } from './output-schemas.ts';
import { installOrderResources } from './resources.ts';
import { listExchangesInput } from './schemas.ts';
import { ToolRegistry, defineTool } from './tool-registry.ts';

export const SERVER_NAME = 'exec-mcp';
export const SERVER_VERSION = '0.1.0';
/** Tools that move money or create state; absent from a read-only server. */
export const EXECUTION_TOOLS = ['place_order', 'cancel_order', 'cancel_all_orders', 'backtest_create', 'backtest_advance', 'backtest_report'] as const;
export const BENCH_NOOP_TOOL = 'bench_noop';

export interface McpServerOptions {
  readOnly: boolean;
  logger: Logger;
  metrics?: Metrics;
  /** Audit actor of this connection, e.g. "mcp:stdio"; a function when it is only known later (HTTP session id). */
  actor?: string | (() => string);
  /** Registers a hidden no-op tool (`bench_noop`) so benchmarks can measure protocol overhead. */
  benchNoop?: boolean;
}

export function createMcpServer(services: Services, opts: McpServerOptions): McpServer {
  const mcp = new McpServer(
    { name: SERVER_NAME, title: 'exec-mcp (trade execution)', version: SERVER_VERSION },
    { instructions: serverInstructions(opts.readOnly) },
  );
  const actor = opts.actor ?? 'mcp';
  const tools = new ToolRegistry({
    logger: opts.logger,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    actor: typeof actor === 'function' ? actor : () => actor,
  });
  registerDiscoveryTools(tools, services);
  registerOrderReadTools(tools, services);
  registerTradingStatusTool(tools, services);
  registerPositionsTool(tools, services);
  if (!opts.readOnly) {
    // A read-only server registers no execution tool at all: they are not merely refused, they do not exist.
    registerOrderExecutionTools(tools, services);
    registerBacktestTools(tools, services);
  }
  if (opts.benchNoop) {
    tools.add(
      defineTool({
        name: BENCH_NOOP_TOOL,
        title: 'No-op (benchmark)',
        description: 'Does nothing; measures protocol overhead. Only present when benchmarking.',
        input: listExchangesInput,
        output: noopOutput,
        annotations: { readOnlyHint: true, openWorldHint: false },
        handler: () => ({ ok: true }),
      }),
    );
  }
  tools.install(mcp.server);
  const dispose = installOrderResources(mcp.server, services, opts.logger);
  const previousOnClose = mcp.server.onclose;
  mcp.server.onclose = () => {
    dispose();
    previousOnClose?.();
  };
  return mcp;
}
