/**
 * Model-based test of the order runtime (fc.commands) against the scripted exchange: random
 * sequences of place / cancel / fill / partial fill / duplicate / out-of-order / lost events /
 * reject / lost answers / "unavailable" / crash-and-restore (a crash can hit between the outbox
 * commit and the exchange call, or while the exchange holds the request).
 *
 * Each sequence runs twice: once honouring the crashes, once ignoring them. Invariants of
 * DESIGN.md are checked after every command in both runs, and at the end both runs — after
 * reconciliation — hold the same orders in the same state, which is the exchange's state.
 * PROPERTY_RUNS=200 for a longer search.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { D } from '../../src/domain/money.ts';
import { TERMINAL_STATUSES, type OrderStatus } from '../../src/domain/order.ts';
import type { AccountRecord } from '../../src/domain/account.ts';
import { RuntimeHarness } from '../fixtures/runtime-harness.ts';
import type { CancelBehaviour, PlaceBehaviour } from '../fixtures/scripted-exchange.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);

interface Sys {
  h: RuntimeHarness;
  acct: AccountRecord;
  honourCrashes: boolean;
  /** order_id per client order id placed so far */
  orders: Map<string, string>;
  terminal: Map<string, OrderStatus>;
}

interface Model {
  placed: number;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs the system until nothing is queued or in flight (manual timers advance for retries). */
async function settle(s: Sys, limit = 2000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await turn();
    await turn();
    if (s.h.runtime.isIdle() && s.h.exchange.heldCount() === 0) return;
    if (s.h.exchange.heldCount() > 0 && s.h.runtime.isIdle()) return;
    s.h.manual.advance(20);
  }
  throw new Error('system did not settle');
}

function checkInvariants(s: Sys): void {
  const rows = s.h.db.prepare('SELECT order_id, client_order_id, status, amount, filled_amount FROM orders').all() as Array<{
    order_id: string;
    client_order_id: string;
    status: OrderStatus;
    amount: string;
    filled_amount: string;
  }>;
  const fillSums = new Map(
    (s.h.db.prepare('SELECT order_id, amount FROM fills').all() as Array<{ order_id: string; amount: string }>).reduce((m, f) => {
      m.set(f.order_id, (m.get(f.order_id) ?? new D(0)).plus(f.amount));
      return m;
    }, new Map<string, InstanceType<typeof D>>()),
  );
  for (const r of rows) {
    expect(new D(r.filled_amount).lte(r.amount), `filled <= amount for ${r.client_order_id}`).toBe(true);
    expect(r.filled_amount, `filled = sum of distinct fills for ${r.client_order_id}`).toBe((fillSums.get(r.order_id) ?? new D(0)).toFixed());
    const was = s.terminal.get(r.order_id);
    if (was !== undefined) expect(r.status, `terminal ${r.client_order_id} absorbs`).toBe(was);
    if (TERMINAL_STATUSES.has(r.status)) s.terminal.set(r.order_id, r.status);
  }
  expect(s.h.exchange.unprovenResends(), 'no client_order_id sent twice without proof it never landed').toEqual([]);
  const landed = [...s.h.exchange.orders.values()].map((o) => o.clientOrderId);
  expect(new Set(landed).size, 'each order landed at most once').toBe(landed.length);
}

type Cmd = fc.AsyncCommand<Model, Sys>;

class Place implements Cmd {
  constructor(readonly behaviours: PlaceBehaviour[], readonly amount: string) {}
  check = (): boolean => true;
  async run(m: Model, s: Sys): Promise<void> {
    await settle(s);
    const cid = `c${m.placed++}`;
    s.h.exchange.scriptPlace(cid, ...this.behaviours);
    const view = await s.h.runtime.createOrder(s.acct, s.h.input(s.acct, cid, { amount: this.amount, orderId: `O-${cid}` }), 'test');
    s.orders.set(cid, view.order_id);
    checkInvariants(s);
  }
  toString = (): string => `Place(${this.behaviours.join('>')}, ${this.amount})`;
}

class Cancel implements Cmd {
  constructor(readonly pick: number, readonly behaviour: CancelBehaviour) {}
  check = (m: Model): boolean => m.placed > 0;
  async run(m: Model, s: Sys): Promise<void> {
    await settle(s);
    const cid = `c${this.pick % m.placed}`;
    s.h.exchange.scriptCancel(cid, this.behaviour);
    await s.h.runtime.send(s.orders.get(cid) as string, { type: 'CANCEL', at: new Date(s.h.clock.now()).toISOString() }, 'test');
    checkInvariants(s);
  }
  toString = (): string => `Cancel(#${this.pick}, ${this.behaviour})`;
}

class Fill implements Cmd {
  constructor(readonly pick: number, readonly amount: string, readonly mode: 'push' | 'duplicate' | 'update-first' | 'lost') {}
  check = (m: Model): boolean => m.placed > 0;
  async run(m: Model, s: Sys): Promise<void> {
    await settle(s);
    const cid = `c${this.pick % m.placed}`;
    s.h.exchange.fill(cid, this.amount, { duplicate: this.mode === 'duplicate', updateFirst: this.mode === 'update-first', push: this.mode !== 'lost' });
    checkInvariants(s);
  }
  toString = (): string => `Fill(#${this.pick}, ${this.amount}, ${this.mode})`;
}

/** Crash after `turns` event-loop turns (0 = right after the last commit, before any exchange call). */
class Crash implements Cmd {
  constructor(readonly turns: number) {}
  check = (): boolean => true;
  async run(_m: Model, s: Sys): Promise<void> {
    if (!s.honourCrashes) return;
    for (let i = 0; i < this.turns; i++) await turn();
    await s.h.restart({ crash: true });
    checkInvariants(s);
  }
  toString = (): string => `Crash(after ${this.turns} turns)`;
}

const placeBehaviours = fc.oneof(
  { weight: 5, arbitrary: fc.constant<PlaceBehaviour[]>(['accept']) },
  // The exchange refuses this order whenever it sees it (a re-send after a crash gets the same answer).
  fc.constant<PlaceBehaviour[]>(['reject', 'reject', 'reject', 'reject', 'reject']),
  fc.constant<PlaceBehaviour[]>(['accept-lose-answer']),
  fc.constant<PlaceBehaviour[]>(['unavailable', 'accept']),
  fc.constant<PlaceBehaviour[]>(['unavailable', 'unavailable', 'accept']),
);
/** Lost requests make the two runs legitimately differ (a crash lets recovery re-send after proving absence). */
const withLostRequests = fc.oneof(placeBehaviours, fc.constant<PlaceBehaviour[]>(['lose-request']), fc.constant<PlaceBehaviour[]>(['lose-request', 'accept']));

const commandsOf = (behaviours: fc.Arbitrary<PlaceBehaviour[]>) => fc.commands(
  [
    fc.tuple(behaviours, fc.constantFrom('1', '0.5', '2')).map(([b, a]) => new Place(b, a)),
    fc.tuple(fc.nat(50), fc.constantFrom<CancelBehaviour>('accept', 'accept', 'accept-lose-answer')).map(([p, b]) => new Cancel(p, b)),
    fc.tuple(fc.nat(50), fc.constantFrom('0.25', '0.5', '1', '2'), fc.constantFrom('push', 'duplicate', 'update-first', 'lost' as const)).map(
      ([p, a, mode]) => new Fill(p, a, mode),
    ),
    fc.nat(6).map((t) => new Crash(t)),
  ],
  { maxCommands: 40, size: 'large' },
);
const commands = commandsOf(placeBehaviours);

async function newSys(honourCrashes: boolean): Promise<Sys> {
  const h = await RuntimeHarness.create({ manualTimers: true, outbox: { retryBaseMs: 10, retryMaxMs: 40 } });
  const acct = h.addAccount('main');
  return { h, acct, honourCrashes, orders: new Map(), terminal: new Map() };
}

/** Reconcile against the exchange and let in-flight checks run out, then read every order. */
async function finalState(s: Sys): Promise<Record<string, { status: string; filled: string; fee: string; exchangeOrderId: string | null }>> {
  await settle(s);
  await s.h.runtime.reconcileAccount(s.acct, 'test');
  for (let i = 0; i < 40; i++) {
    s.h.manual.advance(2000);
    await settle(s);
  }
  checkInvariants(s);
  expect(s.h.audit.verify().ok).toBe(true);
  const rows = s.h.db.prepare('SELECT client_order_id, status, filled_amount, fee_total, exchange_order_id FROM orders ORDER BY client_order_id').all() as Array<{
    client_order_id: string;
    status: string;
    filled_amount: string;
    fee_total: string;
    exchange_order_id: string | null;
  }>;
  return Object.fromEntries(rows.map((r) => [r.client_order_id, { status: r.status, filled: r.filled_amount, fee: r.fee_total, exchangeOrderId: r.exchange_order_id }]));
}

/** What the exchange says each order should be (the truth reconciliation converges to). */
function exchangeTruth(s: Sys, cids: string[]): Record<string, { status: string; filled: string }> {
  const out: Record<string, { status: string; filled: string }> = {};
  for (const cid of cids) {
    const o = s.h.exchange.findByClient(cid);
    if (!o) {
      out[cid] = { status: 'rejected', filled: '0' };
      continue;
    }
    const filled = o.fills.reduce((a, f) => a.plus(f.amount), new D(0));
    const status = o.state === 'open' ? (filled.gt(0) ? 'partially_filled' : 'open') : o.state;
    out[cid] = { status, filled: filled.toFixed() };
  }
  return out;
}

let open: Sys[] = [];
afterEach(async () => {
  for (const s of open) await s.h.close();
  open = [];
});

describe('order runtime model (fc.commands)', () => {
  it('invariants hold; a run with crashes ends where the same run without crashes ends, which is the exchange truth', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const crashed = await newSys(true);
        const steady = await newSys(false);
        open.push(crashed, steady);
        try {
          await fc.asyncModelRun(() => ({ model: { placed: 0 }, real: crashed }), cmds);
          await fc.asyncModelRun(() => ({ model: { placed: 0 }, real: steady }), [...cmds]);
          const a = await finalState(crashed);
          const b = await finalState(steady);
          expect(a).toEqual(b);
          const truth = exchangeTruth(crashed, Object.keys(a));
          for (const [cid, st] of Object.entries(a)) expect({ cid, status: st.status, filled: st.filled }).toEqual({ cid, ...truth[cid] });
        } finally {
          await crashed.h.close();
          await steady.h.close();
          open = [];
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: 120_000 },
    );
  }, 300_000);

  it('with lost requests too: invariants hold and every run converges to the exchange truth', async () => {
    await fc.assert(
      fc.asyncProperty(commandsOf(withLostRequests), async (cmds) => {
        const s = await newSys(true);
        open.push(s);
        try {
          await fc.asyncModelRun(() => ({ model: { placed: 0 }, real: s }), cmds);
          const a = await finalState(s);
          const truth = exchangeTruth(s, Object.keys(a));
          for (const [cid, st] of Object.entries(a)) expect({ cid, status: st.status, filled: st.filled }).toEqual({ cid, ...truth[cid] });
        } finally {
          await s.h.close();
          open = [];
        }
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: 120_000 },
    );
  }, 300_000);
});
