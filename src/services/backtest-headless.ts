/**
 * The headless backtest runners behind `exec-mcp backtest` (CONTRACT.md): through the full service
 * (a temporary data dir; the orders are ordinary order actors) or the simulator alone. Both send
 * the simulator the same commands, so the digest is the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { codedReason, isDomainError } from '../domain/errors.ts';
import type { Market } from '../domain/market.ts';
import type { BacktestReport, Services } from './ports.ts';
import { fillViewOf } from '../exchanges/adapter.ts';
import { BacktestSession } from '../../sim/backtest-session.ts';
import { bundledMarket } from '../exchanges/bitstamp/metadata.ts';
import { marketFromFileName, parseMarketDataFile } from '../../sim/market-data/parse.ts';
import { parseInterval } from '../../sim/market-data/candles.ts';
import { readOrdersScript, runScript, type Rejection, type ScriptStep } from '../../sim/orders-script.ts';
import { fillsDigest } from '../../sim/digest.ts';

export interface BacktestCliOptions {
  data: string;
  /** The orders script; without one the data replays with no orders (fills empty, balances as given). */
  orders?: string;
  balances: Record<string, string>;
  seed?: number;
  fees?: { maker: string; taker: string };
  latencyMs?: number;
  market?: string;
  slippageBps?: number;
  latencyJitterMs?: number;
  probFillOnTouch?: number;
  /** Candle interval like "1m" (default: the data's spacing). */
  interval?: string;
  simOnly: boolean;
}

export type HeadlessOutput = BacktestReport & { rejected: Rejection[]; engine: 'service' | 'sim-only' };

/** The simulator alone, with the sample (Bitstamp) market rules. */
export function runSimOnly(o: BacktestCliOptions, getMarket: (m: string) => Market = bundledMarket): HeadlessOutput {
  const known = (m: string) => {
    try {
      getMarket(m);
      return true;
    } catch {
      return false;
    }
  };
  const data = parseMarketDataFile(o.data, { market: o.market ?? marketFromFileName(o.data, known) ?? 'btcusd', ...(o.interval !== undefined ? { interval: parseInterval(o.interval, '--interval') } : {}) });
  const steps: ScriptStep[] = o.orders === undefined ? [] : readOrdersScript(o.orders);
  const session = new BacktestSession(
    data,
    {
      getMarket,
      seed: o.seed ?? 1,
      latencyMs: o.latencyMs ?? 0,
      slippageBps: o.slippageBps ?? 5,
      ...(o.latencyJitterMs !== undefined ? { latencyJitterMs: o.latencyJitterMs } : {}),
      ...(o.probFillOnTouch !== undefined ? { probFillOnTouch: o.probFillOnTouch } : {}),
      ...(o.fees ? { fees: o.fees } : {}),
    },
    o.balances,
  );
  const { report, rejected } = runScript(session, steps);
  // Without the service there are no public order ids: the simulator's own order id stands in.
  const fills = report.fills.map((f) => fillViewOf(f, f.exchangeOrderId));
  return { backtest_id: 'sim-only', clock: report.clock, balances: report.balances, fills, fees_paid: report.fees_paid, pnl: report.pnl, pnl_by_currency: report.pnl_by_currency, equity_curve: report.equity_curve, digest: fillsDigest(report.fills), rejected, engine: 'sim-only' };
}

export interface AppLike {
  services: Services;
  start(): Promise<void>;
  close(): Promise<void>;
}
export type CreateApp = (config: Config, opts: Record<string, unknown>) => Promise<AppLike>;

/** Through the full service: a temporary data dir, the backtest account, ordinary orders. */
export async function runWithService(o: BacktestCliOptions, createApp: CreateApp): Promise<HeadlessOutput> {
  const steps: ScriptStep[] = o.orders === undefined ? [] : readOrdersScript(o.orders);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-mcp-backtest-'));
  const app = await createApp(loadConfig({}, { 'data-dir': dir, offline: true, 'log-level': 'silent' }), {});
  try {
    await app.start();
    const { backtests, orders } = app.services;
    const created = await backtests.create(
      {
        data: path.resolve(o.data),
        initial_balances: o.balances,
        seed: o.seed ?? 1,
        latency_ms: o.latencyMs ?? 0,
        slippage_bps: o.slippageBps ?? 5,
        ...(o.fees ? { fees: o.fees } : {}),
        ...(o.market ? { market: o.market } : {}),
        ...(o.latencyJitterMs !== undefined ? { latency_jitter_ms: o.latencyJitterMs } : {}),
        ...(o.probFillOnTouch !== undefined ? { prob_fill_on_touch: o.probFillOnTouch } : {}),
        ...(o.interval !== undefined ? { interval: o.interval } : {}),
      },
      'cli',
    );
    const id = created.backtest_id;
    let clock = Date.parse(created.clock);
    const rejected: Rejection[] = [];
    for (const s of steps) {
      // The clock only moves forward; advancing to "now" also waits until earlier orders reached the simulator.
      clock = Date.parse((await backtests.advance({ backtest_id: id, until: new Date(Math.max(s.at, clock)).toISOString() }, 'cli')).clock);
      try {
        if ('place' in s) await orders.place(created.account, s.place, 'cli');
        else await orders.cancel(created.account, { client_order_id: s.cancel }, 'cli');
      } catch (e) {
        if (!isDomainError(e)) throw e;
        rejected.push({ line: s.line, client_order_id: 'place' in s ? s.place.client_order_id : s.cancel, code: e.code, message: e.message });
      }
      await backtests.advance({ backtest_id: id, until: new Date(clock).toISOString() }, 'cli');
    }
    await backtests.advance({ backtest_id: id }, 'cli');
    const report = await backtests.report({ backtest_id: id });
    for (const v of orders.list(created.account, { status: 'closed', limit: 1000 })) {
      if (v.status !== 'rejected' || rejected.some((r) => r.client_order_id === v.client_order_id)) continue;
      const reason = codedReason(v.status_reason ?? 'rejected');
      const code = reason.code ?? 'EXCHANGE_REJECTED';
      const line = steps.find((s) => 'place' in s && s.place.client_order_id === v.client_order_id)?.line ?? 0;
      rejected.push({ line, client_order_id: v.client_order_id, code, message: reason.message });
    }
    return { ...report, rejected: rejected.sort((a, b) => a.line - b.line), engine: 'service' };
  } finally {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
