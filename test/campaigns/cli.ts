/**
 * The operator CLI as a child process (async, so an in-process emulator keeps answering meanwhile).
 * Used to set up campaign accounts exactly as an operator would: `accounts add` and
 * `accounts set-credentials` (secret on stdin, never argv).
 */
import { spawn } from 'node:child_process';
import { BIN, TEST_MASTER_KEY } from './service-process.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, stdin?: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', EXEC_MCP_OFFLINE: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** Runs a CLI command against a data dir and throws with its output unless it exits 0. */
export async function cliOk(dataDir: string, args: string[], stdin?: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runCli([...args, '--data-dir', dataDir], { EXEC_MCP_MASTER_KEY: TEST_MASTER_KEY, ...env }, stdin);
  if (r.code !== 0) throw new Error(`exec-mcp ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Adds a Bitstamp account and stores its credentials (the secret travels on stdin). */
export async function addBitstampAccount(dataDir: string, a: { name: string; exchangeAccountId: string; apiKey: string; secret: string }): Promise<string> {
  await cliOk(dataDir, ['accounts', 'add', '--name', a.name, '--exchange', 'bitstamp', '--exchange-account-id', a.exchangeAccountId]);
  await cliOk(dataDir, ['accounts', 'set-credentials', `bitstamp:${a.exchangeAccountId}`, '--api-key', a.apiKey], `${a.secret}\n`);
  return `bitstamp:${a.exchangeAccountId}`;
}

/** Adds a paper account with initial balances. */
export async function addPaperAccount(dataDir: string, a: { name: string; exchangeAccountId: string; balances: Record<string, string> }): Promise<string> {
  const balances = Object.entries(a.balances).flatMap(([c, v]) => ['--balance', `${c}=${v}`]);
  await cliOk(dataDir, ['accounts', 'add', '--name', a.name, '--exchange', 'paper', '--exchange-account-id', a.exchangeAccountId, ...balances]);
  return `paper:${a.exchangeAccountId}`;
}
