/**
 * MCP over Streamable HTTP, independent of any web framework: `handle(req, res, parsedBody?)` serves
 * POST/GET/DELETE of one endpoint. Every request needs `Authorization: Bearer <token>` (401 JSON
 * otherwise, constant-time compare). Each session gets its own McpServer; a session opened with the
 * read-only token gets a read-only server and stays bound to that token kind.
 *
 * Bounds (so one client cannot exhaust the server that carries live orders): at most
 * `maxSessionsPerToken` open sessions per token (opening one more closes the longest-idle session
 * of that token), at most `maxInFlightPerSession` POSTs being answered per session (429 beyond),
 * `maxBodyBytes` per request, and nothing of an answered request kept (sdk-json-reply-release.ts).
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Services } from '../services/ports.ts';
import { releaseAnsweredJsonReplies } from './sdk-json-reply-release.ts';
import { createMcpServer } from './server.ts';

export const DEFAULT_MAX_SESSIONS_PER_TOKEN = 100;
export const DEFAULT_MAX_IN_FLIGHT_PER_SESSION = 8;

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void>;
  /** Open sessions (for tests and /metrics), of one token kind or all. */
  sessionCount(kind?: TokenKind): number;
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
  /** Open sessions per token; one more closes the longest-idle one (default 100). */
  maxSessionsPerToken?: number;
  /** POSTs being answered at once per session; more get 429 (default 8). */
  maxInFlightPerSession?: number;
}

export type TokenKind = 'full' | 'readonly';
interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  kind: TokenKind;
  lastSeen: number;
  /** POSTs of this session not yet answered (an initialize counts too). */
  inFlight: number;
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
  const maxSessions = opts.maxSessionsPerToken ?? DEFAULT_MAX_SESSIONS_PER_TOKEN;
  const maxInFlight = opts.maxInFlightPerSession ?? DEFAULT_MAX_IN_FLIGHT_PER_SESSION;
  if (maxSessions < 1 || maxInFlight < 1) throw new Error('MCP session limits must be at least 1');

  let warnedShape = false;
  /** After a POST was answered: drop what the SDK keeps of it (see sdk-json-reply-release.ts). */
  function release(transport: StreamableHTTPServerTransport): void {
    if (releaseAnsweredJsonReplies(transport) >= 0 || warnedShape) return;
    warnedShape = true;
    opts.logger.warn('MCP SDK internals changed: answered HTTP requests may stay in memory; check docs/upstream-sdk-json-response-leak.md');
  }
  function countOf(kind: TokenKind): number {
    let n = 0;
    for (const s of sessions.values()) if (s.kind === kind) n++;
    return n;
  }
  function updateGauge(): void {
    if (!opts.metrics) return;
    opts.metrics.mcpSessions.set({ kind: 'full' }, countOf('full'));
    opts.metrics.mcpSessions.set({ kind: 'readonly' }, countOf('readonly'));
  }
  /** The longest-idle session of `kind` with nothing in flight (closing a busy one would strand its replies). */
  function oldestIdle(kind: TokenKind, except?: string): string | undefined {
    let best: [string, Session] | undefined;
    for (const entry of sessions) {
      const [id, s] = entry;
      if (s.kind !== kind || s.inFlight > 0 || id === except) continue;
      if (!best || s.lastSeen < best[1].lastSeen) best = entry;
    }
    return best?.[0];
  }
  /** Closes longest-idle sessions until `kind` is within its cap (the new session `keep` stays). */
  function evictOverCap(kind: TokenKind, keep: string): void {
    while (countOf(kind) > maxSessions) {
      const victim = oldestIdle(kind, keep);
      if (!victim) return;
      void closeSession(victim, 'evicted: too many open sessions for this token');
    }
  }

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
    updateGauge();
    opts.logger.debug({ session: id, reason }, 'mcp http session closed');
    await s.server.close().catch(() => undefined);
  }

  async function openSession(kind: TokenKind, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (countOf(kind) >= maxSessions && oldestIdle(kind) === undefined) {
      return rpcError(res, 503, -32000, `too many open sessions for this token (max ${maxSessions}), all busy: retry later or DELETE an unused session`);
    }
    let sessionId: string | undefined;
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      // Plain JSON answers to POSTs (no per-request SSE stream); notifications use the GET stream.
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessionId = id;
        session = { transport, server, kind, lastSeen: Date.now(), inFlight: 1 };
        sessions.set(id, session);
        evictOverCap(kind, id);
        updateGauge();
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
      if (sessionId && sessions.get(sessionId)?.transport === transport) {
        sessions.delete(sessionId);
        updateGauge();
      }
    };
    await server.connect(transport);
    try {
      await transport.handleRequest(req, res, body);
    } finally {
      release(transport);
      if (session) {
        session.inFlight--;
        session.lastSeen = Date.now();
      }
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
        if (method === 'POST') {
          if (s.inFlight >= maxInFlight) {
            return rpcError(res, 429, -32000, `too many requests in flight on this session (max ${maxInFlight}): wait for the answers first`);
          }
          s.inFlight++;
          try {
            await s.transport.handleRequest(req, res, body);
          } finally {
            s.inFlight--;
            s.lastSeen = Date.now();
            release(s.transport);
          }
          return;
        }
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
    sessionCount: (kind?: TokenKind) => (kind ? countOf(kind) : sessions.size),
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions.keys()].map((id) => closeSession(id, 'server shutdown')));
    },
  };
}
