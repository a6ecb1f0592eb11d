/**
 * Prices from the market-data MCP (EXEC_MCP_PRICE_MCP): a command line spawned over stdio with a
 * minimal environment (PATH only), or an http(s) URL (Streamable HTTP). Calls EXEC_MCP_PRICE_TOOL
 * (default get_price) with {"symbol": "BTC/USD", "exchange": "bitstamp"} and reads `price`, else
 * `last`, from structuredContent or from the JSON text content. Connects lazily and reconnects on
 * the next call after a failure.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { DomainError } from '../domain/errors.ts';
import { validPrice, type PriceSource } from './paper-price.ts';
import { MinimalEnvStdioTransport, splitCommandLine } from './paper-stdio-transport.ts';

export interface McpPriceSourceOptions {
  /** Command line or http(s) URL. */
  target: string;
  tool?: string;
  /** "btcusd" -> the symbol sent, e.g. "BTC/USD" (the market's name in the metadata). */
  symbolOf: (market: string) => string;
  /** Environment of the spawned process; pass {PATH: process.env.PATH} from the composition root. */
  childEnv?: Record<string, string>;
  timeoutMs?: number;
  exchange?: string;
}

type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };

function readPrice(result: ToolResult): unknown {
  const pick = (o: unknown): unknown => {
    if (o === null || typeof o !== 'object') return undefined;
    const r = o as Record<string, unknown>;
    return r.price ?? r.last;
  };
  const structured = pick(result.structuredContent);
  if (structured !== undefined) return structured;
  if (Array.isArray(result.content))
    for (const c of result.content as { type?: string; text?: string }[]) {
      if (c.type !== 'text' || typeof c.text !== 'string') continue;
      try {
        const v = pick(JSON.parse(c.text));
        if (v !== undefined) return v;
      } catch {
        // not JSON: try the next content item
      }
    }
  return undefined;
}

export class McpPriceSource implements PriceSource {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(private readonly opts: McpPriceSourceOptions) {}

  private transport(): Transport {
    const t = this.opts.target.trim();
    if (/^https?:\/\//i.test(t)) return new StreamableHTTPClientTransport(new URL(t));
    const [command, ...args] = splitCommandLine(t);
    if (!command) throw new DomainError('EXCHANGE_UNAVAILABLE', 'market-data MCP command line is empty');
    return new MinimalEnvStdioTransport(command, args, this.opts.childEnv ?? {});
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new Client({ name: 'exec-mcp-paper-prices', version: '1.0.0' });
      client.onclose = () => {
        if (this.client === client) this.client = undefined;
      };
      await client.connect(this.transport(), { timeout: this.opts.timeoutMs ?? 10_000 });
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async price(market: string): Promise<string> {
    const symbol = this.opts.symbolOf(market);
    let result: ToolResult;
    try {
      const client = await this.connect();
      result = (await client.callTool(
        { name: this.opts.tool ?? 'get_price', arguments: { symbol, exchange: this.opts.exchange ?? 'bitstamp' } },
        undefined,
        { timeout: this.opts.timeoutMs ?? 10_000 },
      )) as ToolResult;
    } catch (e) {
      await this.reset();
      throw new DomainError('EXCHANGE_UNAVAILABLE', `market-data MCP did not answer for ${market} (${e instanceof Error ? e.message.slice(0, 80) : 'error'})`);
    }
    if (result.isError) throw new DomainError('EXCHANGE_UNAVAILABLE', `market-data MCP tool ${this.opts.tool ?? 'get_price'} failed for ${market}`);
    return validPrice(readPrice(result), 'market-data MCP', market);
  }

  private async reset(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
  }
}
