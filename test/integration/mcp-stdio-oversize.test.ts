/**
 * `exec-mcp mcp` with a message over 10 MiB (issue 25): it used to end the session with exit 0 and
 * no answer. Now the SDK client gets a JSON-RPC error for that request, the session goes on, and
 * stdin's end still exits 0. Real CLI in a child process, real SDK client (it writes the id last).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { MAX_STDIO_MESSAGE_BYTES } from '../../src/mcp/stdio-line-limit.ts';
import { tempDataDir } from './mcp-app.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');
const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('exec-mcp mcp: oversized stdio message', () => {
  it('is answered with a JSON-RPC error and the session goes on', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--data-dir', dataDir],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EXEC_MCP_OFFLINE: '1', EXEC_MCP_LOG_LEVEL: 'warn' },
      stderr: 'pipe',
      cwd: ROOT,
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
    const client = new Client({ name: 'oversize', version: '1' });
    const protocolErrors: string[] = [];
    client.onerror = (e) => void protocolErrors.push(String(e));
    await client.connect(transport);
    const exited = new Promise<number | null>((resolve) => {
      const child = (transport as unknown as { _process?: { once(e: 'exit', l: (code: number | null) => void): void } })._process;
      child?.once('exit', resolve);
    });

    const huge = 'x'.repeat(MAX_STDIO_MESSAGE_BYTES + 1024);
    const err = await client.callTool({ name: 'list_accounts', arguments: { junk: huge } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(-32600);
    expect((err as McpError).message).toMatch(/larger than the 10485760-byte limit/);

    // The same session still answers.
    const listed = await client.callTool({ name: 'list_accounts', arguments: {} });
    expect(listed.isError).toBeFalsy();
    expect(stderr).toMatch(/over the size limit/);
    await client.close();
    expect(await exited).toBe(0);
    expect(protocolErrors).toEqual([]);
  }, 120_000);
});
