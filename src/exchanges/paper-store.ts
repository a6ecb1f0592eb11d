/**
 * Persistence of a paper exchange, in its own small transactions (it is "the exchange", independent
 * of the service's order tables). Written synchronously before a command returns, so a SIGKILL
 * never loses an acknowledged order.
 *
 * Layout: paper_state holds the engine state WITHOUT its orders (balances, counters, PRNG, markets:
 * small and of constant size); every order the exchange knows is a paper_orders row (report_json is
 * its OrderStatusReport; an open order's also carries the engine's own record of it under
 * `engine`); every fill a paper_fills row. A mutation rewrites only the state row and the rows of
 * the orders it touched, so its cost does not grow with the number of open orders (rewriting one
 * state JSON holding every open order made each command O(open orders)). A state row written by
 * the older layout (open orders inside state_json) is still read; the adapter rewrites it.
 */
import type { Db } from '../db/connection.ts';
import { DomainError } from '../domain/errors.ts';
import type { FillReport, OrderLocator, OrderStatusReport } from './adapter.ts';
import type { EngineState, SerializedOrder } from '../../sim/engine-state.ts';
import type { PaperSimulation } from '../domain/paper-simulation.ts';

/** paper_state.state_json of this layout: the state without orders, and a marker saying where they are. */
type StateRow = EngineState & { open_orders?: 'paper_orders'; simulation?: PaperSimulation };

/** report_json of an open order's row. */
type OpenOrderRow = OrderStatusReport & { engine: SerializedOrder };

export interface OpenOrderRecord {
  report: OrderStatusReport;
  engine: SerializedOrder;
}

/** What one mutation changed. */
export interface PaperChanges {
  fills: readonly FillReport[];
  /** Orders still open after the mutation (their current report and engine record). */
  open: readonly OpenOrderRecord[];
  /** Orders that ended in it. */
  closed: readonly OrderStatusReport[];
}

export class PaperStore {
  private readonly stmts;
  /** The account's fill-model settings, written with every state row (paper-simulation.ts). */
  simulation: PaperSimulation | undefined;

  constructor(
    private readonly db: Db,
    private readonly accountRef: string,
  ) {
    this.stmts = {
      load: db.prepare('SELECT state_json FROM paper_state WHERE account_key = ?'),
      save: db.prepare(
        `INSERT INTO paper_state (account_key, state_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (account_key) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at`,
      ),
      saveOrder: db.prepare(
        `INSERT INTO paper_orders (account_key, exchange_order_id, client_order_id, state, report_json, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_key, exchange_order_id) DO UPDATE SET state = excluded.state, report_json = excluded.report_json, updated_at = excluded.updated_at`,
      ),
      openOrders: db.prepare("SELECT report_json FROM paper_orders WHERE account_key = ? AND state = 'open'"),
      dropOpenOrders: db.prepare("DELETE FROM paper_orders WHERE account_key = ? AND state = 'open'"),
      saveFill: db.prepare('INSERT OR IGNORE INTO paper_fills (account_key, seq, fill_id, at, fill_json) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT report_json FROM paper_orders WHERE account_key = ? AND exchange_order_id = ?'),
      byClient: db.prepare('SELECT report_json FROM paper_orders WHERE account_key = ? AND client_order_id = ? ORDER BY rowid DESC LIMIT 1'),
      fills: db.prepare('SELECT fill_json FROM paper_fills WHERE account_key = ? AND at >= ? ORDER BY seq'),
    };
  }

  /**
   * The persisted engine state with its open orders, or undefined for an exchange never saved.
   * `rowsLayout` tells whether it was saved in the per-order layout (false: the old single JSON).
   */
  loadWithLayout(): { state: EngineState; rowsLayout: boolean; simulation?: PaperSimulation } | undefined {
    const row = this.stmts.load.get(this.accountRef) as { state_json: string } | undefined;
    if (!row) return undefined;
    const { open_orders: where, simulation, ...state } = JSON.parse(row.state_json) as StateRow;
    const sim = simulation === undefined ? {} : { simulation };
    if (where !== 'paper_orders') return { state, rowsLayout: false, ...sim };
    const rows = this.stmts.openOrders.all(this.accountRef) as { report_json: string }[];
    state.orders = rows.map((r) => (JSON.parse(r.report_json) as OpenOrderRow).engine).sort((a, b) => a.seq - b.seq);
    return { state, rowsLayout: true, ...sim };
  }

  load(): EngineState | undefined {
    return this.loadWithLayout()?.state;
  }

  /** Forgets open-order rows of a previous exchange under this key (an account removed, its key reused). */
  reset(): void {
    this.stmts.dropOpenOrders.run(this.accountRef);
  }

  /** One transaction: the state row (without orders), the touched orders' rows, the new fills. */
  commit(stateWithoutOrders: EngineState, changes: PaperChanges, at: string): void {
    const row: StateRow = { ...stateWithoutOrders, orders: [], open_orders: 'paper_orders' };
    if (this.simulation !== undefined) row.simulation = this.simulation;
    this.db.transaction(() => {
      this.stmts.save.run(this.accountRef, JSON.stringify(row), at);
      for (const f of changes.fills) this.stmts.saveFill.run(this.accountRef, Number(f.fillId.slice(4)), f.fillId, f.at, JSON.stringify(f));
      for (const { report, engine } of changes.open) {
        const json: OpenOrderRow = { ...report, engine };
        this.stmts.saveOrder.run(this.accountRef, report.exchangeOrderId, report.clientOrderId ?? null, 'open', JSON.stringify(json), report.at);
      }
      for (const r of changes.closed)
        this.stmts.saveOrder.run(this.accountRef, r.exchangeOrderId, r.clientOrderId ?? null, r.state, JSON.stringify(r), r.at);
    })();
  }

  /** An order by id (closed ones; open ones are answered by the engine first). */
  findOrder(locator: OrderLocator): OrderStatusReport | null {
    const row = (
      locator.exchangeOrderId !== undefined
        ? this.stmts.byId.get(this.accountRef, locator.exchangeOrderId)
        : locator.clientOrderId !== undefined
          ? this.stmts.byClient.get(this.accountRef, locator.clientOrderId)
          : undefined
    ) as { report_json: string } | undefined;
    if (!row) return null;
    const { engine: _engine, ...report } = JSON.parse(row.report_json) as OpenOrderRow;
    return report;
  }

  fills(since?: string): FillReport[] {
    const ms = since === undefined ? 0 : Date.parse(since);
    if (Number.isNaN(ms)) throw new DomainError('INVALID_ARGUMENT', `since ${since} is not an ISO-8601 timestamp`);
    const from = since === undefined ? '' : new Date(ms).toISOString();
    return (this.stmts.fills.all(this.accountRef, from) as { fill_json: string }[]).map((r) => JSON.parse(r.fill_json) as FillReport);
  }
}
