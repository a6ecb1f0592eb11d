/**
 * Risk caps and kill switches (DESIGN.md "Safety at the MCP edge"). `enforceRisk` runs inside the
 * very transaction (savepoint) that creates the order, so two concurrent orders cannot both slip
 * under a cap, and it records the order's notional in `daily_notional` in the same breath.
 * `riskProblems` is the read-only variant for preview_order.
 * Caps are in the market's quote currency: max_order_value bounds each order's value in its own
 * quote, and daily_notional bounds each quote currency's total of the day on its own (amounts in
 * different currencies are never added up; there is no FX conversion).
 */
import type { Db } from '../db/connection.ts';
import type { AccountKey, RiskLimits } from '../domain/account.ts';
import { DomainError, type Problem } from '../domain/errors.ts';
import { D, decStr, type Dec } from '../domain/money.ts';
import { statement } from '../db/statements.ts';
import { storeFaultsOf } from '../db/store-faults.ts';

export interface RiskOrder {
  accountKey: AccountKey;
  accountRef: string;
  market: string;
  quote: string;
  /** Order value in quote currency; undefined when it cannot be valued (market order, no price). */
  notional?: string;
  /** UTC day "YYYY-MM-DD" the notional counts against. */
  day: string;
}

const KILL_SWITCH_KEY = 'kill_switch';

export function globalKillSwitchOn(db: Db): boolean {
  const row = statement(db, 'SELECT value FROM settings WHERE key = ?').get(KILL_SWITCH_KEY) as { value: string } | undefined;
  return row !== undefined && ['1', 'true', 'on'].includes(row.value.toLowerCase());
}

/** A damaged store halts trading like the global kill switch (db/store-faults.ts); the problem says why. */
export function storeHaltProblem(db: Db): Problem | undefined {
  const reason = storeFaultsOf(db).haltReason();
  return reason === undefined ? undefined : { code: 'RISK_LIMIT', message: `trading is halted: the global kill switch is on because the ${reason}` };
}

/** Throws RISK_LIMIT while the store is damaged: checked before anything reads the store. */
export function assertStoreNotHalted(db: Db): void {
  const p = storeHaltProblem(db);
  if (p) throw new DomainError('RISK_LIMIT', p.message, { problems: [p] });
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function openOrders(db: Db, key: AccountKey): number {
  return (statement(db, 'SELECT COUNT(*) AS n FROM orders WHERE account_id = ? AND terminal = 0').get(key) as { n: number }).n;
}

/** LEGACY_QUOTE: totals recorded before they were kept per quote (migration 003); they count against every quote. */
const LEGACY_QUOTE = '*';

/** The day's recorded notional in `quote`, and the total including rows of unknown quote. */
function notionalToday(db: Db, key: AccountKey, day: string, quote: string): { own: string; counted: Dec } {
  const rows = statement(db, 'SELECT quote, notional FROM daily_notional_by_quote WHERE account_id = ? AND day = ? AND quote IN (?, ?)').all(
    key,
    day,
    quote,
    LEGACY_QUOTE,
  ) as { quote: string; notional: string }[];
  const own = rows.find((r) => r.quote === quote)?.notional ?? '0';
  return { own, counted: rows.reduce((sum, r) => sum.plus(r.notional), new D(0)) };
}

/** Every cap the order would break, in the order they are checked (kill switches first). */
export function riskProblems(db: Db, limits: RiskLimits, o: RiskOrder): Problem[] {
  const problems: Problem[] = [];
  const add = (message: string, field?: string): void => {
    problems.push(field === undefined ? { code: 'RISK_LIMIT', message } : { code: 'RISK_LIMIT', field, message });
  };
  const storeHalt = storeHaltProblem(db);
  if (storeHalt) problems.push(storeHalt);
  if (globalKillSwitchOn(db)) add('trading is halted: the global kill switch is on');
  if (limits.kill_switch) add(`trading is halted for account ${o.accountRef}: its kill_switch limit is on`);
  if (limits.allowed_markets !== undefined && !limits.allowed_markets.includes(o.market)) {
    const allowed = limits.allowed_markets.length ? limits.allowed_markets.join(', ') : 'none';
    add(`market ${o.market} is not in allowed_markets of account ${o.accountRef} (allowed: ${allowed})`, 'market');
  }
  const value = o.notional === undefined ? undefined : new D(o.notional);
  if (limits.max_order_value !== undefined) {
    if (value === undefined)
      add(`cannot value this order (no reference price) while max_order_value ${limits.max_order_value} ${o.quote} applies; use a limit order`, 'amount');
    else if (value.gt(limits.max_order_value))
      add(`order value ${decStr(value)} ${o.quote} exceeds max_order_value ${limits.max_order_value} ${o.quote}`, 'amount');
  }
  if (limits.max_open_orders !== undefined) {
    const open = openOrders(db, o.accountKey);
    if (open >= limits.max_open_orders)
      add(`account ${o.accountRef} has ${open} open orders; max_open_orders is ${limits.max_open_orders}`);
  }
  if (limits.daily_notional !== undefined) {
    const today = notionalToday(db, o.accountKey, o.day, o.quote).counted;
    if (value === undefined)
      add(`cannot value this order (no reference price) while daily_notional ${limits.daily_notional} ${o.quote} applies; use a limit order`, 'amount');
    else if (today.plus(value).gt(limits.daily_notional))
      add(
        `daily notional would reach ${decStr(today.plus(value))} ${o.quote} (already ${decStr(today)} on ${o.day}); daily_notional is ${limits.daily_notional} ${o.quote}`,
        'amount',
      );
  }
  return problems;
}

/** Throws RISK_LIMIT (first problem; all of them in details) or records the notional. Call inside the order's transaction. */
export function enforceRisk(db: Db, limits: RiskLimits, o: RiskOrder): void {
  const problems = riskProblems(db, limits, o);
  const first = problems[0];
  if (first) throw new DomainError('RISK_LIMIT', first.message, { problems });
  if (o.notional === undefined) return;
  const total = new D(notionalToday(db, o.accountKey, o.day, o.quote).own).plus(o.notional);
  statement(
    db,
    `INSERT INTO daily_notional_by_quote (account_id, day, quote, notional) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, day, quote) DO UPDATE SET notional = excluded.notional`,
  ).run(o.accountKey, o.day, o.quote, decStr(total));
}

/** What the account has used of its caps on `day`: open orders and each quote's recorded notional. */
export function riskUsage(db: Db, key: AccountKey, day: string): { open_orders: number; daily_notional: { quote: string; used: string }[] } {
  const rows = statement(db, 'SELECT quote, notional FROM daily_notional_by_quote WHERE account_id = ? AND day = ? ORDER BY quote').all(key, day) as {
    quote: string;
    notional: string;
  }[];
  return { open_orders: openOrders(db, key), daily_notional: rows.map((r) => ({ quote: r.quote, used: decStr(new D(r.notional)) })) };
}
