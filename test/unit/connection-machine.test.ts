import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, initialTransition, transition } from 'xstate';
import { backoffDelay, connectionMachine, nextRandom, type ConnectionEvent } from '../../machines/connection.machine.ts';

const input = { account: 'bitstamp:1', seed: 42, heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000, stepTimeoutMs: 15_000, backoffBaseMs: 500, backoffMaxMs: 60_000 };
const TOKEN: ConnectionEvent = { type: 'TOKEN_OK', token: 't', userId: '7', channels: ['private-my_orders_btcusd-7', 'private-my_trades_btcusd-7'] };

type Snap = ReturnType<typeof initialTransition<typeof connectionMachine>>[0];
function run(events: ConnectionEvent[]): { snap: Snap; actions: string[] } {
  let [snap] = initialTransition(connectionMachine, input);
  const actions: string[] = [];
  for (const e of events) {
    const [next, acts] = transition(connectionMachine, snap, e);
    snap = next;
    actions.push(...acts.map((a) => a.type).filter((t) => !t.startsWith('xstate.')));
  }
  return { snap, actions };
}
const LIVE_PATH: ConnectionEvent[] = [{ type: 'START' }, TOKEN, { type: 'SOCKET_OPEN' }, { type: 'SUBSCRIBED', channel: 'private-my_orders_btcusd-7' }, { type: 'SUBSCRIBED', channel: 'private-my_trades_btcusd-7' }];

describe('connection machine (pure transitions)', () => {
  it('goes idle -> fetching_token -> connecting -> subscribing -> live and reconciles on reaching live', () => {
    const { snap, actions } = run(LIVE_PATH);
    expect(snap.matches('live')).toBe(true);
    expect(actions).toEqual(['notifyState', 'fetchToken', 'notifyState', 'openSocket', 'notifyState', 'subscribeChannels', 'notifyState', 'reconcileAccount']);
    expect(snap.context).toMatchObject({ token: 't', userId: '7', pending: [], connects: 1, attempt: 0 });
  });

  it('REFUSED (the key is not the account\'s) stops with the reason and no retry; DISABLE/START clear it', () => {
    let [snap] = initialTransition(connectionMachine, input);
    [snap] = transition(connectionMachine, snap, { type: 'START' });
    const [refused, acts] = transition(connectionMachine, snap, { type: 'REFUSED', error: 'key of user 100001' });
    expect(refused.value).toBe('stopped');
    expect(acts.map((a) => a.type).filter((t) => !t.startsWith('xstate.'))).toEqual(['closeSocket', 'notifyState']);
    expect(acts.find((a) => a.type === 'notifyState')?.params).toEqual({ state: 'stopped', lastError: 'key of user 100001' });
    expect(refused.context.attempt).toBe(0); // no backoff scheduled
    const [disabled, dActs] = transition(connectionMachine, refused, { type: 'DISABLE' });
    expect(dActs.find((a) => a.type === 'notifyState')?.params).toEqual({ state: 'stopped' });
    expect(disabled.context.refusal).toBeUndefined();
    const [restarted] = transition(connectionMachine, refused, { type: 'START' });
    expect(restarted.value).toBe('fetching_token');
    expect(restarted.context.refusal).toBeUndefined();
    // From live too: the stream is left (notifyDisconnected) and stays stopped.
    const live = run([...LIVE_PATH, { type: 'REFUSED', error: 'x' }]);
    expect(live.snap.value).toBe('stopped');
    expect(live.actions.slice(-3)).toEqual(['notifyDisconnected', 'closeSocket', 'notifyState']);
  });

  it('stays in subscribing until every channel is acknowledged', () => {
    const { snap } = run(LIVE_PATH.slice(0, 4));
    expect(snap.value).toBe('subscribing');
    expect(snap.context.pending).toEqual(['private-my_trades_btcusd-7']);
  });

  it('a failed channel (CHANNEL_FAILED) leaves pending without a backoff: the rest go live; a 4009 (SUBSCRIBE_FAILED) still backs off', () => {
    const { snap, actions } = run([...LIVE_PATH.slice(0, 4), { type: 'CHANNEL_FAILED', channel: 'private-my_trades_btcusd-7' }]);
    expect(snap.matches('live')).toBe(true);
    expect(actions).not.toContain('closeSocket');
    expect(snap.context.attempt).toBe(0);
    expect(run([...LIVE_PATH.slice(0, 4), { type: 'SUBSCRIBE_FAILED', error: '4009 Connection is unauthorized.' }]).snap.value).toBe('backoff');
    // Once live, a channel's failure is the driver's business: the machine stays live.
    expect(run([...LIVE_PATH, { type: 'CHANNEL_FAILED', channel: 'private-my_orders_ethusd-7' }]).snap.matches('live')).toBe(true);
  });

  it('passes the effect data as action params', () => {
    let [snap] = initialTransition(connectionMachine, input);
    [snap] = transition(connectionMachine, snap, { type: 'START' });
    [snap] = transition(connectionMachine, snap, TOKEN);
    const [, acts] = transition(connectionMachine, snap, { type: 'SOCKET_OPEN' });
    const sub = acts.find((a) => a.type === 'subscribeChannels');
    expect(sub?.params).toEqual({ token: 't', userId: '7', channels: ['private-my_orders_btcusd-7', 'private-my_trades_btcusd-7'] });
  });

  it('backs off on failures with growing, jittered, capped delays and a deterministic PRNG', () => {
    const { snap, actions } = run([{ type: 'START' }, { type: 'TOKEN_FAILED', error: 'boom' }]);
    expect(snap.value).toBe('backoff');
    expect(actions).toContain('closeSocket');
    expect(snap.context.lastError).toBe('token: boom');
    const [u] = nextRandom(42);
    expect(snap.context.backoffMs).toBe(backoffDelay(500, 60_000, 0, u));
    expect(snap.context.attempt).toBe(1);
    expect(backoffDelay(500, 60_000, 0, 0)).toBe(250);
    expect(backoffDelay(500, 60_000, 3, 0.999)).toBeLessThanOrEqual(4000);
    expect(backoffDelay(500, 60_000, 3, 0)).toBe(2000);
    expect(backoffDelay(500, 60_000, 20, 1)).toBe(60_000);
    // Same seed, same delays.
    expect(run([{ type: 'START' }, { type: 'TOKEN_FAILED', error: 'x' }]).snap.context.backoffMs).toBe(snap.context.backoffMs);
  });

  it('a socket close while live notifies, backs off; a second live reconciles again as a reconnect', () => {
    const first = run([...LIVE_PATH, { type: 'SOCKET_CLOSED', reason: 'socket closed (1006)' }]);
    expect(first.snap.value).toBe('backoff');
    expect(first.actions).toContain('notifyDisconnected');
    let snap = first.snap;
    const acts: Array<{ type: string; params?: unknown }> = [];
    // the backoff timer fires (as its delayed event would) and the path repeats
    const afterEvent = { type: `xstate.after.backoff.connection.backoff` } as unknown as ConnectionEvent;
    for (const e of [afterEvent, ...LIVE_PATH.slice(1)]) {
      const [n, a] = transition(connectionMachine, snap, e);
      snap = n;
      acts.push(...a);
    }
    expect(snap.matches('live')).toBe(true);
    expect(acts.find((a) => a.type === 'reconcileAccount')?.params).toEqual({ account: 'bitstamp:1', reconnect: true, connects: 2 });
  });

  it('bts:request_reconnect goes straight to a fresh token; DISABLE stops from anywhere; START revives', () => {
    const rr = run([...LIVE_PATH, { type: 'REQUEST_RECONNECT' }]);
    expect(rr.snap.value).toBe('fetching_token');
    expect(rr.snap.context.token).toBeUndefined();
    expect(rr.actions.slice(-4)).toEqual(['notifyDisconnected', 'closeSocket', 'notifyState', 'fetchToken']);
    for (const prefix of [LIVE_PATH.slice(0, 1), LIVE_PATH.slice(0, 2), LIVE_PATH.slice(0, 3), LIVE_PATH, []]) {
      const s = run([...prefix, { type: 'DISABLE' }]);
      expect(s.snap.value).toBe('stopped');
      expect(s.actions).toContain('closeSocket');
    }
    expect(run([{ type: 'DISABLE' }, { type: 'START' }]).snap.value).toBe('fetching_token');
  });

  it('ignores stray events in states that do not expect them', () => {
    expect(run([{ type: 'SOCKET_OPEN' }, { type: 'SUBSCRIBED', channel: 'x' }]).snap.value).toBe('idle');
    expect(run([{ type: 'START' }, { type: 'SOCKET_OPEN' }]).snap.value).toBe('fetching_token');
  });
});

describe('connection machine on a SimulatedClock', () => {
  function start() {
    const clock = new SimulatedClock();
    const log: string[] = [];
    const machine = connectionMachine.provide({
      actions: {
        fetchToken: () => log.push('fetchToken'),
        sendHeartbeat: () => log.push('heartbeat'),
        reconcileAccount: (_, p) => log.push(`reconcile:${p.connects}`),
        notifyDisconnected: (_, p) => log.push(`disconnected:${p.reason}`),
      },
    });
    const actor = createActor(machine, { input, clock });
    actor.start();
    return { clock, log, actor };
  }

  it('sends heartbeats on interval and reconnects when nothing arrives within the heartbeat timeout', () => {
    const { clock, log, actor } = start();
    for (const e of LIVE_PATH) actor.send(e);
    expect(actor.getSnapshot().matches('live')).toBe(true);
    clock.increment(10_000);
    clock.increment(10_000);
    expect(log.filter((l) => l === 'heartbeat').length).toBe(2);
    actor.send({ type: 'INBOUND' }); // heartbeat answered at t=20s: the watchdog restarts
    clock.increment(29_000);
    expect(actor.getSnapshot().matches('live')).toBe(true);
    clock.increment(1_000);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(log).toContain('disconnected:heartbeat timeout');
    expect(actor.getSnapshot().context.lastError).toBe('heartbeat timeout');
    // after the backoff delay it fetches a new token by itself
    const fetchesBefore = log.filter((l) => l === 'fetchToken').length;
    clock.increment(actor.getSnapshot().context.backoffMs);
    expect(actor.getSnapshot().value).toBe('fetching_token');
    expect(log.filter((l) => l === 'fetchToken').length).toBe(fetchesBefore + 1);
    actor.stop();
  });

  it('step timeouts lead to backoff, and repeated failures grow the delay up to the cap', () => {
    const { clock, actor } = start();
    actor.send({ type: 'START' });
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      clock.increment(15_000); // token request never answers
      expect(actor.getSnapshot().value).toBe('backoff');
      delays.push(actor.getSnapshot().context.backoffMs);
      clock.increment(actor.getSnapshot().context.backoffMs);
      expect(actor.getSnapshot().value).toBe('fetching_token');
    }
    expect(delays[1]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    expect(delays.at(-1)).toBeGreaterThanOrEqual(30_000);
    actor.stop();
  });

  it('reconciles on every reconnect reaching live', () => {
    const { clock, log, actor } = start();
    for (const e of LIVE_PATH) actor.send(e);
    actor.send({ type: 'SOCKET_CLOSED', reason: 'drop' });
    clock.increment(actor.getSnapshot().context.backoffMs);
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    actor.send({ type: 'REQUEST_RECONNECT' });
    for (const e of LIVE_PATH.slice(1)) actor.send(e);
    expect(log.filter((l) => l.startsWith('reconcile'))).toEqual(['reconcile:1', 'reconcile:2', 'reconcile:3']);
    actor.stop();
  });
});
