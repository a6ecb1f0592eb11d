/**
 * DESIGN.md "Connections" claims the other connection tests leave open: DISABLE really stops
 * (no retry after a pending backoff, no heartbeats, no reconcile), the jitter comes from the
 * injected seed (reproducible per seed, different across seeds, inside the equal-jitter band),
 * stale results after DISABLE move nothing, and bts:request_reconnect is honoured mid-subscribe.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor } from 'xstate';
import { backoffDelay, connectionMachine, type ConnectionEvent, type ConnectionInput } from '../../machines/connection.machine.ts';

const CHANNELS = ['private-my_orders_btcusd-7', 'private-my_trades_btcusd-7'];
const TOKEN: ConnectionEvent = { type: 'TOKEN_OK', token: 't', userId: '7', channels: CHANNELS };
const LIVE_PATH: ConnectionEvent[] = [
  { type: 'START' },
  TOKEN,
  { type: 'SOCKET_OPEN' },
  { type: 'SUBSCRIBED', channel: CHANNELS[0]! },
  { type: 'SUBSCRIBED', channel: CHANNELS[1]! },
];

function start(over: Partial<ConnectionInput> = {}) {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const machine = connectionMachine.provide({
    actions: {
      fetchToken: () => log.push('fetchToken'),
      openSocket: () => log.push('openSocket'),
      sendHeartbeat: () => log.push('heartbeat'),
      closeSocket: (_, p) => log.push(`close:${p.reason}`),
      reconcileAccount: (_, p) => log.push(`reconcile:${p.connects}`),
      notifyDisconnected: (_, p) => log.push(`disconnected:${p.reason}`),
    },
  });
  const input: ConnectionInput = { account: 'bitstamp:1', seed: 42, backoffBaseMs: 500, backoffMaxMs: 60_000, heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000, stepTimeoutMs: 15_000, ...over };
  const actor = createActor(machine, { input, clock });
  actor.start();
  return { clock, log, actor };
}

/** The backoff delays of `n` consecutive token failures. */
function delays(seed: number, n: number): number[] {
  const { clock, actor } = start({ seed });
  actor.send({ type: 'START' });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    actor.send({ type: 'TOKEN_FAILED', error: 'x' });
    out.push(actor.getSnapshot().context.backoffMs);
    clock.increment(actor.getSnapshot().context.backoffMs);
  }
  actor.stop();
  return out;
}

describe('connection machine: stop on disable', () => {
  it('DISABLE during backoff cancels the pending retry: no token request ever follows', () => {
    const { clock, log, actor } = start();
    actor.send({ type: 'START' });
    actor.send({ type: 'TOKEN_FAILED', error: 'boom' });
    expect(actor.getSnapshot().value).toBe('backoff');
    const fetches = log.filter((l) => l === 'fetchToken').length;
    actor.send({ type: 'DISABLE' });
    expect(actor.getSnapshot().value).toBe('stopped');
    clock.increment(10 * 60_000);
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(log.filter((l) => l === 'fetchToken').length).toBe(fetches);
    actor.stop();
  });

  it('DISABLE while live closes the socket, stops heartbeats and the watchdog, and does not reconcile', () => {
    const { clock, log, actor } = start();
    for (const e of LIVE_PATH) actor.send(e);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile:1']);
    actor.send({ type: 'DISABLE' });
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(log).toContain('disconnected:disabled');
    expect(log).toContain('close:disabled');
    const before = log.length;
    clock.increment(10 * 60_000);
    expect(log.slice(before)).toEqual([]);
    // Stale results of the old connection move nothing.
    for (const e of [TOKEN, { type: 'SOCKET_OPEN' }, { type: 'SUBSCRIBED', channel: CHANNELS[0]! }, { type: 'REQUEST_RECONNECT' }] as ConnectionEvent[]) actor.send(e);
    expect(actor.getSnapshot().value).toBe('stopped');
    // Enabled again: a fresh token, and live again reconciles (a reconnect).
    actor.send({ type: 'START' });
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    expect(actor.getSnapshot().matches('live')).toBe(true);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile:1', 'reconcile:2']);
    actor.stop();
  });
});

describe('connection machine: jittered exponential backoff from the injected seed', () => {
  it('the same seed gives the same delays; other seeds give other delays; each within [exp/2, exp]', () => {
    const a = delays(42, 10);
    expect(delays(42, 10)).toEqual(a);
    const others = [1, 2, 3, 4].map((s) => delays(s, 10));
    for (const o of others) expect(o).not.toEqual(a);
    for (const d of [a, ...others]) {
      d.forEach((ms, attempt) => {
        const exp = Math.min(60_000, 500 * 2 ** attempt);
        expect(ms).toBeGreaterThanOrEqual(exp / 2);
        expect(ms).toBeLessThanOrEqual(exp);
      });
    }
    // Not a fixed fraction: the random half differs between attempts.
    const fractions = a.map((ms, attempt) => ms / Math.min(60_000, 500 * 2 ** attempt));
    expect(new Set(fractions.map((f) => f.toFixed(3))).size).toBeGreaterThan(5);
    expect(backoffDelay(500, 60_000, 4, 0.5)).toBe(6000);
  });

  it('reaching live resets the attempt count: the next failure backs off from the base again', () => {
    const { clock, actor } = start();
    actor.send({ type: 'START' });
    for (let i = 0; i < 5; i++) {
      actor.send({ type: 'TOKEN_FAILED', error: 'x' });
      clock.increment(actor.getSnapshot().context.backoffMs);
    }
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    expect(actor.getSnapshot().context.attempt).toBe(0);
    actor.send({ type: 'SOCKET_CLOSED', reason: 'drop' });
    expect(actor.getSnapshot().context.backoffMs).toBeLessThanOrEqual(500);
    actor.stop();
  });
});

describe('connection machine: server-requested reconnect and heartbeat timeout', () => {
  it('bts:request_reconnect while subscribing fetches a fresh token and reconciles once live', () => {
    const { log, actor } = start();
    for (const e of LIVE_PATH.slice(0, 4)) actor.send(e);
    expect(actor.getSnapshot().value).toBe('subscribing');
    actor.send({ type: 'REQUEST_RECONNECT' });
    expect(actor.getSnapshot().value).toBe('fetching_token');
    expect(actor.getSnapshot().context.token).toBeUndefined();
    expect(log).toContain('close:server requested reconnect');
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile:1']);
    actor.stop();
  });

  it('any inbound message keeps the connection; silence for the timeout drops it and the next live reconciles again', () => {
    const { clock, log, actor } = start();
    for (const e of LIVE_PATH) actor.send(e);
    for (let i = 0; i < 5; i++) {
      clock.increment(25_000);
      actor.send({ type: 'INBOUND' });
    }
    expect(actor.getSnapshot().matches('live')).toBe(true);
    clock.increment(30_000);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(log).toContain('disconnected:heartbeat timeout');
    clock.increment(actor.getSnapshot().context.backoffMs);
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile:1', 'reconcile:2']);
    actor.stop();
  });
});
