/**
 * `exec-mcp backtest --data FILE [--orders ORDERS.jsonl] [--balance CUR=AMOUNT ...] [--seed N]
 * [--fees maker,taker] [--latency-ms N] [--latency-jitter-ms N] [--prob-fill-on-touch P] [--interval I]
 * [--market M] [--slippage-bps N] [--sim-only]`
 * Runs a backtest headless and prints the report JSON on stdout (CONTRACT.md). By default through
 * the full service (src/services/backtest-headless.ts); --sim-only (or a build without the
 * composition root) drives the simulator directly, with the same digest.
 */
import { z } from 'zod';
import { parseArgs } from './args.ts';
import { DomainError, isDomainError } from '../domain/errors.ts';
import { decimalString } from '../domain/money.ts';
import { runSimOnly, runWithService, type BacktestCliOptions, type CreateApp, type HeadlessOutput } from '../services/backtest-headless.ts';

export type { BacktestCliOptions } from '../services/backtest-headless.ts';

const USAGE =
  'usage: exec-mcp backtest --data FILE [--orders ORDERS.jsonl] [--balance CUR=AMOUNT ...] [--seed N] [--fees maker,taker] [--latency-ms N] [--latency-jitter-ms N] [--prob-fill-on-touch P] [--interval 1m] [--market M] [--slippage-bps N] [--sim-only]';

const intFlag = (name: string, max: number) =>
  z.coerce.number({ message: `--${name} must be a whole number` }).int(`--${name} must be a whole number`).min(0, `--${name} must be >= 0`).max(max, `--${name} must be <= ${max}`);

export function parseBacktestArgs(args: string[]): BacktestCliOptions {
  const p = parseArgs(args, new Set(['sim-only']));
  const str = (name: string): string | undefined => (typeof p.flags[name] === 'string' ? (p.flags[name] as string) : undefined);
  const known = new Set(['data', 'orders', 'balance', 'seed', 'fees', 'latency-ms', 'latency-jitter-ms', 'prob-fill-on-touch', 'interval', 'market', 'slippage-bps', 'sim-only']);
  const unknown = Object.keys(p.flags).find((f) => !known.has(f));
  if (unknown) throw new DomainError('INVALID_ARGUMENT', `unknown flag --${unknown}; ${USAGE}`);
  const data = str('data');
  const orders = str('orders');
  if (!data) throw new DomainError('INVALID_ARGUMENT', `--data is required; ${USAGE}`);
  const balances: Record<string, string> = {};
  for (const b of p.multi.balance ?? []) {
    const m = /^([A-Za-z0-9]{2,10})=(.+)$/.exec(b);
    if (!m || !decimalString.safeParse(m[2]).success) throw new DomainError('INVALID_ARGUMENT', `--balance ${b}: expected CUR=AMOUNT like USD=10000`);
    balances[m[1]!.toUpperCase()] = m[2]!;
  }
  if (Object.keys(balances).length === 0) balances.USD = '10000';
  const out: BacktestCliOptions = { data, balances, simOnly: p.flags['sim-only'] === true };
  if (orders !== undefined) out.orders = orders;
  const num = (name: string, max: number): number | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    const r = intFlag(name, max).safeParse(v);
    if (!r.success) throw new DomainError('INVALID_ARGUMENT', r.error.issues[0]!.message);
    return r.data;
  };
  const seed = num('seed', 4_294_967_295);
  if (seed !== undefined) out.seed = seed;
  const latency = num('latency-ms', 86_400_000);
  if (latency !== undefined) out.latencyMs = latency;
  const slip = num('slippage-bps', 10_000);
  if (slip !== undefined) out.slippageBps = slip;
  const jitter = num('latency-jitter-ms', 60_000);
  if (jitter !== undefined) out.latencyJitterMs = jitter;
  const touch = str('prob-fill-on-touch');
  if (touch !== undefined) {
    const p = /^(0(\.\d+)?|1(\.0+)?)$/.test(touch) ? Number(touch) : NaN;
    if (Number.isNaN(p)) throw new DomainError('INVALID_ARGUMENT', `--prob-fill-on-touch ${touch}: expected a chance in [0, 1] like 0.5`);
    out.probFillOnTouch = p;
  }
  const interval = str('interval');
  if (interval !== undefined) out.interval = interval; // checked where the data is read
  const market = str('market');
  if (market !== undefined) out.market = market;
  const fees = str('fees');
  if (fees !== undefined) {
    const [maker, taker, extra] = fees.split(',');
    if (!maker || !taker || extra !== undefined || !decimalString.safeParse(maker).success || !decimalString.safeParse(taker).success)
      throw new DomainError('INVALID_ARGUMENT', `--fees ${fees}: expected maker,taker fractions like 0.0015,0.0025`);
    out.fees = { maker, taker };
  }
  return out;
}

async function loadCreateApp(): Promise<CreateApp | undefined> {
  const mainPath = new URL('../main.ts', import.meta.url).href; // a variable: the lead's root may not exist in every build
  try {
    const mod = (await import(mainPath)) as { createApp?: CreateApp };
    return mod.createApp;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

export async function run(args: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const o = parseBacktestArgs(args);
    let out: HeadlessOutput;
    if (o.simOnly) out = runSimOnly(o);
    else {
      const createApp = await loadCreateApp();
      if (createApp) out = await runWithService(o, createApp);
      else {
        process.stderr.write('note: the service is not available in this build; running the simulator alone (--sim-only)\n');
        out = runSimOnly(o);
      }
    }
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  } catch (e) {
    if (isDomainError(e)) {
      process.stderr.write(`error: ${e.code}: ${e.message}\n`);
      return e.code === 'INVALID_ARGUMENT' ? 2 : 1;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
