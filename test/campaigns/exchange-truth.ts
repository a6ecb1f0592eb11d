/**
 * The exchange's truth, independent of the service's own tables: for the Bitstamp emulator its
 * in-memory engine; for a paper account the paper exchange's books in the data dir (paper_state for
 * open orders and balances, paper_orders for closed orders, paper_fills for every fill), read
 * read-only with better-sqlite3 after the service has stopped.
 */
import Database from 'better-sqlite3';
import { D, decStr } from '../../src/domain/money.ts';
import type { ExchangeOrderState, FillReport, OrderStatusReport } from '../../src/exchanges/adapter.ts';
import type { EngineState } from '../../sim/engine-state.ts';
import type { EmulatorEngine, EmuStatus } from '../bitstamp-emulator/engine.ts';

export interface TruthOrder {
  exchangeOrderId: string;
  clientOrderId?: string;
  market: string;
  side: 'buy' | 'sell';
  state: ExchangeOrderState;
  amount: string;
  filled: string;
}

export interface TruthFill {
  fillId: string;
  exchangeOrderId: string;
  market: string;
  side: 'buy' | 'sell';
  amount: string;
  price: string;
  fee: string;
}

export type Balances = Record<string, { total: string; reserved: string }>;

export interface ExchangeTruth {
  orders: TruthOrder[];
  fills: TruthFill[];
  balances: Balances;
}

const EMU_STATE: Record<EmuStatus, ExchangeOrderState> = { Open: 'open', Finished: 'filled', Canceled: 'cancelled', Expired: 'expired' };

/** One emulator account (by its Bitstamp user id), as the exchange sees it right now. */
export function emulatorTruth(engine: EmulatorEngine, userId: string): ExchangeTruth {
  const orders: TruthOrder[] = [];
  const fills: TruthFill[] = [];
  for (const o of engine.orders) {
    if (o.userId !== userId) continue;
    const t: TruthOrder = {
      exchangeOrderId: String(o.id),
      market: o.market.symbol,
      side: o.side,
      state: EMU_STATE[o.status],
      amount: decStr(o.amountAtCreate),
      filled: decStr(o.amountAtCreate.minus(o.remaining)),
    };
    if (o.clientOrderId !== undefined && o.clientOrderId !== '') t.clientOrderId = o.clientOrderId;
    orders.push(t);
    for (const tx of o.txs)
      fills.push({ fillId: `${o.id}:${tx.tid}`, exchangeOrderId: String(o.id), market: o.market.symbol, side: o.side, amount: decStr(tx.amount), price: decStr(tx.price), fee: decStr(tx.fee) });
  }
  const balances: Balances = {};
  const acc = [...engine.accounts.values()].find((a) => a.userId === userId);
  for (const [cur, b] of acc?.balances ?? []) balances[cur.toUpperCase()] = { total: decStr(b.total), reserved: decStr(b.reserved) };
  return { orders, fills, balances };
}

function fromReport(r: OrderStatusReport): TruthOrder {
  const t: TruthOrder = { exchangeOrderId: r.exchangeOrderId, market: r.market, side: r.side, state: r.state, amount: decStr(new D(r.amount)), filled: decStr(new D(r.filledAmount)) };
  if (r.clientOrderId !== undefined) t.clientOrderId = r.clientOrderId;
  return t;
}

/** A paper account's exchange books from a (stopped) service's database file. */
export function paperTruth(dbFile: string, accountRef: string): ExchangeTruth {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const stateRow = db.prepare('SELECT state_json FROM paper_state WHERE account_key = ?').get(accountRef) as { state_json: string } | undefined;
    if (!stateRow) throw new Error(`no paper exchange state for ${accountRef}`);
    const state = JSON.parse(stateRow.state_json) as EngineState;
    const byId = new Map<string, TruthOrder>();
    for (const row of db.prepare('SELECT report_json FROM paper_orders WHERE account_key = ?').all(accountRef) as { report_json: string }[]) {
      const t = fromReport(JSON.parse(row.report_json) as OrderStatusReport);
      byId.set(t.exchangeOrderId, t);
    }
    for (const o of state.orders) {
      const t: TruthOrder = {
        exchangeOrderId: `sim-o-${o.seq}`,
        market: o.market,
        side: o.side,
        state: o.state,
        amount: decStr(new D(o.amount)),
        filled: decStr(new D(o.amount).minus(o.remaining)),
      };
      if (o.client_order_id !== undefined) t.clientOrderId = o.client_order_id;
      if (byId.has(t.exchangeOrderId)) throw new Error(`paper order ${t.exchangeOrderId} is both open (paper_state) and closed (paper_orders)`);
      byId.set(t.exchangeOrderId, t);
    }
    const fills = (db.prepare('SELECT fill_json FROM paper_fills WHERE account_key = ? ORDER BY seq').all(accountRef) as { fill_json: string }[]).map((r) => {
      const f = JSON.parse(r.fill_json) as FillReport;
      return { fillId: f.fillId, exchangeOrderId: f.exchangeOrderId, market: f.market, side: f.side, amount: decStr(new D(f.amount)), price: decStr(new D(f.price)), fee: decStr(new D(f.fee)) };
    });
    const balances: Balances = {};
    for (const [cur, b] of Object.entries(state.ledger.balances)) balances[cur.toUpperCase()] = { total: decStr(new D(b.total)), reserved: decStr(new D(b.reserved)) };
    return { orders: [...byId.values()], fills, balances };
  } finally {
    db.close();
  }
}
