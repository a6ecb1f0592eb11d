import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/exec-mcp.js');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-cli-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir, // a default ./data would land in the temp dir, never in the repository
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('invalid configuration (child process)', () => {
  it('EXEC_MCP_PORT=abc: exactly one stderr line naming EXEC_MCP_PORT, exit 2, nothing created', () => {
    const r = cli(['migrate'], { EXEC_MCP_PORT: 'abc' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/EXEC_MCP_PORT/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('a bad flag is reported by its variable and flag name', () => {
    const r = cli(['audit', 'verify', '--port', '99999'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('invalid configuration: EXEC_MCP_PORT must be 0-65535 (flag --port)\n');
  });

  it('a bad master key is refused without echoing it', () => {
    const r = cli(['migrate'], { EXEC_MCP_MASTER_KEY: 'not-a-key-SECRETISH' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^invalid configuration: EXEC_MCP_MASTER_KEY must be base64 of exactly 32 bytes/);
    expect(r.stderr).not.toContain('SECRETISH');
  });

  it('an unknown command exits 2', () => {
    expect(cli(['frobnicate'], {}).code).toBe(2);
  });
});
