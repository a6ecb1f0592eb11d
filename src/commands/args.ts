import type { Writable } from 'node:stream';
import { BOOLEAN_CONFIG_FLAGS, ConfigError } from '../config.ts';
import { isDomainError } from '../domain/errors.ts';
/** Minimal flag parser: --name value, --name=value, bare --flag = true; repeated flags collect into arrays. */
export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
  multi: Record<string, string[]>;
}

export function parseArgs(args: string[], booleanFlags: ReadonlySet<string> = new Set()): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: {}, multi: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name: string;
    let value: string | boolean;
    if (eq > 0) {
      name = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      name = a.slice(2);
      const next = args[i + 1];
      if (booleanFlags.has(name) || next === undefined || next.startsWith('--')) value = true;
      else {
        value = next;
        i++;
      }
    }
    out.flags[name] = value;
    if (typeof value === 'string') (out.multi[name] ??= []).push(value);
  }
  return out;
}


/**
 * Splits parsed flags into those that configure the service (names of FLAG_TO_VAR, for loadConfig)
 * and the command's own flags.
 */
export function splitConfigFlags(
  flags: Record<string, string | boolean>,
  configFlagNames: Iterable<string>,
): { config: Record<string, string | boolean>; own: Record<string, string | boolean> } {
  const names = new Set(configFlagNames);
  const config: Record<string, string | boolean> = {};
  const own: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(flags)) (names.has(k) ? config : own)[k] = v;
  return { config, own };
}

/**
 * Arguments of a command that takes configuration flags only (serve, migrate): the flags for
 * loadConfig, or the first thing that is not one (a stray word or a misspelt flag such as
 * `--prot 9000` must not silently run on the defaults).
 */
export function configOnlyArgs(args: string[], configFlagNames: Iterable<string>): { config: Record<string, string | boolean>; unexpected?: string } {
  const parsed = parseArgs(args, BOOLEAN_CONFIG_FLAGS);
  const { config, own } = splitConfigFlags(parsed.flags, configFlagNames);
  const unexpected = [...parsed.positional, ...Object.keys(own).map((f) => `--${f}`)][0];
  return unexpected === undefined ? { config } : { config, unexpected };
}

/** A command line the command does not take: exit 2 with its usage. */
export class UsageError extends Error {}

/**
 * The exit code of a CLI command that failed with `e`, after saying why on stderr: 2 for usage and
 * configuration errors (with the usage for the first), 1 for a coded domain error; anything else
 * is a bug and is rethrown.
 */
export function cliFailureExitCode(e: unknown, usage: string, stderr: Writable): number {
  if (e instanceof UsageError) {
    stderr.write(`${e.message}\n${usage}\n`);
    return 2;
  }
  if (e instanceof ConfigError) {
    stderr.write(`${e.message}\n`);
    return 2;
  }
  if (isDomainError(e)) {
    stderr.write(`error ${e.code}: ${e.message}\n`);
    return 1;
  }
  throw e;
}
