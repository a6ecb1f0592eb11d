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

  it('a bare value flag is one line naming the variable, exit 2; nothing is created', () => {
    for (const [cmd, flag, variable] of [[['serve'], 'data-dir', 'EXEC_MCP_DATA_DIR'], [['serve'], 'port', 'EXEC_MCP_PORT'], [['migrate'], 'data-dir', 'EXEC_MCP_DATA_DIR']] as const) {
      const r = cli([...cmd, `--${flag}`], {});
      expect(r.code, `${cmd.join(' ')} --${flag}`).toBe(2);
      expect(r.stderr).toBe(`invalid configuration: ${variable} needs a value (flag --${flag} VALUE)\n`);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a blank EXEC_MCP_HOST is a config error (exit 2), not a crash at listen', () => {
    const r = cli(['serve', '--port', '0'], { EXEC_MCP_HOST: ' ' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^invalid configuration: EXEC_MCP_HOST must be a host name or IP address \(no spaces\) \(flag --host\)\n$/);
  });

  it('serve and mcp refuse a misspelt flag or a stray argument instead of ignoring it', () => {
    for (const args of [['serve', '--prot', '9000'], ['serve', '--offline', 'maybe'], ['mcp', '--offline', 'maybe']]) {
      const r = cli(args, { EXEC_MCP_PORT: '0' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^unexpected argument (--prot|maybe); usage: exec-mcp (serve|mcp) /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an invalid EXEC_MCP_BEHIND_TLS_PROXY (variable or flag value) is one line naming it, exit 2, nothing created', () => {
    for (const [args, env] of [[['migrate'], { EXEC_MCP_BEHIND_TLS_PROXY: 'maybe' }], [['serve', '--port', '0', '--behind-tls-proxy=on'], {}]] as const) {
      const r = cli([...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe('invalid configuration: EXEC_MCP_BEHIND_TLS_PROXY must be 1 or 0 (flag --behind-tls-proxy)\n');
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an unknown command exits 2', () => {
    expect(cli(['frobnicate'], {}).code).toBe(2);
  });
});
