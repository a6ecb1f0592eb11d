/**
 * machines/order.table.md is the order lifecycle as a table; this test parses it and walks every
 * (setup, event) pair through XState's pure transition() (and applyOrderEvent, which must agree),
 * asserting the resulting state, whether anything changed, and the emitted commands.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { D, decStr } from '../../src/domain/money.ts';
import { ORDER_STATUSES, TERMINAL_STATUSES } from '../../src/domain/order.ts';
import {
  applyOrderEvent,
  commandsFromActions,
  createOrderSnapshot,
  orderMachine,
  type OrderSnapshot,
} from '../../machines/order.machine.ts';
import { ORDER_EVENT_TYPES, type FillRecord, type OrderEvent, type OrderInput } from '../../machines/order.types.ts';

const TABLE_PATH = fileURLToPath(new URL('../../machines/order.table.md', import.meta.url));
const AT = '2026-01-01T00:00:10.000Z';
const INPUT: OrderInput = {
  orderId: '01JTABLE0000000000000000000',
  account: 'paper:1',
  clientOrderId: 'table-1',
  market: 'btcusd',
  side: 'buy',
  type: 'limit',
  timeInForce: 'gtc',
  amount: '1',
  price: '100',
  postOnly: false,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** Markdown tables of the file, each as rows of trimmed cells (header first, separator dropped). */
function parseTables(md: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line.slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined).split('|');
    const row = cells.map((c) => c.trim().replaceAll('`', ''));
    if (row.every((c) => /^:?-+:?$/.test(c))) continue;
    if (current === undefined) tables.push((current = []));
    current.push(row);
  }
  return tables;
}

let fillSeq = 0;
function fill(amount: string, fillId = `tf${++fillSeq}`): FillRecord {
  return { fillId, amount, price: '100', fee: '0.01', feeCurrency: 'usd', liquidity: 'maker', at: AT };
}

/** Events of the setups' "reached by" column. */
function pathEvent(token: string): OrderEvent {
  const [name, arg] = token.split(' ');
  switch (name) {
    case 'SUBMIT':
    case 'CANCEL':
    case 'CANCEL_ACK':
    case 'EXPIRE':
      return { type: name, at: AT };
    case 'EXCHANGE_ACK':
      return { type: name, at: AT, exchangeOrderId: 'X1' };
    case 'EXCHANGE_REJECT':
    case 'CANCEL_REJECT':
    case 'OUTCOME_UNKNOWN':
      return { type: name, at: AT, reason: 'table' };
    case 'FILL':
      return { type: 'FILL', ...fill(arg ?? '0', `path-${arg}`) };
    default:
      throw new Error(`unknown path token ${token}`);
  }
}

interface Setup {
  snapshot: OrderSnapshot;
  firstFill?: OrderEvent;
}

/** The event variants of the "Event variants" table, built against the setup's context. */
function variant(label: string, setup: Setup): OrderEvent | undefined {
  const ctx = setup.snapshot.context;
  const remaining = decStr(new D(ctx.amount).minus(ctx.filledAmount));
  const report = (state: 'open' | 'filled' | 'cancelled' | 'expired', fills: FillRecord[] = []): OrderEvent => ({
    type: 'RECONCILED',
    at: AT,
    report: { state, exchangeOrderId: 'X1', fills },
  });
  switch (label) {
    case 'FILL part':
      return { type: 'FILL', ...fill('0.1') };
    case 'FILL rest':
      return { type: 'FILL', ...fill(remaining) };
    case 'FILL over':
      return { type: 'FILL', ...fill(decStr(new D(remaining).plus('0.5'))) };
    case 'FILL dup':
      return setup.firstFill;
    case 'RECONCILED open':
      return report('open');
    case 'RECONCILED open+fill':
      return report('open', [fill('0.1')]);
    case 'RECONCILED filled':
      return report('filled', [fill(remaining)]);
    case 'RECONCILED cancelled':
      return report('cancelled');
    case 'RECONCILED expired':
      return report('expired');
    case 'RECONCILED rejected':
      return { type: 'RECONCILED', at: AT, report: { state: 'rejected', fills: [], reason: 'table says no' } };
    case 'RECONCILED not_found':
      return { type: 'RECONCILED', at: AT, report: { state: 'not_found', fills: [] } };
    default:
      return pathEvent(label);
  }
}

const md = readFileSync(TABLE_PATH, 'utf8');
const tables = parseTables(md);
const setupTable = tables.find((t) => t[0]?.[0] === 'setup' && t[0][2] === 'reached by');
const variantTable = tables.find((t) => t[0]?.[0] === 'event' && t[0][1] === 'what is sent');
const transitionTable = tables.find((t) => t[0]?.[0] === 'event' && t[0][1] === 'pending');

function buildSetups(): Map<string, Setup & { state: string }> {
  const setups = new Map<string, Setup & { state: string }>();
  for (const [label, state, path] of setupTable!.slice(1)) {
    let snapshot = createOrderSnapshot(INPUT).snapshot;
    let firstFill: OrderEvent | undefined;
    for (const token of path === '(initial)' ? [] : path!.split(',').map((t) => t.trim())) {
      const event = pathEvent(token);
      if (event.type === 'FILL') firstFill ??= event;
      snapshot = applyOrderEvent(snapshot, event).snapshot;
    }
    setups.set(label!, firstFill ? { snapshot, firstFill, state: state! } : { snapshot, state: state! });
  }
  return setups;
}

describe('order.table.md', () => {
  it('has the setup, event-variant and transition tables', () => {
    expect(setupTable).toBeDefined();
    expect(variantTable).toBeDefined();
    expect(transitionTable).toBeDefined();
  });

  it('covers every status and every event type', () => {
    const states = new Set(setupTable!.slice(1).map((r) => r[1]));
    expect([...states].sort()).toEqual([...ORDER_STATUSES].sort());
    const eventTypes = new Set(variantTable!.slice(1).map((r) => r[0]!.split(' ')[0]));
    expect([...eventTypes].sort()).toEqual([...ORDER_EVENT_TYPES].sort());
    expect(transitionTable!.slice(1).map((r) => r[0])).toEqual(variantTable!.slice(1).map((r) => r[0]));
    expect(transitionTable![0]!.slice(1)).toEqual(setupTable!.slice(1).map((r) => r[0]));
  });

  it('reaches every setup in the state it names', () => {
    for (const [label, s] of buildSetups()) expect(s.snapshot.value, label).toBe(s.state);
  });

  it('matches transition() for every (setup, event) pair', () => {
    const setups = buildSetups();
    const header = transitionTable![0]!;
    let walked = 0;
    for (const row of transitionTable!.slice(1)) {
      const label = row[0]!;
      for (let i = 1; i < header.length; i++) {
        const setupLabel = header[i]!;
        const setup = setups.get(setupLabel)!;
        const cell = row[i]!.replace(/\(\d+\)/g, '').trim();
        const where = `${label} in ${setupLabel}`;
        const event = variant(label, setup);
        if (cell === 'n/a') {
          expect(event, `${where}: n/a only where the variant does not exist`).toBeUndefined();
          continue;
        }
        expect(event, where).toBeDefined();
        const [next, actions] = transition(orderMachine, setup.snapshot, event!);
        const commands = commandsFromActions(actions).map((c) => `+${c.kind}`);
        const step = applyOrderEvent(setup.snapshot, event!);
        // The fast path the runtime uses must agree with xstate's reference transition().
        expect(step.snapshot.value, where).toBe(next.value);
        expect(step.snapshot.context, where).toEqual(next.context);
        expect(step.commands.map((c) => `+${c.kind}`), where).toEqual(commands);
        if (cell === '·') {
          expect({ value: next.value, changed: step.changed, commands }, where).toEqual({
            value: setup.snapshot.value,
            changed: false,
            commands: [],
          });
          expect(next, `${where}: ignored means the very same snapshot`).toBe(setup.snapshot);
        } else {
          const [state, ...expectedCommands] = cell.split(/\s+/);
          expect({ value: next.value, commands, changed: step.changed }, where).toEqual({
            value: state,
            commands: expectedCommands,
            changed: true,
          });
          expect(next.context.updatedAt, where).toBe(AT);
          expect(next.status, where).toBe(TERMINAL_STATUSES.has(state as never) ? 'done' : 'active');
        }
        walked++;
      }
    }
    expect(walked).toBeGreaterThan(250);
  });
});
