/**
 * The adapter against replies shaped as Bitstamp documents them (issues #21, #25), where the
 * emulator's own replies are richer: a fetch between adapter and emulator rewrites chosen replies
 * and re-signs them with the account's secret, as Bitstamp would.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainError } from '../../src/domain/errors.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { errorCodeOf, limitCommand } from '../fixtures/adapter-commands.ts';
import { MAIN, startHarness, type Harness } from '../bitstamp-emulator/harness.ts';

interface Sent {
  endpoint: string;
  body: string;
  headers: Record<string, string>;
}
type Rewrite = (endpoint: string, text: string, sent: Sent) => { text?: string; status?: number; signature?: 'keep' | 'drop' | 'wrong' } | undefined;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A harness whose adapters talk through `rewrite`; every request sent is recorded. */
async function harness(rewrite: Rewrite = () => undefined, metrics?: Metrics): Promise<{ h: Harness; sent: Sent[] }> {
  const sent: Sent[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const s: Sent = { endpoint: url.pathname.replace('/api/v2/', ''), body: typeof init?.body === 'string' ? init.body : '', headers };
    sent.push(s);
    const res = await fetch(input, init);
    const text = await res.text();
    const change = rewrite(s.endpoint, text, s);
    const out = new Headers(res.headers);
    const body = change?.text ?? text;
    if (change?.signature === 'drop') out.delete('x-server-auth-signature');
    else if (change !== undefined && change.text !== undefined) {
      const sig = createHmac('sha256', MAIN.secret)
        .update(`${headers['X-Auth-Nonce']}${headers['X-Auth-Timestamp']}${res.headers.get('content-type') ?? ''}${body}`)
        .digest('hex');
      out.set('x-server-auth-signature', change.signature === 'wrong' ? sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sig);
    } else if (change?.signature === 'wrong') out.set('x-server-auth-signature', '0'.repeat(64));
    out.delete('content-length');
    return new Response(body, { status: change?.status ?? res.status, headers: out });
  };
  const started = await startHarness({
    factory: { rest: { sleep: async () => {}, retryBaseMs: 1, writeTimeoutMs: 1_000, readTimeoutMs: 1_000, fetchFn }, ...(metrics ? { metrics } : {}) },
  });
  h = started;
  return { h: started, sent };
}

/** order_status as recorded in 2021: no type, market or datetime. */
const bareOrderStatus: Rewrite = (endpoint, text) => {
  if (endpoint !== 'order_status/') return undefined;
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o.status === 'error') return undefined;
  delete o.type;
  delete o.market;
  delete o.datetime;
  return { text: JSON.stringify(o) };
};

describe('order_status without type, market, datetime', () => {
  it('a place / partial fill / cancel completes, and a restarted adapter still reports market and side', async () => {
    const { h, sent } = await harness(bareOrderStatus);
    const { adapter } = h.adapterFor(MAIN);
    const ack = await adapter.placeOrder(limitCommand({ clientOrderId: 'bare-1', side: 'sell', price: '61000', amount: '0.5' }));
    expect(h.emulator.trade('btcusd', '61010', '0.2')).toBe(1);
    const open = await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: 'bare-1', market: 'btcusd' });
    expect(open).toMatchObject({ state: 'open', market: 'btcusd', side: 'sell', filledAmount: '0.2' });
    await adapter.cancelOrder({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: 'bare-1', market: 'btcusd' });
    const done = await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId, clientOrderId: 'bare-1', market: 'btcusd' });
    expect(done).toMatchObject({ state: 'cancelled', market: 'btcusd', side: 'sell', filledAmount: '0.2', amount: '0.5' });
    expect(done?.fills).toHaveLength(1);
    expect(done?.fills[0]).toMatchObject({ market: 'btcusd', side: 'sell', amount: '0.2', feeCurrency: 'USD' });

    // A fresh adapter (as after a restart) knows nothing of the order: the side comes from user_transactions.
    const fresh = h.adapterFor(MAIN).adapter;
    const again = await fresh.queryOrder({ exchangeOrderId: ack.exchangeOrderId, market: 'btcusd' });
    expect(again).toMatchObject({ state: 'cancelled', market: 'btcusd', side: 'sell', filledAmount: '0.2' });
    // Without the caller's market hint, the transaction currency keys name it.
    const noHint = await h.adapterFor(MAIN).adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId });
    expect(noHint).toMatchObject({ market: 'btcusd', side: 'sell' });
    expect(sent.filter((s) => s.endpoint === 'cancel_order/').map((s) => s.body)).toEqual([`id=${ack.exchangeOrderId}`]);
  });

  it('an open order of a fresh adapter gets its side from open_orders', async () => {
    const { h } = await harness(bareOrderStatus);
    const ack = await h.adapterFor(MAIN).adapter.placeOrder(limitCommand({ clientOrderId: 'bare-2', market: 'ethusd', price: '2900', amount: '1' }));
    const q = await h.adapterFor(MAIN).adapter.queryOrder({ clientOrderId: 'bare-2', market: 'ethusd' });
    expect(q).toMatchObject({ exchangeOrderId: ack.exchangeOrderId, state: 'open', market: 'ethusd', side: 'buy' });
  });
});

describe('cancel without an exchange id', () => {
  it('an order whose ack was lost is found by client_order_id, then cancelled by id; client_order_id never goes to cancel_order', async () => {
    const { h, sent } = await harness();
    const { adapter } = h.adapterFor(MAIN);
    h.emulator.faults.timeoutAfterAccept = { next: 1, endpoints: ['buy/'] };
    expect(await errorCodeOf(adapter.placeOrder(limitCommand({ clientOrderId: 'lost-ack' })))).toBe('OUTCOME_UNKNOWN');
    await adapter.cancelOrder({ clientOrderId: 'lost-ack', market: 'btcusd' });
    expect((await adapter.queryOrder({ clientOrderId: 'lost-ack' }))?.state).toBe('cancelled');
    const lookup = sent.findIndex((s) => s.endpoint === 'order_status/' && s.body.includes('client_order_id=lost-ack'));
    const cancels = sent.filter((s) => s.endpoint === 'cancel_order/');
    expect(lookup).toBeGreaterThanOrEqual(0);
    expect(sent.findIndex((s) => s.endpoint === 'cancel_order/')).toBeGreaterThan(lookup);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.body).toMatch(/^id=\d+$/);
  });

  it('an order the exchange does not know by client_order_id is ORDER_NOT_FOUND, and nothing is cancelled', async () => {
    const { h, sent } = await harness();
    expect(await errorCodeOf(h.adapterFor(MAIN).adapter.cancelOrder({ clientOrderId: 'never-placed' }))).toBe('ORDER_NOT_FOUND');
    expect(sent.filter((s) => s.endpoint === 'cancel_order/')).toHaveLength(0);
  });
});

describe('ids beyond 2^53', () => {
  it('two fills whose trade ids differ only beyond 2^53 stay two fills, with every digit of the order id', async () => {
    const rows = `[{"id": 9007199254740993, "datetime": "2026-01-01 00:00:01", "type": "2", "fee": "1.5", "order_id": 18446744073709551615, "btc": "0.1", "usd": "-6000", "btc_usd": 60000},
      {"id": 9007199254740992, "datetime": "2026-01-01 00:00:02", "type": "2", "fee": "1.5", "order_id": 18446744073709551615, "btc": "0.1", "usd": "-6000", "btc_usd": 60000}]`;
    const { h } = await harness((endpoint) => (endpoint === 'user_transactions/' ? { text: rows } : undefined));
    const fills = await h.adapterFor(MAIN).adapter.listFills();
    expect(fills.map((f) => f.fillId)).toEqual(['18446744073709551615:9007199254740993', '18446744073709551615:9007199254740992']);
    expect(new Set(fills.map((f) => f.exchangeOrderId))).toEqual(new Set(['18446744073709551615']));
  });

  it('an order ack and an order_status with such ids keep them exactly', async () => {
    const { h } = await harness((endpoint, text) => {
      if (endpoint === 'buy/btcusd/') return { text: text.replace(/"id":\s*"?\d+"?/, '"id": 18446744073709551615') };
      if (endpoint === 'order_status/')
        return {
          status: 200,
          text: `{"id": 18446744073709551615, "status": "Finished", "amount_remaining": "0", "transactions": [
            {"tid": 9007199254740993, "price": "59000", "fee": "1", "datetime": "2026-01-01 00:00:01", "type": 2, "btc": "0.05", "usd": "2950"},
            {"tid": 9007199254740992, "price": "59000", "fee": "1", "datetime": "2026-01-01 00:00:02", "type": 2, "btc": "0.05", "usd": "2950"}]}`,
        };
      return undefined;
    });
    const { adapter } = h.adapterFor(MAIN);
    const ack = await adapter.placeOrder(limitCommand({ clientOrderId: 'big' }));
    expect(ack.exchangeOrderId).toBe('18446744073709551615');
    const q = await adapter.queryOrder({ exchangeOrderId: ack.exchangeOrderId, market: 'btcusd' });
    expect(q?.fills.map((f) => f.fillId)).toEqual(['18446744073709551615:9007199254740993', '18446744073709551615:9007199254740992']);
    expect(q).toMatchObject({ side: 'buy', state: 'filled', filledAmount: '0.1' });
  });
});

describe('response signatures', () => {
  it('a write reply without the header is accepted, logged and counted; a read without it and a wrong one still fail', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { h } = await harness((endpoint) => {
      if (endpoint === 'buy/btcusd/') return { signature: 'drop' };
      if (endpoint === 'account_balances/') return { signature: 'drop' };
      if (endpoint === 'sell/btcusd/') return { signature: 'wrong' };
      return undefined;
    }, metrics);
    const { adapter } = h.adapterFor(MAIN);
    const ack = await adapter.placeOrder(limitCommand({ clientOrderId: 'nosig' }));
    expect(ack.exchangeOrderId).toMatch(/^\d+$/);
    expect(adapter.missingResponseSignatures).toBe(1);
    expect(await errorCodeOf(adapter.getBalances())).toBe('EXCHANGE_UNAVAILABLE');
    const wrong = (await adapter.placeOrder(limitCommand({ clientOrderId: 'badsig', side: 'sell', price: '61000' })).catch((e: unknown) => e)) as DomainError;
    expect(wrong.code).toBe('OUTCOME_UNKNOWN');
    expect(wrong.message).toContain('response signature invalid');
    expect(adapter.missingResponseSignatures).toBe(1);
    expect(await metrics.registry.metrics()).toContain('exec_mcp_exchange_response_signature_missing_total{exchange="bitstamp",endpoint="buy"} 1');
  });
});

describe('insufficient funds on market orders', () => {
  it("Bitstamp's market/instant wording maps to INSUFFICIENT_FUNDS", async () => {
    const { h } = await harness((endpoint) =>
      endpoint.startsWith('sell/market/') ? { text: JSON.stringify({ status: 'error', reason: { __all__: ['You can only sell 2.00000000 BTC. Check your account balance for details.'] } }) } : undefined,
    );
    const err = await errorCodeOf(h.adapterFor(MAIN).adapter.placeOrder(limitCommand({ type: 'market', side: 'sell', price: undefined, amount: '0.01' })));
    expect(err).toBe('INSUFFICIENT_FUNDS');
  });
});

describe('redaction by value (#25)', () => {
  const PLANTED = 'Zq7Xk2LmP9vR4tYb8NcW1sDf6Gh3Jk5A';
  const escaped = (v: string): string => [...v].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  /** Each way a proxy or a faulty endpoint could echo what we sent. */
  const ECHOES: Record<string, (key: string, sig: string) => unknown> = {
    'raw key': (k) => ({ status: 'error', reason: `API key ${k} not found`, code: 'API0001' }),
    'X-Auth header form': (k) => ({ status: 'error', reason: `bad header X-Auth: BITSTAMP ${k}` }),
    'URL-encoded header': (k) => ({ status: 'error', reason: `rejected X-Auth=BITSTAMP%20${encodeURIComponent(k)}&v=2` }),
    'double URL-encoded': (k) => ({ status: 'error', reason: `rejected X-Auth=BITSTAMP%2520${[...k].map((c) => `%25${c.charCodeAt(0).toString(16)}`).join('')}` }),
    'key split across lines': (k) => ({ status: 'error', reason: `key:\n${k.slice(0, 11)}\r\n  ${k.slice(11, 23)}\n${k.slice(23)}` }),
    'key JSON-escaped': (k) => ({ status: 'error', reason: `key "${escaped(k)}"` }),
    'key as field and code': (k) => ({ status: 'error', reason: { [k]: ['is not valid'] }, code: k }),
    'full signature': (_, s) => ({ status: 'error', reason: `X-Auth-Signature ${s} does not match` }),
    'signature upper case': (_, s) => ({ status: 'error', reason: `signature ${s.toUpperCase()}` }),
    'part of a signature': (_, s) => ({ status: 'error', reason: `sig ...${s.slice(20, 32)}... truncated` }),
    'signature split across lines': (_, s) => ({ status: 'error', reason: `sig ${s.slice(0, 30)}\n${s.slice(30)}` }),
    'signature URL-encoded in a query': (_, s) => ({ status: 'error', reason: `GET /?x-auth-signature=${s.slice(0, 40)}%0A${s.slice(40)}` }),
  };

  /** The text with escapes decoded, whitespace gone, lower case: what a reader could reassemble. */
  const reassembled = (t: string): string =>
    t
      .replace(/%25/gi, '%')
      .replace(/%([0-9a-f]{2})/gi, (_, x: string) => String.fromCharCode(parseInt(x, 16)))
      .replace(/\\u([0-9a-f]{4})/gi, (_, x: string) => String.fromCharCode(parseInt(x, 16)))
      .replace(/\\[nrt]|\s|\+/g, '')
      .toLowerCase();
  const leaked = (text: string, value: string): string | undefined => {
    const r = reassembled(text);
    for (let i = 0; i + 9 <= value.length; i++) if (r.includes(value.slice(i, i + 9).toLowerCase())) return value.slice(i, i + 9);
    return undefined;
  };

  for (const [name, echo] of Object.entries(ECHOES)) {
    it(`${name}: neither the key nor any 9 characters of a signature reach the error`, async () => {
      const { h, sent } = await harness((_endpoint, _text, req) => ({
        status: 403,
        text: JSON.stringify(echo(PLANTED, req.headers['X-Auth-Signature'] ?? '')),
      }));
      const { adapter } = h.adapterFor({ apiKey: PLANTED, secret: 'planted-secret' });
      const err = (await adapter.getBalances().catch((e: unknown) => e)) as DomainError;
      expect(err.code).toBe('EXCHANGE_REJECTED');
      const sig = sent[0]?.headers['X-Auth-Signature'] ?? '';
      expect(sig).toMatch(/^[0-9a-f]{64}$/);
      for (const text of [err.message, JSON.stringify(err), JSON.stringify(err.details ?? {})]) {
        expect(text).not.toContain(PLANTED);
        expect(leaked(text, PLANTED), text).toBeUndefined();
        expect(leaked(text, sig), text).toBeUndefined();
      }
      expect(err.message).toContain('[redacted]');
    });
  }
});

describe('clock skew', () => {
  it('API0017 sets the skew gauge from the Date header', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const started = await startHarness({ clock: { now: () => Date.now() + 300_000 }, factory: { metrics } });
    h = started;
    const { adapter } = started.adapterFor(MAIN);
    expect((await adapter.getBalances()).length).toBeGreaterThan(0);
    const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith('exec_mcp_exchange_clock_skew_seconds{'));
    expect(Number(line?.split(' ')[1])).toBeCloseTo(-300, -1);
  });
});
