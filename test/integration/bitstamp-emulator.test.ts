import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { MAIN, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';
import { limitCommand } from '../fixtures/adapter-commands.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

interface RawOpts {
  path?: string;
  body?: string;
  nonce?: string;
  timestamp?: string;
  secret?: string;
  contentType?: string | null; // null = omit
  version?: string;
  omit?: string[];
}

/** Builds and signs a request independently of src/ (node:crypto only). */
async function raw(o: RawOpts = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers; text: string; nonce: string; timestamp: string }> {
  const url = new URL(o.path ?? '/api/v2/account_balances/', h.emulator.apiUrl);
  const body = o.body ?? '';
  const nonce = o.nonce ?? randomUUID();
  const timestamp = o.timestamp ?? String(Date.now());
  const ct = o.contentType === undefined ? (body === '' ? null : 'application/x-www-form-urlencoded') : o.contentType;
  const msg = `BITSTAMP ${MAIN.apiKey}POST${url.host}${url.pathname}${ct ?? ''}${nonce}${timestamp}v2${body}`;
  const headers: Record<string, string> = {
    'X-Auth': `BITSTAMP ${MAIN.apiKey}`,
    'X-Auth-Signature': createHmac('sha256', o.secret ?? MAIN.secret).update(msg).digest('hex'),
    'X-Auth-Nonce': nonce,
    'X-Auth-Timestamp': timestamp,
    'X-Auth-Version': o.version ?? 'v2',
  };
  if (ct !== null) headers['Content-Type'] = ct;
  for (const k of o.omit ?? []) delete headers[k];
  const init: RequestInit = { method: 'POST', headers };
  if (body !== '') init.body = body;
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, headers: res.headers, text, nonce, timestamp };
}

describe('emulator auth strictness (BITSTAMP.md §7)', () => {
  it('accepts a correctly signed request and signs its response', async () => {
    const r = await raw();
    expect(r.status).toBe(200);
    const expected = createHmac('sha256', MAIN.secret).update(`${r.nonce}${r.timestamp}application/json${r.text}`).digest('hex');
    expect(r.headers.get('x-server-auth-signature')).toBe(expected);
  });

  it('accepts an upper-case signature (hex compared case-insensitively)', async () => {
    const url = new URL('/api/v2/account_balances/', h.emulator.apiUrl);
    const nonce = randomUUID();
    const ts = String(Date.now());
    const sig = createHmac('sha256', MAIN.secret).update(`BITSTAMP ${MAIN.apiKey}POST${url.host}${url.pathname}${nonce}${ts}v2`).digest('hex').toUpperCase();
    const res = await fetch(url, { method: 'POST', headers: { 'X-Auth': `BITSTAMP ${MAIN.apiKey}`, 'X-Auth-Signature': sig, 'X-Auth-Nonce': nonce, 'X-Auth-Timestamp': ts, 'X-Auth-Version': 'v2' } });
    expect(res.status).toBe(200);
  });

  it('rejects a bad signature with 403 API0005', async () => {
    const r = await raw({ secret: 'not-the-secret' });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ status: 'error', reason: 'Invalid signature.', code: 'API0005' });
  });

  it('rejects a reused nonce with API0004', async () => {
    const nonce = randomUUID();
    expect((await raw({ nonce })).status).toBe(200);
    const again = await raw({ nonce });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe('API0004');
  });

  it('rejects stale or malformed timestamps (API0017 / API0018)', async () => {
    expect((await raw({ timestamp: String(Date.now() - 151_000) })).json.code).toBe('API0017');
    expect((await raw({ timestamp: String(Date.now() + 151_000) })).json.code).toBe('API0017');
    expect((await raw({ timestamp: 'yesterday' })).json.code).toBe('API0018');
    expect((await raw({ timestamp: String(Date.now() - 140_000) })).status).toBe(200);
  });

  it('enforces the Content-Type rules (API0020 / API0019)', async () => {
    expect((await raw({ contentType: 'application/x-www-form-urlencoded' })).json.code).toBe('API0020');
    expect((await raw({ path: '/api/v2/order_status/', body: 'id=1', contentType: 'application/json' })).json.code).toBe('API0019');
  });

  it('requires every X-Auth header and version v2', async () => {
    const cases: Array<[string, string]> = [
      ['X-Auth', 'API0012'],
      ['X-Auth-Signature', 'API0013'],
      ['X-Auth-Nonce', 'API0014'],
      ['X-Auth-Timestamp', 'API0015'],
      ['X-Auth-Version', 'API0016'],
    ];
    for (const [header, code] of cases) expect((await raw({ omit: [header] })).json.code).toBe(code);
    expect((await raw({ version: 'v1' })).json.code).toBe('API0010');
  });

  it('answers validation errors in Bitstamp field-keyed shape', async () => {
    const r = await raw({ path: '/api/v2/buy/btcusd/', body: 'amount=0.123456789&price=60000' });
    expect(r.json).toEqual({ status: 'error', reason: { amount: ['Ensure that there are no more than 8 decimal places.'], __all__: [''] } });
  });
});

describe('adapter against the strict emulator', () => {
  it('a client clock more than 150 s off: the server clock is learned from the Date header (API0017), reads retried once', async () => {
    // The clock drifts after the adapter's identity check (its first signed call, a read) passed.
    let offset = 0;
    const skewed = { now: () => Date.now() - offset };
    const h2 = await startHarness({ clock: skewed });
    try {
      // A write is never resent: it fails with the clear authentication error, and the next one works.
      const writer = h2.adapterFor(MAIN).adapter;
      await writer.getBalances();
      offset = 200_000;
      const err = (await writer.placeOrder(limitCommand({ clientOrderId: 'skew-w' })).catch((e: unknown) => e)) as DomainError;
      expect(err).toBeInstanceOf(DomainError);
      expect(err.code).toBe('EXCHANGE_REJECTED');
      expect(err.message).toContain('authentication failed: X-Auth-Timestamp header is out of boundaries. (API0017)');
      expect(Math.abs(writer.clockSkewMs - 200_000)).toBeLessThan(2_000);
      expect((await writer.placeOrder(limitCommand({ clientOrderId: 'skew-w' }))).exchangeOrderId).toMatch(/^\d+$/);
      // A read is retried once at once, with the learned clock (here the new adapter's identity check).
      const tokens = (): number => h2.emulator.requests.filter((r) => r.endpoint === 'websockets_token/').length;
      expect(tokens()).toBe(1);
      const reader = h2.adapterFor(MAIN).adapter;
      expect((await reader.getBalances()).length).toBeGreaterThan(0);
      expect(tokens()).toBe(1 + 2);
      expect(h2.emulator.requests.filter((r) => r.endpoint === 'account_balances/').length).toBe(2); // one per adapter
      expect(reader.clockSkewMs).toBeGreaterThan(198_000);
    } finally {
      await h2.close();
    }
  });

  it('never reuses a nonce across many calls', async () => {
    const { adapter } = h.adapterFor(MAIN);
    await Promise.all(Array.from({ length: 30 }, () => adapter.getBalances()));
  });
});

describe('BitstampMetadataSource over HTTP', () => {
  it('fetches and maps /markets/ and /currencies/ from the emulator', async () => {
    const { BitstampMetadataSource } = await import('../../src/exchanges/bitstamp/metadata.ts');
    const src = new BitstampMetadataSource({ apiUrl: h.emulator.apiUrl });
    const markets = await src.fetchMarkets();
    expect(markets.find((m) => m.market === 'ethusd')).toMatchObject({ base: 'ETH', quote: 'USD', price_decimals: 2, amount_decimals: 6, min_order_value: '10.00' });
    expect(markets.some((m) => m.market.endsWith('-perp'))).toBe(false);
    expect((await src.fetchCurrencies()).find((c) => c.code === 'BTC')).toMatchObject({ decimals: 8, type: 'crypto', enabled: true });
  });

  it('an unreachable or broken source is EXCHANGE_UNAVAILABLE', async () => {
    const { BitstampMetadataSource } = await import('../../src/exchanges/bitstamp/metadata.ts');
    const down = new BitstampMetadataSource({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 500 });
    await expect(down.fetchMarkets()).rejects.toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
    const broken = new BitstampMetadataSource({ apiUrl: `${h.emulator.apiUrl}/nothing-here` });
    await expect(broken.fetchCurrencies()).rejects.toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
  });
});
