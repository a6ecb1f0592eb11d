/**
 * What `orders`, `kill-switch` and `risk-limits` share: argument checks, opening the app, error
 * to exit code (usage 2, refused 1) and printing. Each command file holds only its own steps.
 */
import type { Writable } from 'node:stream';
import { BOOLEAN_CONFIG_FLAGS, type Config, FLAG_TO_VAR, loadConfig } from '../config.ts';
import type { AccountCancelResult } from '../services/brake.ts';
import { cliFailureExitCode, parseArgs, splitConfigFlags, UsageError, type ParsedArgs } from './args.ts';
import type { BrakeApp, FetchLike } from './brake-target.ts';

export interface BrakeCliIo {
  stdout: Writable;
  stderr: Writable;
  openApp: (config: Config, opts: { command: string }) => Promise<BrakeApp>;
  fetch?: FetchLike;
}


export interface Invocation {
  sub: string;
  positional: string[];
  own: Record<string, string | boolean>;
  multi: ParsedArgs['multi'];
  config: Config;
  /** A flag's string value (UsageError when given bare), undefined when absent. */
  str(flag: string): string | undefined;
}

/** Parses, checks the subcommand and its flags against `spec`, loads the config. */
export function invocation(command: string, args: string[], env: NodeJS.ProcessEnv, spec: Record<string, { args: number; flags: string[] }>, booleans: string[]): Invocation {
  const parsed = parseArgs(args, new Set([...BOOLEAN_CONFIG_FLAGS, ...booleans]));
  const { config: configFlags, own } = splitConfigFlags(parsed.flags, Object.keys(FLAG_TO_VAR));
  const [sub, ...positional] = parsed.positional;
  const s = sub === undefined ? undefined : spec[sub];
  if (!s || sub === undefined) throw new UsageError(sub === undefined ? `missing ${command} command` : `unknown ${command} command "${sub}"`);
  if (positional.length !== s.args) throw new UsageError(s.args === 0 ? `unexpected argument ${positional[0]}` : `${command} ${sub} takes ${s.args} argument${s.args === 1 ? '' : 's'}`);
  const unknown = Object.keys(own).find((f) => !s.flags.includes(f));
  if (unknown !== undefined) throw new UsageError(`${command} ${sub} does not take --${unknown}`);
  return {
    sub,
    positional,
    own,
    multi: parsed.multi,
    config: loadConfig(env, configFlags),
    str(flag) {
      const v = own[flag];
      if (v === true) throw new UsageError(`--${flag} needs a value`);
      return v === false ? undefined : v;
    },
  };
}

/** Runs `body`, closing the app it opened, and maps failures to exit codes. */
export async function runCli(usage: string, io: BrakeCliIo, body: (open: (config: Config, command: string) => Promise<BrakeApp>) => Promise<number>): Promise<number> {
  let app: BrakeApp | undefined;
  try {
    return await body(async (config, command) => (app = await io.openApp(config, { command })));
  } catch (e) {
    return cliFailureExitCode(e, usage, io.stderr);
  } finally {
    await app?.close();
  }
}

/** The real composition root, loaded lazily so usage errors never build the app. */
export async function openRealApp(config: Config, opts: { command: string }): Promise<BrakeApp> {
  const main = (await import(new URL('../main.ts', import.meta.url).href)) as {
    createApp(config: Config, opts: { command: string }): Promise<BrakeApp>;
  };
  return main.createApp(config, opts);
}

export function realIo(): BrakeCliIo {
  return { stdout: process.stdout, stderr: process.stderr, openApp: openRealApp };
}

/** Cancel results, one line per account that had something to cancel; exit 1 when one failed. */
export function printCancels(io: BrakeCliIo, via: string, results: readonly AccountCancelResult[], json: boolean): number {
  if (json) io.stdout.write(JSON.stringify({ via, results }, null, 2) + '\n');
  else {
    const worked = results.filter((r) => r.error !== undefined || r.cancelled.length > 0 || r.still_open > 0);
    if (worked.length === 0) io.stdout.write(`no open orders to cancel (${via})\n`);
    for (const r of worked) {
      if (r.error) io.stdout.write(`${r.account}: not cancelled: ${r.error.code} ${r.error.message}\n`);
      else
        io.stdout.write(
          `${r.account}: cancel sent for ${r.cancelled.length} order${r.cancelled.length === 1 ? '' : 's'}${r.cancelled.length > 0 ? ` (${r.cancelled.join(', ')})` : ''}` +
            `${r.still_open > 0 ? `; ${r.still_open} still open, cancel not yet confirmed by the exchange` : ''} (${via})\n`,
        );
    }
  }
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

/** Fixed-width columns, header first. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
