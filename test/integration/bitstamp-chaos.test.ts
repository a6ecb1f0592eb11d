/**
 * 300 random order operations against the emulator with every fault injected. The client keeps
 * only what the adapter told it; afterwards it reconciles the doubtful orders by client_order_id.
 * Then its view must equal the emulator's: nothing duplicated, nothing lost, no phantom orders.
 * (The service-level version of this, through the runtime, is the lead's acceptance test.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/clock.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { ExchangeOrderState } from '../../src/exchanges/adapter.ts';
import { defaultFaults } from '../bitstamp-emulator/faults.ts';
import { MAIN, eventually, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

const OPS = Number(process.env.CHAOS_OPS ?? 300);
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    emulator: { accounts: [{ ...MAIN, balances: { USD: '10000000', BTC: '1000' } }], prices: { btcusd: '60000' }, seed: 11 },
    factory: { rest: { sleep: async () => {}, retryBaseMs: 1, writeTimeoutMs: 150, readTimeoutMs: 150, readRetries: 5 } },
    markets: ['btcusd'],
  });
});
afterAll(async () => {
  await h.close();
});

type Known = { state: 'placed' | 'unknown' | 'not_placed'; exchangeOrderId?: string };

describe('Bitstamp adapter under chaos', () => {
  it(`after ${OPS} random operations with faults, reconciliation by client_order_id matches the exchange`, async () => {
    const { adapter, events } = h.adapterFor(MAIN);
    await adapter.start();
    await eventually(() => events.some((e) => e.type === 'connected'));
    const writes = ['buy/', 'sell/', 'cancel_order/'];
    h.emulator.faults = {
      ...defaultFaults(),
      latencyMs: 1,
      errorBefore: { rate: 0.05 },
      errorAfter: { rate: 0.04, endpoints: writes },
      timeoutAfterAccept: { rate: 0.04, endpoints: writes },
      dropBefore: { rate: 0.03 },
      malformed: { rate: 0.02, endpoints: writes },
      badSignature: { rate: 0.02 },
      ws: { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.1, muteHeartbeat: false },
    };
    const rnd = seededRandom(2026);
    const known = new Map<string, Known>();
    const codes: Record<string, number> = {};
    const count = (c: string): void => {
      codes[c] = (codes[c] ?? 0) + 1;
    };
    for (let i = 0; i < OPS; i++) {
      const r = rnd();
      if (r < 0.55) {
        const cid = `chaos-${i}`;
        const side = rnd() < 0.5 ? 'buy' : 'sell';
        const offset = Math.floor(rnd() * 500) + 1;
        const price = String(side === 'buy' ? 60000 - offset : 60000 + offset);
        try {
          const ack = await adapter.placeOrder({ clientOrderId: cid, market: 'btcusd', side, type: 'limit', amount: '0.01', price, timeInForce: 'gtc', postOnly: false });
          known.set(cid, { state: 'placed', exchangeOrderId: ack.exchangeOrderId });
          count('place:ok');
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          count(`place:${e.code}`);
          known.set(cid, { state: e.code === 'OUTCOME_UNKNOWN' ? 'unknown' : 'not_placed' });
        }
      } else if (r < 0.8) {
        const candidates = [...known.entries()].filter(([, k]) => k.exchangeOrderId !== undefined);
        const pick = candidates[Math.floor(rnd() * candidates.length)];
        if (!pick) continue;
        try {
          await adapter.cancelOrder({ exchangeOrderId: pick[1].exchangeOrderId });
          count('cancel:ok');
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          count(`cancel:${e.code}`);
        }
      } else {
        const price = String(60000 + Math.floor(rnd() * 1000) - 500);
        h.emulator.trade('btcusd', price, String((Math.floor(rnd() * 5) + 1) / 100));
        h.emulator.setPrice('btcusd', '60000');
      }
    }
    // Faults off; reconcile what the adapter could not tell us.
    h.emulator.faults = defaultFaults();
    const view = new Map<string, ExchangeOrderState | 'absent'>();
    for (const [cid, k] of known) {
      const q = await adapter.queryOrder({ clientOrderId: cid });
      if (k.state === 'not_placed') expect(q, `${cid} was reported as not placed`).toBeNull();
      if (k.state === 'placed') expect(q?.exchangeOrderId).toBe(k.exchangeOrderId);
      view.set(cid, q ? q.state : 'absent');
    }
    const mine = h.emulator.engine.orders.filter((o) => o.userId === MAIN.userId);
    const emulatorCids = mine.map((o) => o.clientOrderId ?? '');
    expect(new Set(emulatorCids).size).toBe(emulatorCids.length); // nothing placed twice
    const stateOf = { Open: 'open', Finished: 'filled', Canceled: 'cancelled', Expired: 'expired' } as const;
    for (const o of mine) expect(view.get(o.clientOrderId ?? ''), `order ${o.clientOrderId}`).toBe(stateOf[o.status]);
    for (const [cid, st] of view) if (st === 'absent') expect(emulatorCids).not.toContain(cid);
    // The faults really happened.
    expect(codes['place:OUTCOME_UNKNOWN'] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(codes).some((c) => c.startsWith('cancel:'))).toBe(true);
  });
});
