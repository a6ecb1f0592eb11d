/** Test wiring: an emulator plus Bitstamp adapters built by the real factory, with known keys. */
import type { AccountKey, AccountRecord } from '../../src/domain/account.ts';
import { seededRandom, systemClock, type Clock } from '../../src/domain/clock.ts';
import type { ExchangeEvent } from '../../src/exchanges/adapter.ts';
import type { BitstampAdapter } from '../../src/exchanges/bitstamp/adapter.ts';
import { createBitstampAdapterFactory, type BitstampAdapterFactoryOptions } from '../../src/exchanges/bitstamp/factory.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { BitstampEmulator, type EmulatorOptions } from './index.ts';
import { testSigner } from './test-signer.ts';

export const MAIN = { apiKey: 'mainkey0001', secret: 'main-secret-0001', userId: '100001' };
export const SUB = { apiKey: 'subkey0002', secret: 'sub-secret-0002', userId: '100002' };

export function record(exchangeAccountId: string, key = 1): AccountRecord {
  const now = '2026-01-01T00:00:00.000Z';
  return {
    key: key as AccountKey,
    ref: `bitstamp:${exchangeAccountId}`,
    account: { name: `bs-${exchangeAccountId}`, exchange: 'bitstamp', exchange_account_id: exchangeAccountId, mode: 'live', enabled: true, created_at: now, updated_at: now, limits: {} },
  };
}

export interface Harness {
  emulator: BitstampEmulator;
  adapterFor(creds: { apiKey: string; secret: string } | undefined, id?: string): { adapter: BitstampAdapter; events: ExchangeEvent[] };
  close(): Promise<void>;
}

export async function startHarness(
  opts: { emulator?: EmulatorOptions; clock?: Clock; factory?: Partial<BitstampAdapterFactoryOptions>; markets?: string[] } = {},
): Promise<Harness> {
  const emulator = await BitstampEmulator.start({
    accounts: [
      { ...MAIN, balances: { USD: '100000', BTC: '2', ETH: '50' } },
      { ...SUB, balances: { USD: '500' } },
    ],
    prices: { btcusd: '60000', ethusd: '3000' },
    ...opts.emulator,
  });
  const adapters: BitstampAdapter[] = [];
  const harness: Harness = {
    emulator,
    adapterFor(creds, id = '100001') {
      const factory = createBitstampAdapterFactory({
        apiUrl: emulator.apiUrl,
        wsUrl: emulator.wsUrl,
        clock: opts.clock ?? systemClock,
        random: seededRandom(Number(id) + adapters.length),
        signerFor: () => (creds ? testSigner(creds.apiKey, creds.secret) : undefined),
        marketsFor: () => opts.markets ?? ['btcusd', 'ethusd'],
        logger: silentLogger(),
        rest: { sleep: async () => {}, retryBaseMs: 1, writeTimeoutMs: 1_000, readTimeoutMs: 1_000 },
        timing: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_000, stepTimeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200 },
        ...opts.factory,
      });
      const adapter = factory(record(id, adapters.length + 1));
      adapters.push(adapter);
      const events: ExchangeEvent[] = [];
      adapter.subscribe((e) => events.push(e));
      return { adapter, events };
    },
    async close() {
      await Promise.all(adapters.map((a) => a.close()));
      await emulator.close();
    },
  };
  return harness;
}

/** Polls until `check` returns a value (not undefined/false) or the timeout passes. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 3_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
