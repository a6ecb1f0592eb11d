/**
 * The order machine's vocabulary: its types and every named guard and action (XState v5 `setup`).
 * machines/order.machine.ts arranges them into the state chart. Guards and actions are pure
 * functions of (context, event); the enqueue* actions do nothing: they are side effects as data,
 * read by the runtime from the pure `transition()` (see commandsFromActions).
 */
import { assign, setup } from 'xstate';
import {
  gte,
  hasFills,
  hasLanded,
  isFullyFilled,
  isNewFillId,
  mergeFills,
  reportAddsInfo,
  reportCompletesOrder,
  sumReaches,
  type FillTotals,
} from './order.fills.ts';
import type { OrderContext, OrderEvent, OrderInput, ReconciledReport } from './order.types.ts';

type ReportState = ReconciledReport['state'];
type EventOf<T extends OrderEvent['type']> = Extract<OrderEvent, { type: T }>;

/**
 * Context fields from merged fill totals (the overfill note becomes the status reason), then
 * updatedAt. One object literal: rest/spread copies were a large share of every FILL's cost.
 */
function fillUpdate(t: FillTotals | undefined, updatedAt: string): Partial<OrderContext> {
  if (t === undefined) return { updatedAt };
  const u: Partial<OrderContext> = { filledAmount: t.filledAmount, filledNotional: t.filledNotional, feeTotal: t.feeTotal, fillIds: t.fillIds };
  if (t.overfillNote !== undefined) u.statusReason = t.overfillNote;
  u.updatedAt = updatedAt;
  return u;
}

function reasonForReport(ctx: OrderContext, report: ReconciledReport, merged: FillTotals | undefined): string | undefined {
  switch (report.state) {
    case 'rejected':
      return report.reason ?? 'rejected by the exchange';
    case 'not_found':
      return 'exchange has no record of this order';
    case 'expired':
      return report.reason ?? 'expired on the exchange';
    case 'cancelled':
      return report.reason ?? ctx.statusReason;
    case 'filled': {
      if (merged?.overfillNote !== undefined) return merged.overfillNote;
      const filled = merged?.filledAmount ?? ctx.filledAmount;
      return gte(filled, ctx.amount)
        ? ctx.statusReason
        : `exchange reports filled; fills seen so far total ${filled} of ${ctx.amount}`;
    }
    case 'open':
      return merged?.overfillNote ?? ctx.statusReason;
  }
}

function reportSays(state: ReportState) {
  return ({ event }: { event: OrderEvent }): boolean => event.type === 'RECONCILED' && event.report.state === state;
}

const DEFAULT_REASONS: Partial<Record<OrderEvent['type'], string>> = {
  EXPIRE: 'expired',
  EXCHANGE_REJECT: 'rejected by the exchange',
  OUTCOME_UNKNOWN: 'outcome unknown',
};

const asEvent = <T extends OrderEvent['type']>(e: OrderEvent, t: T): EventOf<T> | undefined =>
  e.type === t ? (e as EventOf<T>) : undefined;

export const orderSetup = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    input: {} as OrderInput,
  },
  guards: {
    isNewFill: ({ context, event }) => event.type === 'FILL' && isNewFillId(context, event.fillId),
    isFullyFilled: ({ context }) => isFullyFilled(context),
    isNewFillCompletingOrder: ({ context, event }) =>
      event.type === 'FILL' && isNewFillId(context, event.fillId) && sumReaches(context.filledAmount, event.amount, context.amount),
    hasFills: ({ context }) => hasFills(context),
    hasLanded: ({ context }) => hasLanded(context),
    notLanded: ({ context }) => !hasLanded(context),
    cancelRequested: ({ context }) => context.cancelRequested,
    noCancelRequested: ({ context }) => !context.cancelRequested,
    isNewFillNoCancelRequested: ({ context, event }) =>
      event.type === 'FILL' && isNewFillId(context, event.fillId) && !context.cancelRequested,
    ackAddsId: ({ context, event }) =>
      event.type === 'EXCHANGE_ACK' && event.exchangeOrderId !== context.exchangeOrderId,
    reportFilled: reportSays('filled'),
    reportCancelled: reportSays('cancelled'),
    reportExpired: reportSays('expired'),
    reportRejected: reportSays('rejected'),
    reportOpen: reportSays('open'),
    reportOpenAddsInfo: ({ context, event }) =>
      event.type === 'RECONCILED' && event.report.state === 'open' && reportAddsInfo(context, event.report),
    reportOpenCancelRequested: ({ context, event }) =>
      event.type === 'RECONCILED' && event.report.state === 'open' && context.cancelRequested,
    reportNotFoundBeforeLanding: ({ context, event }) =>
      event.type === 'RECONCILED' && event.report.state === 'not_found' && !hasLanded(context),
    reportCompletesOrder: ({ context, event }) =>
      event.type === 'RECONCILED' && reportCompletesOrder(context, event.report),
  },
  actions: {
    // Side effects as data: the runtime maps these to OrderCommands (see commandsFromActions).
    enqueueSubmit: () => {},
    enqueueCancel: () => {},
    enqueueQuery: (_, _params: { reason: string }) => {},
    touch: assign({ updatedAt: ({ event }) => event.at }),
    // Leaving `unknown` for a live state: the "why unknown" reason no longer applies.
    clearReason: assign({ statusReason: () => undefined }),
    recordAck: assign(({ event }) => {
      const e = asEvent(event, 'EXCHANGE_ACK');
      return e ? { exchangeOrderId: e.exchangeOrderId, updatedAt: e.at } : {};
    }),
    /** EXCHANGE_REJECT / OUTCOME_UNKNOWN / EXPIRE: the event's reason becomes the status reason. */
    recordReason: assign(({ event }) => {
      const reason = 'reason' in event && event.reason !== undefined ? event.reason : DEFAULT_REASONS[event.type];
      return { statusReason: reason, updatedAt: event.at };
    }),
    setReason: assign((_, params: { reason: string }) => ({ statusReason: params.reason })),
    recordFill: assign(({ context, event }) => {
      const e = asEvent(event, 'FILL');
      return e ? fillUpdate(mergeFills(context, [e]), e.at) : {};
    }),
    /** The user's CANCEL: remembered across ack/fill races; an older reason no longer applies. */
    requestCancel: assign(({ event }) => ({ cancelRequested: true, statusReason: undefined, updatedAt: event.at })),
    recordCancelReject: assign(({ event }, params: { keepCancelRequest: boolean }) => {
      const e = asEvent(event, 'CANCEL_REJECT');
      const prefix = params.keepCancelRequest ? 'cancel rejected before the exchange acknowledged the order' : 'cancel rejected';
      return e
        ? { statusReason: `${prefix}: ${e.reason}`, cancelRequested: params.keepCancelRequest, updatedAt: e.at }
        : {};
    }),
    applyReport: assign(({ context, event }) => {
      const e = asEvent(event, 'RECONCILED');
      if (!e) return {};
      const merged = mergeFills(context, e.report.fills);
      const update = fillUpdate(merged, e.at);
      if (e.report.exchangeOrderId !== undefined) update.exchangeOrderId = e.report.exchangeOrderId;
      update.statusReason = reasonForReport(context, e.report, merged);
      return update;
    }),
  },
});

// Transition fragments several states share (plain config, checked where the chart uses them).

/** Events of open and partially_filled (orders resting on the book). */
export function restingOnBook() {
  return {
    EXCHANGE_ACK: { guard: 'ackAddsId', actions: 'recordAck' },
    FILL: { guard: 'isNewFill', target: 'partially_filled', actions: 'recordFill' },
    CANCEL: { target: 'cancelling', actions: ['requestCancel', 'enqueueCancel'] },
    EXPIRE: { target: 'expired', actions: 'recordReason' },
    RECONCILED: [
      ...reportTerminalJumps(),
      // Still open: record what is new (open's `always` moves it to partially_filled if filled).
      { guard: 'reportOpenAddsInfo', actions: 'applyReport' },
    ],
  } as const;
}

/** RECONCILED edges every live state shares: the exchange's terminal truth wins. */
export function reportTerminalJumps() {
  // Fills are the truth: if the report's fills complete the order it is filled, whatever it says.
  return ([
    { guard: 'reportCompletesOrder', target: 'filled', actions: 'applyReport' },
    { guard: 'reportFilled', target: 'filled', actions: 'applyReport' },
    { guard: 'reportCancelled', target: 'cancelled', actions: 'applyReport' },
    { guard: 'reportExpired', target: 'expired', actions: 'applyReport' },
    { guard: 'reportRejected', target: 'rejected', actions: 'applyReport' },
  ] as const).slice();
}

/** The exchange never heard of an order that never showed a sign of landing: it was not placed. */
export function notFoundRejects() {
  return {
    guard: 'reportNotFoundBeforeLanding',
    target: 'rejected',
    actions: 'applyReport',
  } as const;
}

export function queryFromReason() {
  return {
    type: 'enqueueQuery',
    params: ({ event }: { event: OrderEvent }) => ({ reason: 'reason' in event && event.reason ? event.reason : 'outcome unknown' }),
  } as const;
}

export function queryAfterCancelReject() {
  return { type: 'enqueueQuery', params: { reason: 'cancel rejected; the order may have filled meanwhile' } } as const;
}
