/** The dashboard's live channel (web/live-hub.ts), driven by a ManualScheduler and a hand-made feed. */
import { describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/account.ts';
import type { OrderView } from '../../src/domain/order.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { ManualScheduler } from '../../src/runtime/scheduler.ts';
import type { OrderChangeListener } from '../../src/services/ports.ts';
import { LiveHub, type LiveClient } from '../../src/web/live-hub.ts';

function setup(maxStreams = 64) {
  const listeners = new Set<OrderChangeListener>();
  let stamp = 'v1';
  const scheduler = new ManualScheduler();
  const services = {
    orders: {
      onOrderChange(l: OrderChangeListener) {
        listeners.add(l);
        return () => void listeners.delete(l);
      },
    },
    status: { storeVersion: () => stamp },
  };
  const hub = new LiveHub({ services: services as never, logger: silentLogger(), scheduler, maxStreams });
  const client = (sid: string) => {
    const c = { sid, text: '', closed: false, write: (t: string) => void (c.text += t), close: () => void (c.closed = true) };
    return c satisfies LiveClient;
  };
  const publish = (o: Partial<OrderView>) => {
    for (const l of listeners) l({ exchange: 'paper', exchange_account_id: 'a1' } as Account, { order_id: 'o1', status: 'filled', filled_amount: '1', ...o } as OrderView);
  };
  return { hub, scheduler, listeners, client, publish, setStamp: (s: string) => void (stamp = s) };
}

describe('LiveHub', () => {
  it('greets, sends a heartbeat every 15 s, and order changes as they come', () => {
    const { hub, scheduler, client, publish } = setup();
    const c = client('s1');
    expect(hub.add(c)).toBe(true);
    expect(c.text).toMatch(/^retry: 5000\nevent: hello\ndata: \{"heartbeat_s":15\}\n\n$/);
    c.text = '';
    scheduler.advance(14_999);
    expect(c.text).toBe('');
    scheduler.advance(1);
    expect(c.text).toBe(': heartbeat\n\n');
    scheduler.advance(15_000);
    expect(c.text).toBe(': heartbeat\n\n: heartbeat\n\n');
    c.text = '';
    publish({ order_id: 'o7', status: 'partially_filled', filled_amount: '0.5' });
    expect(c.text).toBe('event: order\ndata: {"account":"paper:a1","order_id":"o7","status":"partially_filled","filled_amount":"0.5"}\n\n');
  });

  it('tells of other stored changes (a changed store stamp) once, not of the order change it already told', () => {
    const { hub, scheduler, client, publish, setStamp } = setup();
    const c = client('s1');
    hub.add(c);
    c.text = '';
    scheduler.advance(2_000);
    expect(c.text).toBe(''); // nothing changed
    setStamp('v2');
    scheduler.advance(2_000);
    expect(c.text).toBe('event: change\ndata: {}\n\n');
    scheduler.advance(2_000);
    expect(c.text).toBe('event: change\ndata: {}\n\n');
    c.text = '';
    setStamp('v3');
    publish({});
    scheduler.advance(2_000);
    expect(c.text).toMatch(/^event: order\n[^\n]*\n\n$/);
  });

  it('closes only the streams of a session that logs out, and stops its feeds with the last stream', () => {
    const { hub, scheduler, listeners, client } = setup();
    const a = client('s1');
    const b = client('s2');
    hub.add(a);
    hub.add(b);
    expect(listeners.size).toBe(1);
    hub.closeSession('s1');
    expect(a.closed).toBe(true);
    expect(a.text).toContain('event: bye\ndata: {"reason":"logged out"}');
    expect(b.closed).toBe(false);
    expect(hub.size).toBe(1);
    hub.remove(b);
    expect(listeners.size).toBe(0);
    expect(scheduler.pending()).toBe(0);
  });

  it('refuses streams beyond its bound and drops a stream whose write fails', () => {
    const { hub, client, publish } = setup(2);
    let writes = 0;
    const broken = { ...client('s1'), write: () => { if (++writes > 1) throw new Error('socket gone'); } };
    expect(hub.add(client('s1'))).toBe(true);
    expect(hub.add(client('s2'))).toBe(true);
    expect(hub.add(client('s3'))).toBe(false);
    const h2 = setup(1);
    expect(h2.hub.add(broken)).toBe(true);
    h2.publish({});
    expect(h2.hub.size).toBe(0);
    expect(h2.hub.add({ ...client('s9'), write: () => { throw new Error('gone at once'); } })).toBe(false);
    expect(h2.hub.size).toBe(0);
    expect(h2.listeners.size).toBe(0);
    publish({});
    expect(hub.size).toBe(2);
  });
});
