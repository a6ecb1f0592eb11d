/**
 * One account's private event stream (DESIGN.md "Connections"), as a pure XState v5 machine:
 *
 *   idle -> fetching_token -> connecting -> subscribing -> live
 *             ^                                   |          |
 *             +------------ backoff <-------------+----------+   (jittered exponential retry)
 *   any --DISABLE--> stopped --START--> fetching_token
 *   any --REFUSED--> stopped (with the reason: the key is not the account's; no retry)
 *
 * It performs no I/O: every side effect is a named action with data (fetchToken, openSocket,
 * subscribeChannels, sendHeartbeat, closeSocket, reconcileAccount, notifyDisconnected) that the
 * driver (src/exchanges/bitstamp/ws.ts) implements via `.provide({actions})`; results come back
 * as events. Time lives only in named delays (from context, overridable with `.provide({delays})`)
 * and jitter comes from a seeded PRNG kept in context, so runs are reproducible.
 * Every time the machine reaches `live` it emits reconcileAccount: events during a gap are lost.
 * A single channel's failure (CHANNEL_FAILED) does not hold the stream back: the driver retries it.
 */
import { assign, setup } from 'xstate';

export const CONNECTION_MACHINE_VERSION = 1;

export interface ConnectionInput {
  account: string;
  /** Seed of the jitter PRNG (the driver passes one from its injected random source). */
  seed: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  stepTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface ConnectionContext {
  account: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  stepTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  rng: number; // PRNG state
  attempt: number; // consecutive failures since last live
  backoffMs: number; // current backoff delay
  token?: string;
  userId?: string;
  channels: string[];
  pending: string[];
  connects: number; // times `live` was reached
  lastError?: string;
  /** Why the stream was refused (REFUSED), shown with `stopped` until the next START/DISABLE. */
  refusal?: string;
}

export type ConnectionEvent =
  | { type: 'START' }
  | { type: 'DISABLE' }
  /** A definite refusal (e.g. the API key belongs to another user): stop, do not retry. */
  | { type: 'REFUSED'; error: string }
  | { type: 'TOKEN_OK'; token: string; userId: string; channels: string[] }
  | { type: 'TOKEN_FAILED'; error: string }
  | { type: 'SOCKET_OPEN' }
  | { type: 'SOCKET_CLOSED'; reason: string }
  | { type: 'SUBSCRIBED'; channel: string }
  | { type: 'SUBSCRIBE_FAILED'; error: string }
  /** One channel refused or unanswered: the driver retries it alone; the others go on. */
  | { type: 'CHANNEL_FAILED'; channel: string }
  | { type: 'INBOUND' }
  | { type: 'REQUEST_RECONNECT' };

/** One step of mulberry32 as a pure function of its state. */
export function nextRandom(state: number): [value: number, next: number] {
  const a = (state + 0x6d2b79f5) >>> 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, a];
}

/** "Equal jitter": half the exponential delay fixed, half random. */
export function backoffDelay(base: number, max: number, attempt: number, u: number): number {
  const exp = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * u);
}

function reasonOf(event: { type: string } & Partial<{ reason: string; error: string }>): string {
  if (event.type === 'SOCKET_CLOSED') return event.reason ?? 'socket closed';
  if (event.type === 'REQUEST_RECONNECT') return 'server requested reconnect';
  if (event.type === 'DISABLE') return 'disabled';
  if (event.type.startsWith('xstate.after')) return 'heartbeat timeout';
  return event.error ?? event.type;
}

const noop = (): void => {};

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actions: {
    // Effects: implemented by the driver; data passed as params.
    fetchToken: (_, _p: { account: string; attempt: number }) => noop(),
    openSocket: (_, _p: { account: string }) => noop(),
    subscribeChannels: (_, _p: { token: string; userId: string; channels: string[] }) => noop(),
    sendHeartbeat: noop,
    closeSocket: (_, _p: { reason: string }) => noop(),
    reconcileAccount: (_, _p: { account: string; reconnect: boolean; connects: number }) => noop(),
    notifyDisconnected: (_, _p: { account: string; reason: string }) => noop(),
    notifyState: (_, _p: { state: string; lastError?: string }) => noop(),
    // Pure context updates.
    recordError: assign((_, p: { reason: string }) => ({ lastError: p.reason })),
    storeToken: assign(({ event }) =>
      event.type === 'TOKEN_OK' ? { token: event.token, userId: event.userId, channels: event.channels, pending: [...event.channels] } : {},
    ),
    markSubscribed: assign(({ context, event }) =>
      event.type === 'SUBSCRIBED' || event.type === 'CHANNEL_FAILED' ? { pending: context.pending.filter((c) => c !== event.channel) } : {},
    ),
    scheduleBackoff: assign(({ context }) => {
      const [u, rng] = nextRandom(context.rng);
      return { rng, backoffMs: backoffDelay(context.backoffBaseMs, context.backoffMaxMs, context.attempt, u), attempt: context.attempt + 1 };
    }),
    wentLive: assign(({ context }) => ({ attempt: 0, connects: context.connects + 1 })),
    forgetToken: assign(() => ({ token: undefined, userId: undefined })),
    storeRefusal: assign(({ event }) => (event.type === 'REFUSED' ? { refusal: event.error, lastError: event.error } : {})),
    clearRefusal: assign(() => ({ refusal: undefined })),
  },
  guards: {
    allSubscribed: ({ context }) => context.pending.length === 0,
  },
  delays: {
    heartbeatInterval: ({ context }) => context.heartbeatIntervalMs,
    heartbeatTimeout: ({ context }) => context.heartbeatTimeoutMs,
    stepTimeout: ({ context }) => context.stepTimeoutMs,
    backoff: ({ context }) => context.backoffMs,
  },
}).createMachine({
  id: 'connection',
  initial: 'idle',
  context: ({ input }) => ({
    account: input.account,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 10_000,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? 30_000,
    stepTimeoutMs: input.stepTimeoutMs ?? 15_000,
    backoffBaseMs: input.backoffBaseMs ?? 500,
    backoffMaxMs: input.backoffMaxMs ?? 60_000,
    rng: input.seed >>> 0,
    attempt: 0,
    backoffMs: 0,
    channels: [],
    pending: [],
    connects: 0,
  }),
  on: {
    DISABLE: { target: '.stopped', actions: 'clearRefusal' },
    REFUSED: { target: '.stopped', actions: 'storeRefusal' },
  },
  states: {
    idle: {
      on: { START: 'fetching_token' },
    },
    fetching_token: {
      entry: [
        { type: 'notifyState', params: { state: 'fetching_token' } },
        'forgetToken',
        { type: 'fetchToken', params: ({ context }) => ({ account: context.account, attempt: context.attempt }) },
      ],
      on: {
        TOKEN_OK: { target: 'connecting', actions: 'storeToken' },
        TOKEN_FAILED: { target: 'backoff', actions: { type: 'recordError', params: ({ event }) => ({ reason: `token: ${event.error}` }) } },
      },
      after: { stepTimeout: { target: 'backoff', actions: { type: 'recordError', params: { reason: 'token request timed out' } } } },
    },
    connecting: {
      entry: [{ type: 'notifyState', params: { state: 'connecting' } }, { type: 'openSocket', params: ({ context }) => ({ account: context.account }) }],
      on: {
        SOCKET_OPEN: 'subscribing',
        SOCKET_CLOSED: { target: 'backoff', actions: { type: 'recordError', params: ({ event }) => ({ reason: event.reason }) } },
      },
      after: { stepTimeout: { target: 'backoff', actions: { type: 'recordError', params: { reason: 'connect timed out' } } } },
    },
    subscribing: {
      entry: [
        { type: 'notifyState', params: { state: 'subscribing' } },
        {
          type: 'subscribeChannels',
          params: ({ context }) => ({ token: context.token ?? '', userId: context.userId ?? '', channels: context.channels }),
        },
      ],
      always: { guard: 'allSubscribed', target: 'live' },
      on: {
        SUBSCRIBED: { actions: 'markSubscribed' },
        CHANNEL_FAILED: { actions: 'markSubscribed' },
        SUBSCRIBE_FAILED: { target: 'backoff', actions: { type: 'recordError', params: ({ event }) => ({ reason: `subscribe: ${event.error}` }) } },
        SOCKET_CLOSED: { target: 'backoff', actions: { type: 'recordError', params: ({ event }) => ({ reason: event.reason }) } },
        REQUEST_RECONNECT: { target: 'fetching_token', actions: { type: 'closeSocket', params: { reason: 'server requested reconnect' } } },
      },
      after: { stepTimeout: { target: 'backoff', actions: { type: 'recordError', params: { reason: 'subscribe timed out' } } } },
    },
    live: {
      entry: [
        'wentLive',
        { type: 'notifyState', params: { state: 'live' } },
        {
          type: 'reconcileAccount',
          params: ({ context }) => ({ account: context.account, reconnect: context.connects > 1, connects: context.connects }),
        },
      ],
      exit: { type: 'notifyDisconnected', params: ({ context, event }) => ({ account: context.account, reason: reasonOf(event) }) },
      type: 'parallel',
      states: {
        pinger: {
          initial: 'waiting',
          states: {
            waiting: {
              after: { heartbeatInterval: { target: 'waiting', reenter: true, actions: 'sendHeartbeat' } },
            },
          },
        },
        watchdog: {
          initial: 'watching',
          states: {
            watching: {
              on: { INBOUND: { target: 'watching', reenter: true } },
              after: {
                heartbeatTimeout: { target: '#connection.backoff', actions: { type: 'recordError', params: { reason: 'heartbeat timeout' } } },
              },
            },
          },
        },
      },
      on: {
        SOCKET_CLOSED: { target: 'backoff', actions: { type: 'recordError', params: ({ event }) => ({ reason: event.reason }) } },
        // Bitstamp asks us to move: reconnect at once, with a fresh token (the old one may be void).
        REQUEST_RECONNECT: { target: 'fetching_token', actions: { type: 'closeSocket', params: { reason: 'server requested reconnect' } } },
      },
    },
    backoff: {
      entry: [
        'scheduleBackoff',
        { type: 'closeSocket', params: ({ context }) => ({ reason: context.lastError ?? 'retry' }) },
        { type: 'notifyState', params: ({ context }) => ({ state: 'backoff', lastError: context.lastError }) },
      ],
      after: { backoff: 'fetching_token' },
    },
    stopped: {
      entry: [
        { type: 'closeSocket', params: ({ context }) => ({ reason: context.refusal ?? 'disabled' }) },
        { type: 'notifyState', params: ({ context }) => (context.refusal === undefined ? { state: 'stopped' } : { state: 'stopped', lastError: context.refusal }) },
      ],
      on: { START: { target: 'fetching_token', actions: 'clearRefusal' } },
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
