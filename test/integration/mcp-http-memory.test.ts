/**
 * Nothing of an answered MCP-over-HTTP request is kept (issue 25): `exec-mcp serve` as a child
 * process, one read-only session, 60 POSTs of about 3 MB each. Before the workaround for the SDK's
 * JSON-reply retention (src/mcp/sdk-json-reply-release.ts) every body stayed until the session
 * closed and RSS grew by gigabytes; now it must grow by less than 300 MB and the server still answer.
 * RSS is read from /proc of the child (the operator's view), and /metrics must show the figures too.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess, tempDir } from '../campaigns/service-process.ts';

const READONLY_TOKEN = 'readonly-token-0123456789abcdef';
const PROTOCOL = '2025-06-18';

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS in /proc status');
  return Number(m[1]) * 1024;
}

describe.skipIf(process.platform !== 'linux')('MCP HTTP memory per request', () => {
  let svc: ServiceProcess;
  beforeAll(async () => {
    svc = new ServiceProcess({ dataDir: tempDir('exec-mcp-mem-'), env: { EXEC_MCP_READONLY_TOKEN: READONLY_TOKEN, EXEC_MCP_LOG_LEVEL: 'warn' } });
    await svc.start();
  }, 120_000);
  afterAll(async () => {
    await svc?.stop();
  });

  it('60 requests of 3 MB on one read-only session grow RSS by less than 300 MB', async () => {
    const headers = { authorization: `Bearer ${READONLY_TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'mem', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id')!;
    await init.text();
    const inSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL };
    // Many small objects: the parsed form costs several times the wire size, as in the report.
    const junk = Array.from({ length: 375_000 }, (_, i) => ({ k: i % 10 }));
    const body = (id: number): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { junk } });
    expect(body(1).length).toBeGreaterThan(2_900_000);
    expect(body(1).length).toBeLessThan(4 * 1024 * 1024);
    const send = async (id: number): Promise<unknown> => {
      const res = await fetch(svc.mcpUrl, { method: 'POST', headers: inSession, body: body(id) });
      expect(res.status).toBe(200);
      return res.json();
    };
    for (let i = 1; i <= 3; i++) await send(i); // warm-up: buffers and code paths are allocated once
    const before = rssBytes(svc.pid!);
    for (let i = 4; i < 64; i++) expect(await send(i)).toMatchObject({ jsonrpc: '2.0', id: i, result: {} });
    const grown = rssBytes(svc.pid!) - before;
    expect(grown, `RSS grew by ${Math.round(grown / 1e6)} MB`).toBeLessThan(300 * 1024 * 1024);

    // Still answers, and /metrics carries the memory figures and the session gauge.
    const tools = await fetch(svc.mcpUrl, { method: 'POST', headers: inSession, body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }) });
    expect(tools.status).toBe(200);
    expect(((await tools.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${svc.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^exec_mcp_process_resident_memory_bytes \d+/m);
    expect(metrics).toMatch(/^exec_mcp_nodejs_heap_size_used_bytes \d+/m);
    expect(metrics).toMatch(/^exec_mcp_mcp_sessions\{kind="readonly"\} 1$/m);
  }, 180_000);
});
