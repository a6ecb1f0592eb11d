/**
 * The service as a child process, the way an operator runs it: `exec-mcp serve` on 127.0.0.1 with
 * a temp data dir and an explicit, minimal environment (offline, never the internet). It can be
 * started, stopped gracefully, and SIGKILLed at any moment; the same port and data dir are reused
 * across restarts so a crash campaign looks like a real host. Every byte of stdout/stderr of every
 * run is kept (the secrets scan greps it; a failed campaign prints its tail).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/exec-mcp.js');

/** A fixed 32-byte master key (base64) so credentials stay readable across restarts without a key file race. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

export interface ServiceOptions {
  dataDir: string;
  /** Fixed port reused across restarts; default: a free port picked once. */
  port?: number;
  token?: string;
  adminPassword?: string;
  /** Extra environment (BITSTAMP_API_URL, EXEC_MCP_LOG_LEVEL, ...). EXEC_MCP_OFFLINE=1 is always set. */
  env?: Record<string, string>;
  /** How long start() waits for /readyz (default 60 s: tsx compiles on a busy 2-core host). */
  readyTimeoutMs?: number;
}

export interface ExitRecord {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the driver asked for it (kill/stop); false = the service died on its own. */
  expected: boolean;
}

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export class ServiceProcess {
  readonly dataDir: string;
  readonly token: string;
  readonly adminPassword: string;
  readonly exits: ExitRecord[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private port: number;
  private stdoutChunks: string[] = [];
  private stderrChunks: string[] = [];
  starts = 0;
  /** Graceful stops that had to end in SIGKILL (the service ignored SIGTERM for too long). */
  forcedStops = 0;

  constructor(private readonly opts: ServiceOptions) {
    this.dataDir = opts.dataDir;
    this.port = opts.port ?? 0;
    this.token = opts.token ?? 'campaign-token-0123456789abcdef';
    this.adminPassword = opts.adminPassword ?? 'campaign-admin-password';
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get mcpUrl(): string {
    return `${this.baseUrl}/mcp`;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get stdout(): string {
    return this.stdoutChunks.join('');
  }
  get stderr(): string {
    return this.stderrChunks.join('');
  }
  /** Exits the driver did not ask for (a crash of the service itself). */
  get unexpectedExits(): ExitRecord[] {
    return this.exits.filter((e) => !e.expected);
  }

  env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.dataDir,
      EXEC_MCP_TOKEN: this.token,
      EXEC_MCP_ADMIN_PASSWORD: this.adminPassword,
      EXEC_MCP_MASTER_KEY: TEST_MASTER_KEY,
      EXEC_MCP_OFFLINE: '1',
      EXEC_MCP_LOG_LEVEL: 'info',
      // Unreachable defaults: whatever is not pointed at the emulator must fail locally, never go out.
      BITSTAMP_API_URL: 'http://127.0.0.1:9',
      BITSTAMP_WS_URL: 'ws://127.0.0.1:9',
      ...this.opts.env,
    };
  }

  /** Spawns `serve` and waits until /readyz answers 200. */
  async start(): Promise<void> {
    if (this.running) throw new Error('service already running');
    if (this.port === 0) this.port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(this.port), '--host', '127.0.0.1', '--data-dir', this.dataDir], {
      cwd: this.dataDir,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    this.child = child;
    this.expectingExit = false;
    const run = this.starts;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.stdoutChunks.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.stderrChunks.push(d));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exits.push({ code, signal, expected: this.expectingExit });
        if (!this.expectingExit) this.stderrChunks.push(`\n[campaign] service run ${run} exited on its own: code ${code} signal ${signal}\n`);
        resolve();
      });
    });
    await this.waitReady(this.opts.readyTimeoutMs ?? 60_000);
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      if (!this.running) throw new Error(`service exited before it was ready:\n${this.tail()}`);
      try {
        const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        last = `${res.status} ${await res.text()}`;
        if (res.status === 200) return;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await sleep(50);
    }
    throw new Error(`service not ready after ${timeoutMs} ms (last: ${last.slice(0, 300)})\n${this.tail()}`);
  }

  /** SIGKILL (or another signal) and wait for the exit. No clean shutdown, no WAL checkpoint. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child || !this.running) return;
    this.expectingExit = true;
    this.child.kill(signal);
    await this.exited;
  }

  /** Graceful stop (SIGTERM); SIGKILL after `graceMs`. Returns false if it had to be forced. */
  async stop(graceMs = 15_000): Promise<boolean> {
    if (!this.child || !this.running) return true;
    this.expectingExit = true;
    this.child.kill('SIGTERM');
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      this.stderrChunks.push(`\n[campaign] service did not exit within ${graceMs} ms of SIGTERM; SIGKILL\n`);
      this.child?.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    if (forced) this.forcedStops++;
    return !forced;
  }

  /** Last lines of the combined output, for failure messages. */
  tail(lines = 40): string {
    const all = `${this.stdout}\n${this.stderr}`.split('\n').filter((l) => l !== '');
    return all.slice(-lines).join('\n');
  }

  /** Lines of stderr that pino wrote at level error (50) or fatal (60). */
  errorLogLines(): string[] {
    return this.stderr.split('\n').filter((l) => /"level":(50|60)\b/.test(l));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
