/**
 * MCP over Streamable HTTP, independent of any web framework: `handle(req, res, parsedBody?)` serves
 * POST/GET/DELETE of one endpoint. Every request needs `Authorization: Bearer <token>` (401 JSON
 * otherwise, constant-time compare). Each session gets its own McpServer; a session opened with the
 * read-only token gets a read-only server and stays bound to that token kind.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Services } from '../services/ports.ts';
import { createMcpServer } from './server.ts';

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Open sessions (for tests and /metrics). */
  sessionCount(): number;
  close(): Promise<void>;
}

export interface McpHttpOptions {
  services: Services;
  token: string;
  readonlyToken?: string;
  logger: Logger;
  metrics?: Metrics;
  /** Sessions idle longer than this are closed (default 30 min). */
  sessionIdleMs?: number;
  /** Registers the hidden bench_noop tool (benchmarks only). */
  benchNoop?: boolean;
  /** Largest accepted request body (default 4 MiB, the SDK's own limit). */
  maxBodyBytes?: number;
}

type TokenKind = 'full' | 'readonly';
interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  kind: TokenKind;
  lastSeen: number;
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

async function readJsonBody(req: IncomingMessage, max: number): Promise<{ ok: true; body: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return { ok: false, status: 413, message: `request body larger than ${max} bytes` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'Parse error: request body is not valid JSON' };
  }
}

export function createMcpHttpHandler(opts: McpHttpOptions): McpHttpHandler {
  if (opts.token.length < 16) throw new Error('MCP token must be at least 16 characters');
  const tokens: Array<{ hash: Buffer; kind: TokenKind }> = [{ hash: digest(opts.token), kind: 'full' }];
  if (opts.readonlyToken) tokens.push({ hash: digest(opts.readonlyToken), kind: 'readonly' });
  const sessions = new Map<string, Session>();
  const idleMs = opts.sessionIdleMs ?? 30 * 60_000;
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;

  /** Compares digests of equal length in constant time, and checks every token (no early exit). */
  function authenticate(req: IncomingMessage): TokenKind | undefined {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) return undefined;
    const presented = digest(m[1]!);
    let kind: TokenKind | undefined;
    for (const t of tokens) if (crypto.timingSafeEqual(presented, t.hash)) kind = t.kind;
    return kind;
  }

  function sweepIdle(now: number): void {
    for (const [id, s] of sessions) if (now - s.lastSeen > idleMs) void closeSession(id, 'idle');
  }
  const sweeper = setInterval(() => sweepIdle(Date.now()), Math.min(idleMs, 60_000));
  sweeper.unref();

  async function closeSession(id: string, reason: string): Promise<void> {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    opts.logger.debug({ session: id, reason }, 'mcp http session closed');
    await s.server.close().catch(() => undefined);
  }

  async function openSession(kind: TokenKind, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    let sessionId: string | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      // Plain JSON answers to POSTs (no per-request SSE stream); notifications use the GET stream.
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessionId = id;
        sessions.set(id, { transport, server, kind, lastSeen: Date.now() });
        opts.logger.info({ session: id, readOnly: kind === 'readonly' }, 'mcp http session opened');
      },
    });
    const server = createMcpServer(opts.services, {
      readOnly: kind === 'readonly',
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      actor: () => `mcp:${sessionId ?? 'http'}`,
      ...(opts.benchNoop ? { benchNoop: true } : {}),
    });
    transport.onclose = () => {
      if (sessionId) sessions.delete(sessionId);
    };
    await server.connect(transport);
    try {
      await transport.handleRequest(req, res, body);
    } finally {
      // Refused before a session existed (wrong Accept/Content-Type, ...): nothing can reach this
      // server again, so close it, or it and its order-change listener would stay for good.
      if (sessionId === undefined) await server.close().catch(() => undefined);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    try {
      const kind = authenticate(req);
      if (!kind) {
        sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer token: send Authorization: Bearer <EXEC_MCP_TOKEN>' } }, { 'www-authenticate': 'Bearer' });
        return;
      }
      const method = req.method ?? 'GET';
      if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
        sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST, GET or DELETE' } }, { allow: 'POST, GET, DELETE' });
        return;
      }
      let body = parsedBody;
      if (method === 'POST' && body === undefined) {
        const read = await readJsonBody(req, maxBody);
        if (!read.ok) return rpcError(res, read.status, -32700, read.message);
        body = read.body;
      }
      const header = req.headers['mcp-session-id'];
      const sessionId = Array.isArray(header) ? header[0] : header;
      if (sessionId !== undefined) {
        const s = sessions.get(sessionId);
        if (!s) return rpcError(res, 404, -32001, 'Session not found: start a new session with an initialize request');
        if (s.kind !== kind) return rpcError(res, 403, -32001, 'this session was opened with a different token');
        s.lastSeen = Date.now();
        await s.transport.handleRequest(req, res, body);
        if (method === 'DELETE') await closeSession(sessionId, 'deleted by client');
        return;
      }
      const messages = Array.isArray(body) ? body : [body];
      if (method === 'POST' && messages.some((m) => isInitializeRequest(m))) {
        sweepIdle(Date.now());
        await openSession(kind, req, res, body);
        return;
      }
      rpcError(res, 400, -32000, 'Bad Request: no mcp-session-id header; the first request must be initialize');
    } catch (err) {
      opts.logger.error({ err }, 'mcp http request failed');
      rpcError(res, 500, -32603, 'internal error');
    }
  }

  return {
    handle,
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map((id) => closeSession(id, 'server shutdown')));
    },
  };
}
