/**
 * get_trading_status: the safety state a strategy trades under, in one read — kill switches, the
 * account's risk caps beside how much of each is used today, open orders, mode and connection.
 * A client that knows it is halted stops sending orders instead of collecting RISK_LIMIT errors.
 */
import { z } from 'zod';
import { ACCOUNT_MODES, riskLimitsSchema } from '../domain/account.ts';
import type { Services } from '../services/ports.ts';
import { accountRefArg } from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';

export const tradingStatusInput = z
  .object({ account: accountRefArg.optional().describe('Without it: the global switch and each account\'s can_trade') })
  .strict();

const accountStatus = z.object({
  account: z.string(),
  mode: z.enum(ACCOUNT_MODES),
  enabled: z.boolean(),
  kill_switch: z.boolean(),
  /** Whether a new order would pass the switches and the enabled flag (caps are checked per order). */
  can_trade: z.boolean(),
});

export const tradingStatusOutput = z.object({
  global_kill_switch: z.boolean(),
  accounts: z.array(accountStatus).optional(),
  account: accountStatus
    .extend({
      limits: riskLimitsSchema.strip(),
      usage: z.object({
        day: z.string(),
        open_orders: z.number(),
        daily_notional: z.array(z.object({ quote: z.string(), used: z.string() })),
      }),
      connection: z.object({ state: z.string(), since: z.string(), last_error: z.string().optional() }).optional(),
    })
    .optional(),
});

export function registerTradingStatusTool(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'get_trading_status',
      title: 'Trading status',
      description:
        'Safety state orders are checked against: global kill switch; for one account its kill_switch, enabled, mode, risk limits beside today\'s use (UTC day: open orders, notional per quote currency) and live connection state. can_trade=false: every place_order is refused now.',
      input: tradingStatusInput,
      output: tradingStatusOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      handler: ({ account }) => {
        const global = services.accounts.globalKillSwitch();
        const statusOf = (a: { name: string; mode: (typeof ACCOUNT_MODES)[number]; enabled: boolean; limits: { kill_switch?: boolean | undefined } }) => {
          const kill = a.limits.kill_switch === true;
          return { account: a.name, mode: a.mode, enabled: a.enabled, kill_switch: kill, can_trade: !global && !kill && a.enabled };
        };
        if (account === undefined) {
          return { global_kill_switch: global, accounts: services.accounts.listDetails({}).filter((a) => a.mode !== 'backtest').map(statusOf) };
        }
        const d = services.accounts.get(account);
        const ref = `${d.exchange}:${d.exchange_account_id}`;
        const conn = services.status.connections().find((c) => c.account === ref || c.account === d.name);
        return {
          global_kill_switch: global,
          account: {
            ...statusOf(d),
            limits: d.limits,
            usage: services.orders.riskUsage(account),
            ...(conn ? { connection: { state: conn.state, since: conn.since, ...(conn.last_error !== undefined ? { last_error: conn.last_error } : {}) } } : {}),
          },
        };
      },
    }),
  );
}
