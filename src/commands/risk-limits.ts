/**
 * `exec-mcp risk-limits show|set REF`: an account's risk caps (CONTRACT names: max_order_value,
 * max_open_orders, daily_notional, allowed_markets, kill_switch) from a shell, through
 * AccountsService (validation and audit as the dashboard's limits form). A store write: a running
 * serve checks the limits it reads inside each place_order's transaction.
 */
import type { RiskLimits } from '../domain/account.ts';
import { UsageError } from './args.ts';
import { type BrakeCliIo, invocation, realIo, runCli } from './brake-cli.ts';
import { CLI_ACTOR } from './brake-target.ts';
import { commandHelp } from './command-table.ts';

const LIMIT_FLAGS = ['max-order-value', 'max-open-orders', 'daily-notional', 'allowed-markets', 'kill-switch'];
const SPEC: Record<string, { args: number; flags: string[] }> = {
  show: { args: 1, flags: ['json'] },
  set: { args: 1, flags: [...LIMIT_FLAGS, 'json'] },
};

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runRiskLimits(args, env, realIo());
}

export async function runRiskLimits(args: string[], env: NodeJS.ProcessEnv, io: BrakeCliIo): Promise<number> {
  return runCli(commandHelp('risk-limits').trimEnd(), io, async (open) => {
    const inv = invocation('risk-limits', args, env, SPEC, ['json']);
    const ref = inv.positional[0]!;
    const patch = inv.sub === 'set' ? limitsPatch((f) => inv.str(f)) : undefined;
    const app = await open(inv.config, 'risk-limits');
    const accounts = app.services.accounts;
    let limits = accounts.get(ref).limits;
    if (patch) {
      const next: Record<string, unknown> = { ...limits };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      const a = accounts.setLimits(ref, next as RiskLimits, CLI_ACTOR);
      limits = a.limits;
    }
    const d = accounts.get(ref);
    const who = `${d.name} (${d.exchange}:${d.exchange_account_id})`;
    if (inv.own['json'] === true) io.stdout.write(JSON.stringify({ account: `${d.exchange}:${d.exchange_account_id}`, limits }, null, 2) + '\n');
    else io.stdout.write(`${patch ? 'risk limits saved for' : 'risk limits of'} ${who}\n${formatLimits(limits)}`);
    return 0;
  });
}

/** Flag values to limit values; "" removes a cap (null). Unset flags are left out. */
function limitsPatch(str: (flag: string) => string | undefined): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const text = (flag: string, key: string): void => {
    const v = str(flag);
    if (v !== undefined) patch[key] = v.trim() === '' ? null : v.trim();
  };
  text('max-order-value', 'max_order_value');
  text('daily-notional', 'daily_notional');
  const moo = str('max-open-orders');
  if (moo !== undefined) {
    if (moo.trim() === '') patch['max_open_orders'] = null;
    else if (/^\d{1,7}$/.test(moo.trim())) patch['max_open_orders'] = Number(moo.trim());
    else throw new UsageError('--max-open-orders must be a whole number from 0 to 1000000 (or "" for no cap)');
  }
  const markets = str('allowed-markets');
  if (markets !== undefined) {
    const list = markets.split(/[,\s]+/).filter((m) => m !== '').map((m) => m.toLowerCase());
    patch['allowed_markets'] = list.length === 0 ? null : list;
  }
  const ks = str('kill-switch');
  if (ks !== undefined) {
    if (ks !== 'on' && ks !== 'off') throw new UsageError('--kill-switch must be on or off');
    patch['kill_switch'] = ks === 'on';
  }
  if (Object.keys(patch).length === 0) throw new UsageError(`risk-limits set needs at least one of ${LIMIT_FLAGS.map((f) => `--${f}`).join(', ')}`);
  return patch;
}

function formatLimits(l: RiskLimits): string {
  const rows: Array<[string, string]> = [
    ['max_order_value', l.max_order_value ?? 'no cap'],
    ['max_open_orders', l.max_open_orders === undefined ? 'no cap' : String(l.max_open_orders)],
    ['daily_notional', l.daily_notional ?? 'no cap'],
    ['allowed_markets', l.allowed_markets === undefined ? 'all' : l.allowed_markets.join(', ')],
    ['kill_switch', l.kill_switch === true ? 'ON' : 'off'],
  ];
  return rows.map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join('\n') + '\n';
}
