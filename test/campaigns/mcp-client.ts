/**
 * MCP clients of the campaigns: the SDK Client over Streamable HTTP with the bearer token. A call
 * never throws; it ends in exactly one Outcome:
 * - ok: a tool result with structuredContent (the SDK also checks it against the output schema)
 * - error: a contract tool error {code, message} (isError + structuredContent.error)
 * - transport: no answer (service killed, connection refused, timeout) — the outcome is unknown
 * - protocol: anything else (a JSON-RPC error, a result without structured content, a schema
 *   mismatch) — always a contract violation.
 * After a transport failure the session is gone with the process; the next call reconnects.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_CODES } from '../../src/domain/errors.ts';

export type Outcome =
  | { kind: 'ok'; data: Record<string, unknown> }
  | { kind: 'error'; code: string; message: string; details?: Record<string, unknown> }
  | { kind: 'transport'; message: string }
  | { kind: 'protocol'; message: string };

const CONTRACT_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
export const isContractCode = (code: string): boolean => CONTRACT_CODES.has(code);

export interface McpClientOptions {
  /** The /mcp URL, or a function giving it (the port of a restarted service is known only after start). */
  url: string | (() => string);
  token: string;
  /** Called with every POST body just before it is sent (to SIGKILL "between send and answer"). */
  onSend?: (body: string) => void;
  callTimeoutMs?: number;
}

/** Network-level failures: the request may or may not have reached the service. */
function isTransportFailure(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message} ${String((e as { cause?: unknown }).cause ?? '')}` : String(e);
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|other side closed|terminated|aborted|AbortError|timed out|Request timeout|UND_ERR|Session not found|Not connected|EPIPE|closed/i.test(text);
}

export class McpClient {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  calls = 0;

  constructor(private readonly opts: McpClientOptions) {}

  private async connect(): Promise<Client> {
    const onSend = this.opts.onSend;
    const fetchWithHook = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (onSend && init?.method === 'POST' && typeof init.body === 'string') onSend(init.body);
      return fetch(input, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(typeof this.opts.url === 'string' ? this.opts.url : this.opts.url()), {
      requestInit: { headers: { Authorization: `Bearer ${this.opts.token}` } },
      fetch: fetchWithHook,
    });
    const client = new Client({ name: 'exec-mcp-campaign', version: '1.0.0' });
    await client.connect(transport, { timeout: 10_000 });
    return client;
  }

  private async ensure(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    this.client = await this.connecting;
    return this.client;
  }

  /** Forgets the session (after the service restarted). */
  reset(): void {
    const c = this.client;
    this.client = undefined;
    if (c) void c.close().catch(() => undefined);
  }

  async call(name: string, args: Record<string, unknown>, timeoutMs = this.opts.callTimeoutMs ?? 30_000): Promise<Outcome> {
    this.calls++;
    let client: Client;
    try {
      client = await this.ensure();
    } catch (e) {
      this.reset();
      return { kind: 'transport', message: `connect: ${e instanceof Error ? e.message : String(e)}` };
    }
    let r: CallToolResult;
    try {
      r = (await client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs })) as CallToolResult;
    } catch (e) {
      if (isTransportFailure(e)) {
        this.reset();
        return { kind: 'transport', message: e instanceof Error ? e.message : String(e) };
      }
      return { kind: 'protocol', message: `${name}: ${e instanceof Error ? e.message : String(e)}` };
    }
    const sc = r.structuredContent as Record<string, unknown> | undefined;
    if (!sc) return { kind: 'protocol', message: `${name}: result without structuredContent` };
    if (r.isError) {
      const err = sc.error as { code?: unknown; message?: unknown; details?: unknown } | undefined;
      if (!err || typeof err.code !== 'string' || typeof err.message !== 'string') return { kind: 'protocol', message: `${name}: error without {code, message}` };
      const details = typeof err.details === 'object' && err.details !== null ? { details: err.details as Record<string, unknown> } : {};
      return { kind: 'error', code: err.code, message: err.message, ...details };
    }
    return { kind: 'ok', data: sc };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}

/** N clients sharing one URL/token. */
export class McpPool {
  readonly clients: McpClient[];
  constructor(size: number, opts: McpClientOptions) {
    this.clients = Array.from({ length: size }, () => new McpClient(opts));
  }
  at(i: number): McpClient {
    return this.clients[i % this.clients.length]!;
  }
  resetAll(): void {
    for (const c of this.clients) c.reset();
  }
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
