/**
 * Configuration values are hostile input. For every variable of CONTRACT.md with a rule, generated
 * bad values must give one readable line naming the variable (and never echo a secret's value):
 * in process (many runs, loadConfig → ConfigError) and through the real CLI as a child process
 * (a few runs: exit code 2, exactly one stderr line, no stack trace, nothing written).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { BIN } from '../campaigns/service-process.ts';

const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 300);
const CLI_RUNS = Number(process.env.BAD_INPUT_CLI_RUNS ?? 20);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-bad-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SECRET_VARS = new Set(['EXEC_MCP_TOKEN', 'EXEC_MCP_READONLY_TOKEN', 'EXEC_MCP_ADMIN_PASSWORD', 'EXEC_MCP_MASTER_KEY']);
const text = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', minLength: 1, maxLength }).filter((s) => !s.includes('\u0000'));
const notFlag = (s: string): boolean => !['1', '0', 'true', 'false', 'yes', 'no', ''].includes(s);

const BAD: Record<string, fc.Arbitrary<string>> = {
  EXEC_MCP_PORT: fc.oneof(
    fc.constantFrom('abc', '-1', '65536', '99999', ' 80', '80 ', '1e3', '0x10', '８０', '8.5', '+80', '80a'),
    fc.integer({ min: 65536, max: 10_000_000 }).map(String),
    text(8).filter((s) => !/^\d+$/.test(s)),
  ),
  EXEC_MCP_TOKEN: text(15).filter((s) => [...s].length < 16 && s.length < 16),
  EXEC_MCP_READONLY_TOKEN: text(15).filter((s) => s.length < 16),
  EXEC_MCP_ADMIN_PASSWORD: text(7).filter((s) => s.length < 8),
  EXEC_MCP_MASTER_KEY: fc.oneof(
    fc.constantFrom('not-a-key', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), 'AAAA', '!!!!'),
    text(60).filter((s) => !(/^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 32)),
  ),
  BITSTAMP_API_URL: fc.oneof(fc.constantFrom('not a url', 'ws://127.0.0.1:1', 'ftp://x', 'http//x', 'javascript:alert(1)', '💥'), text(20).filter((s) => !/^https?:\/\/\S/.test(s))),
  BITSTAMP_WS_URL: fc.oneof(fc.constantFrom('not a url', 'http://127.0.0.1:1', 'https://x', 'ws//x'), text(20).filter((s) => !/^wss?:\/\/\S/.test(s))),
  EXEC_MCP_OFFLINE: text(6).filter(notFlag),
  EXEC_MCP_READ_ONLY: text(6).filter(notFlag),
  EXEC_MCP_BEHIND_TLS_PROXY: text(6).filter(notFlag),
  EXEC_MCP_LOG_LEVEL: text(8).filter((s) => !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s)),
};
const badSetting = fc.constantFrom(...Object.keys(BAD)).chain((variable) => BAD[variable]!.map((value) => ({ variable, value })));

function checkLine(line: string, variable: string, value: string): void {
  expect(line).not.toContain('\n');
  expect(line).toMatch(new RegExp(`\\b${variable}\\b`));
  expect(line).not.toMatch(/\bat .*\.(ts|js):\d+/);
  if (SECRET_VARS.has(variable) && value.trim().length >= 4) expect(line).not.toContain(value);
}

function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'migrate', '--data-dir', path.join(dir, 'data')], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bad configuration values', () => {
  it('in process: ConfigError with one line naming the variable', () => {
    fc.assert(
      fc.property(badSetting, ({ variable, value }) => {
        let err: unknown;
        try {
          loadConfig({ [variable]: value });
        } catch (e) {
          err = e;
        }
        expect(err, `${variable}=${JSON.stringify(value)} was accepted`).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).variable).toBe(variable);
        checkLine((err as ConfigError).message, variable, value);
      }),
      { numRuns: RUNS },
    );
  });

  it('through the CLI: exit 2, exactly one stderr line naming the variable, nothing created', async () => {
    await fc.assert(
      fc.asyncProperty(badSetting, async ({ variable, value }) => {
        const r = await runCli({ [variable]: value });
        expect(r.code, `${variable}=${JSON.stringify(value)}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines, r.stderr).toHaveLength(1);
        checkLine(lines[0]!, variable, value);
        expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
      }),
      { numRuns: CLI_RUNS },
    );
  }, 120_000);
});
