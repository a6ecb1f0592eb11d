/**
 * `exec-mcp kill-switch on|off|show`: the global kill switch, or one account's (`--account`), from
 * a shell; `on --cancel-open` also cancels the open orders it covers. The switch is a store write
 * (a running serve reads it inside every place_order's transaction), committed before any cancel;
 * the cancels go through the owner of the order actors (brake-target.ts). Audited as actor "cli".
 */
import { setKillSwitch } from '../services/brake.ts';
import { UsageError } from './args.ts';
import { type BrakeCliIo, invocation, printCancels, realIo, runCli, table } from './brake-cli.ts';
import { CLI_ACTOR, brakeFor } from './brake-target.ts';
import { commandHelp } from './command-table.ts';

const SPEC: Record<string, { args: number; flags: string[] }> = {
  on: { args: 0, flags: ['account', 'cancel-open', 'json'] },
  off: { args: 0, flags: ['account', 'json'] },
  show: { args: 0, flags: ['json'] },
};

export async function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runKillSwitch(args, env, realIo());
}

export async function runKillSwitch(args: string[], env: NodeJS.ProcessEnv, io: BrakeCliIo): Promise<number> {
  return runCli(commandHelp('kill-switch').trimEnd(), io, async (open) => {
    const inv = invocation('kill-switch', args, env, SPEC, ['cancel-open', 'json']);
    const json = inv.own['json'] === true;
    const app = await open(inv.config, 'kill-switch');
    const accounts = app.services.accounts;
    if (inv.sub === 'show') {
      const killed = accounts.list().filter((a) => a.limits.kill_switch === true).map((a) => `${a.exchange}:${a.exchange_account_id}`);
      const global = accounts.globalKillSwitch();
      if (json) io.stdout.write(JSON.stringify({ global_kill_switch: global, accounts_killed: killed }, null, 2) + '\n');
      else io.stdout.write(table([['SWITCH', 'STATE'], ['global', global ? 'ON' : 'off'], ...killed.map((r) => [r, 'ON'])]));
      return 0;
    }
    const on = inv.sub === 'on';
    const account = inv.str('account');
    const cancelOpen = inv.own['cancel-open'] === true;
    if (cancelOpen && !on) throw new UsageError('--cancel-open goes with "kill-switch on"');
    const ref = setKillSwitch(accounts, { on, ...(account !== undefined ? { account } : {}) }, CLI_ACTOR);
    const which = ref === undefined ? 'global kill switch' : `kill switch of ${ref}`;
    if (!json) io.stdout.write(on ? `${which} ON: new orders are refused\n` : `${which} off: orders are accepted again\n`);
    if (!cancelOpen) {
      if (json) io.stdout.write(JSON.stringify({ kill_switch: on, account: ref ?? null }, null, 2) + '\n');
      return 0;
    }
    const brake = await brakeFor(inv.config, app, io.fetch);
    return printCancels(io, brake.via, await brake.cancelAll(ref), json);
  });
}
