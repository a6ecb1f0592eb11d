/**
 * The order lifecycle as a pure XState v5 machine (DESIGN.md "Orders"). The state value is the
 * public status. No I/O, no clock, no randomness: time comes from each event's `at`, ids from the
 * input. Side effects leave as named actions (enqueueSubmit/enqueueCancel/enqueueQuery) whose
 * implementations do nothing; the runtime gets them from the pure `transition()` and writes them
 * to the outbox in the same transaction as the snapshot (persist, then act).
 * machines/order.table.md is the same lifecycle as a table; a test keeps the two equal.
 */
import { createActor, type ActorScope, type SnapshotFrom } from 'xstate';
import { DomainError } from '../src/domain/errors.ts';
import { ORDER_STATUSES } from '../src/domain/order.ts';
import {
  notFoundRejects,
  orderSetup,
  queryAfterCancelReject,
  queryFromReason,
  reportTerminalJumps,
  restingOnBook,
} from './order.setup.ts';
import {
  ORDER_MACHINE_VERSION,
  type OrderCommand,
  type OrderContext,
  type OrderEvent,
  type OrderInput,
  type OrderState,
} from './order.types.ts';

export const orderMachine = orderSetup.createMachine({
  id: 'order',
  initial: 'pending',
  context: ({ input }) => ({
    ...input,
    filledAmount: '0',
    filledNotional: '0',
    feeTotal: '0',
    fillIds: [],
    updatedAt: input.createdAt,
    cancelRequested: false,
  }),
  states: {
    pending: {
      always: { guard: 'isFullyFilled', target: 'filled' },
      on: {
        SUBMIT: { target: 'submitting', actions: ['touch', 'enqueueSubmit'] },
        // Never sent, yet the exchange fills it: the exchange is the truth; ask it for the rest.
        FILL: [
          { guard: 'isNewFillCompletingOrder', target: 'filled', actions: 'recordFill' },
          {
            guard: 'isNewFill',
            target: 'partially_filled',
            actions: ['recordFill', { type: 'enqueueQuery', params: { reason: 'fill for an order not yet submitted' } }],
          },
        ],
        // Never sent: cancelling is local and immediate.
        CANCEL: {
          target: 'cancelled',
          actions: ['touch', { type: 'setReason', params: { reason: 'cancelled before it was sent' } }],
        },
        EXPIRE: { target: 'expired', actions: 'recordReason' },
        RECONCILED: [
          ...reportTerminalJumps(),
          { guard: 'reportOpen', target: 'open', actions: 'applyReport' },
        ],
      },
    },
    submitting: {
      always: { guard: 'isFullyFilled', target: 'filled' },
      on: {
        EXCHANGE_ACK: { target: 'open', actions: 'recordAck' },
        EXCHANGE_REJECT: { target: 'rejected', actions: 'recordReason' },
        FILL: { guard: 'isNewFill', target: 'partially_filled', actions: 'recordFill' },
        CANCEL: { target: 'cancelling', actions: ['requestCancel', 'enqueueCancel'] },
        EXPIRE: { target: 'expired', actions: 'recordReason' },
        OUTCOME_UNKNOWN: { target: 'unknown', actions: ['recordReason', queryFromReason()] },
        RECONCILED: [
          ...reportTerminalJumps(),
          { guard: 'reportOpen', target: 'open', actions: 'applyReport' },
          notFoundRejects(),
        ],
      },
    },
    open: {
      // An order with fills is partially_filled, whichever edge brought it to open.
      always: [
        { guard: 'isFullyFilled', target: 'filled' },
        { guard: 'hasFills', target: 'partially_filled' },
      ],
      on: restingOnBook(),
    },
    partially_filled: {
      always: { guard: 'isFullyFilled', target: 'filled' },
      // A further fill stays here: targetless, the same as targeting this state (no re-entry) but
      // without computing exit and entry sets on the most frequent transition of all.
      on: { ...restingOnBook(), FILL: { guard: 'isNewFill', actions: 'recordFill' } },
    },
    cancelling: {
      always: { guard: 'isFullyFilled', target: 'filled' },
      on: {
        EXCHANGE_ACK: { guard: 'ackAddsId', actions: 'recordAck' },
        // The submit itself was refused (cancel requested before the ack): the cancel is moot.
        EXCHANGE_REJECT: { guard: 'notLanded', target: 'rejected', actions: 'recordReason' },
        FILL: { guard: 'isNewFill', actions: 'recordFill' },
        CANCEL_ACK: { target: 'cancelled', actions: 'touch' },
        CANCEL_REJECT: [
          {
            guard: 'hasLanded',
            target: 'open',
            actions: [{ type: 'recordCancelReject', params: { keepCancelRequest: false } }, queryAfterCancelReject()],
          },
          // Rejected before we know the order exists (e.g. "not found" racing the submit).
          {
            target: 'unknown',
            actions: [{ type: 'recordCancelReject', params: { keepCancelRequest: true } }, queryAfterCancelReject()],
          },
        ],
        EXPIRE: { target: 'expired', actions: 'recordReason' },
        OUTCOME_UNKNOWN: { target: 'unknown', actions: ['recordReason', queryFromReason()] },
        RECONCILED: [
          ...reportTerminalJumps(),
          // Still open: the cancel is still outstanding in the outbox; record what is new.
          { guard: 'reportOpenAddsInfo', actions: 'applyReport' },
          notFoundRejects(),
        ],
      },
    },
    unknown: {
      always: { guard: 'isFullyFilled', target: 'filled' },
      on: {
        EXCHANGE_ACK: [
          { guard: 'noCancelRequested', target: 'open', actions: ['clearReason', 'recordAck'] },
          // A late submit ack says nothing about the cancel whose outcome is unknown.
          { guard: 'ackAddsId', actions: 'recordAck' },
        ],
        EXCHANGE_REJECT: { guard: 'notLanded', target: 'rejected', actions: 'recordReason' },
        FILL: [
          { guard: 'isNewFillNoCancelRequested', target: 'partially_filled', actions: ['clearReason', 'recordFill'] },
          { guard: 'isNewFill', actions: 'recordFill' },
        ],
        CANCEL: { target: 'cancelling', actions: ['requestCancel', 'enqueueCancel'] },
        CANCEL_ACK: { guard: 'cancelRequested', target: 'cancelled', actions: ['touch', 'clearReason'] },
        EXPIRE: { target: 'expired', actions: 'recordReason' },
        RECONCILED: [
          ...reportTerminalJumps(),
          // The user asked to cancel and the exchange still has it: ask again.
          {
            guard: 'reportOpenCancelRequested',
            target: 'cancelling',
            actions: ['clearReason', 'applyReport', 'enqueueCancel'],
          },
          { guard: 'reportOpen', target: 'open', actions: ['clearReason', 'applyReport'] },
          notFoundRejects(),
        ],
      },
    },
    filled: { type: 'final' },
    cancelled: { type: 'final' },
    rejected: { type: 'final' },
    expired: { type: 'final' },
  },
});

// ---------------------------------------------------------------------------------------------
// The pure API the runtime uses: create, step, persist, restore. Nothing here runs an actor.

export type OrderSnapshot = SnapshotFrom<typeof orderMachine>;

/** What goes to the database: the state value and the context, nothing else. */
export interface PersistedOrderSnapshot {
  value: OrderState;
  context: OrderContext;
}

export interface OrderStep {
  snapshot: OrderSnapshot;
  commands: OrderCommand[];
  /** false when the event was ignored (duplicate fill, event in a terminal state...): skip persisting. */
  changed: boolean;
}

/** An action object as `transition()` returns it; only `type` and `params` are read. */
export interface EmittedAction {
  type: string;
  params?: unknown;
}

/** Maps the machine's enqueue* actions to outbox commands, in order; every other action is dropped. */
export function commandsFromActions(actions: readonly EmittedAction[]): OrderCommand[] {
  const commands: OrderCommand[] = [];
  for (const a of actions) {
    if (a.type === 'enqueueSubmit') commands.push({ kind: 'submit' });
    else if (a.type === 'enqueueCancel') commands.push({ kind: 'cancel' });
    else if (a.type === 'enqueueQuery') {
      const p = a.params as { reason?: unknown } | undefined;
      commands.push({ kind: 'query', reason: typeof p?.reason === 'string' ? p.reason : 'query' });
    }
  }
  return commands;
}

/**
 * A new order in `pending` (its initial transition emits no command; SUBMIT does). The machine's
 * own getInitialSnapshot with the shared inert scope below: what xstate's initialTransition()
 * computes, without the throw-away actor and system it builds per call (about 0.2 ms each here).
 */
export function createOrderSnapshot(input: OrderInput): { snapshot: OrderSnapshot; commands: OrderCommand[] } {
  const s = scope();
  collected = [];
  const snapshot = orderMachine.getInitialSnapshot(s, input);
  const actions = collected;
  collected = [];
  return { snapshot, commands: commandsFromActions(actions) };
}

/*
 * xstate's exported transition() builds a throw-away actor (and its system) on every call,
 * about 25 us here. We call the machine's own ActorLogic.transition with one reusable inert
 * scope instead: same macrostep, same result (a property test checks it against transition()),
 * about 10x cheaper. Single-threaded and synchronous, so sharing the scope is safe.
 */
type OrderScope = ActorScope<OrderSnapshot, OrderEvent>;
let inertScope: OrderScope | undefined;
let collected: EmittedAction[] = [];

function scope(): OrderScope {
  if (inertScope === undefined) {
    const self = createActor(orderMachine, { input: SCOPE_INPUT });
    inertScope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      logger: () => {},
      defer: () => {},
      emit: () => {},
      stopChild: () => {},
      actionExecutor: (action) => {
        collected.push(action);
      },
    };
  }
  return inertScope;
}

const SCOPE_INPUT: OrderInput = {
  orderId: 'scope',
  account: 'scope:0',
  clientOrderId: 'scope',
  market: 'scope',
  side: 'buy',
  type: 'limit',
  timeInForce: 'gtc',
  amount: '1',
  postOnly: false,
  createdAt: '1970-01-01T00:00:00.000Z',
};

/** One event through the machine: the next snapshot and the outbox commands it asks for. */
export function applyOrderEvent(snapshot: OrderSnapshot, event: OrderEvent): OrderStep {
  const s = scope();
  collected = [];
  const next = orderMachine.transition(snapshot, event, s);
  const actions = collected;
  collected = [];
  // A transition that changes nothing returns the very same snapshot object (no enabled edge).
  return { snapshot: next, commands: commandsFromActions(actions), changed: next !== snapshot };
}

/** Every context field, in the order persisted (the compiler insists the list is complete). */
const CONTEXT_FIELDS: Record<keyof OrderContext, true> = {
  orderId: true, account: true, clientOrderId: true, exchangeOrderId: true, market: true, side: true, type: true,
  timeInForce: true, amount: true, price: true, expireTime: true, postOnly: true, createdAt: true, updatedAt: true,
  filledAmount: true, filledNotional: true, feeTotal: true, fillIds: true, statusReason: true, cancelRequested: true,
};
export const CONTEXT_KEYS = Object.keys(CONTEXT_FIELDS) as (keyof OrderContext)[];

/**
 * JSON-safe and compact: {value, context}, undefined fields dropped, keys in one fixed order so
 * the same order state always serialises to the same bytes whatever path led to it.
 */
export function persistOrderSnapshot(snapshot: OrderSnapshot): PersistedOrderSnapshot {
  const from = snapshot.context as unknown as Record<string, unknown>;
  const context: Record<string, unknown> = {};
  for (const k of CONTEXT_KEYS) if (from[k] !== undefined) context[k] = from[k];
  return { value: snapshot.value, context: context as unknown as OrderContext };
}

const STATUS_SET: ReadonlySet<string> = new Set(ORDER_STATUSES);

/** Rebuilds a snapshot from persistOrderSnapshot's output (after JSON.parse). Runs no action. */
export function restoreOrderSnapshot(json: unknown): OrderSnapshot {
  const p = json as Partial<PersistedOrderSnapshot> | null;
  if (p === null || typeof p !== 'object' || typeof p.value !== 'string' || !STATUS_SET.has(p.value)) {
    throw new DomainError('INTERNAL', 'stored order snapshot is invalid: its value must be one of the order statuses');
  }
  const c = p.context;
  if (c === null || typeof c !== 'object' || typeof c.orderId !== 'string' || !Array.isArray(c.fillIds)) {
    throw new DomainError('INTERNAL', 'stored order snapshot is invalid: its context lacks orderId or fillIds');
  }
  return orderMachine.resolveState({ value: p.value, context: c });
}

/** Brings a stored snapshot written by machine version `version` to the current shape. */
export function migrateOrderSnapshot(version: number, json: unknown): unknown {
  if (version === ORDER_MACHINE_VERSION) return json;
  throw new DomainError(
    'INTERNAL',
    `order snapshot version ${version} cannot be migrated; this build reads version ${ORDER_MACHINE_VERSION}`,
  );
}
