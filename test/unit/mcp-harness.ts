/** In-process MCP client/server pair over InMemoryTransport (fast, no child process). */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../../src/observability/logger.ts';
import type { Services } from '../../src/services/ports.ts';
import { createMcpServer, type McpServerOptions } from '../../src/mcp/server.ts';

export const CONTRACT_READ_TOOLS = [
  'list_exchanges',
  'list_accounts',
  'get_account',
  'get_balances',
  'get_balance_history',
  'get_fees',
  'list_currencies',
  'list_markets',
  'get_market_rules',
  'preview_order',
  'get_order',
  'list_orders',
  'list_fills',
  'get_trading_status',
  'get_positions',
] as const;
export const CONTRACT_EXECUTION_TOOLS = ['place_order', 'cancel_order', 'cancel_all_orders', 'backtest_create', 'backtest_advance', 'backtest_report'] as const;
export const CONTRACT_TOOLS = [...CONTRACT_READ_TOOLS, ...CONTRACT_EXECUTION_TOOLS];

export interface Connected {
  client: Client;
  close(): Promise<void>;
}

export async function connectInMemory(services: Services, opts: Partial<McpServerOptions> = {}): Promise<Connected> {
  const server = createMcpServer(services, { readOnly: false, logger: silentLogger(), actor: 'mcp:test', ...opts });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'exec-mcp-test', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

export interface ToolError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Calls a tool; returns structured content (success) or the structured error, and checks the text twin. */
export async function call(client: Client, name: string, args: unknown): Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; error: ToolError }> {
  const r = (await client.callTool({ name, arguments: args as Record<string, unknown> })) as CallToolResult;
  const sc = r.structuredContent as Record<string, unknown> | undefined;
  if (!sc) throw new Error(`${name}: no structuredContent: ${JSON.stringify(r)}`);
  const text = r.content.find((c) => c.type === 'text');
  if (!text || text.type !== 'text' || JSON.stringify(JSON.parse(text.text)) !== JSON.stringify(sc))
    throw new Error(`${name}: text content is not the same JSON as structuredContent`);
  if (r.isError) return { ok: false, error: sc.error as ToolError };
  return { ok: true, data: sc };
}

export async function ok(client: Client, name: string, args: unknown): Promise<Record<string, unknown>> {
  const r = await call(client, name, args);
  if (!r.ok) throw new Error(`${name} failed: ${r.error.code} ${r.error.message}`);
  return r.data;
}

export async function fail(client: Client, name: string, args: unknown): Promise<ToolError> {
  const r = await call(client, name, args);
  if (r.ok) throw new Error(`${name} unexpectedly succeeded: ${JSON.stringify(r.data)}`);
  return r.error;
}
