/**
 * Persistence of a paper exchange, in its own small transactions (it is "the exchange", independent
 * of the service's order tables): the live state row (paper_state) plus closed orders and fills.
 * Written synchronously before a command returns, so a SIGKILL never loses an acknowledged order.
 */
import type { Db } from '../db/connection.ts';
import { DomainError } from '../domain/errors.ts';
import type { FillReport, OrderLocator, OrderStatusReport } from './adapter.ts';
import type { EngineState } from '../../sim/engine-state.ts';
import type { SimEvent } from '../../sim/types.ts';

export class PaperStore {
  private readonly stmts;

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
      saveFill: db.prepare('INSERT OR IGNORE INTO paper_fills (account_key, seq, fill_id, at, fill_json) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT report_json FROM paper_orders WHERE account_key = ? AND exchange_order_id = ?'),
      byClient: db.prepare('SELECT report_json FROM paper_orders WHERE account_key = ? AND client_order_id = ? ORDER BY rowid DESC LIMIT 1'),
      fills: db.prepare('SELECT fill_json FROM paper_fills WHERE account_key = ? AND at >= ? ORDER BY seq'),
    };
  }

  load(): EngineState | undefined {
    const row = this.stmts.load.get(this.accountRef) as { state_json: string } | undefined;
    return row ? (JSON.parse(row.state_json) as EngineState) : undefined;
  }

  /** One transaction: the new live state, every order that ended, every new fill. */
  commit(state: EngineState, events: readonly SimEvent[], at: string): void {
    this.db.transaction(() => {
      this.stmts.save.run(this.accountRef, JSON.stringify(state), at);
      const ended = new Map<string, OrderStatusReport>();
      for (const e of events) {
        if (e.type === 'fill') this.stmts.saveFill.run(this.accountRef, Number(e.fill.fillId.slice(4)), e.fill.fillId, e.fill.at, JSON.stringify(e.fill));
        else if (e.report.state !== 'open') ended.set(e.report.exchangeOrderId, e.report);
      }
      for (const r of ended.values())
        this.stmts.saveOrder.run(this.accountRef, r.exchangeOrderId, r.clientOrderId ?? null, r.state, JSON.stringify(r), r.at);
    })();
  }

  /** A closed order (open ones are in the live state). */
  findOrder(locator: OrderLocator): OrderStatusReport | null {
    const row = (
      locator.exchangeOrderId !== undefined
        ? this.stmts.byId.get(this.accountRef, locator.exchangeOrderId)
        : locator.clientOrderId !== undefined
          ? this.stmts.byClient.get(this.accountRef, locator.clientOrderId)
          : undefined
    ) as { report_json: string } | undefined;
    return row ? (JSON.parse(row.report_json) as OrderStatusReport) : null;
  }

  fills(since?: string): FillReport[] {
    const ms = since === undefined ? 0 : Date.parse(since);
    if (Number.isNaN(ms)) throw new DomainError('INVALID_ARGUMENT', `since ${since} is not an ISO-8601 timestamp`);
    const from = since === undefined ? '' : new Date(ms).toISOString();
    return (this.stmts.fills.all(this.accountRef, from) as { fill_json: string }[]).map((r) => JSON.parse(r.fill_json) as FillReport);
  }
}
