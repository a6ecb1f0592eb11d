/** Bitstamp replies as documented (issue #21) and exact ids / redaction by value (issue #25). */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { seededRandom, systemClock } from '../../src/domain/clock.ts';
import type { DomainError } from '../../src/domain/errors.ts';
import type { ExchangeEvent } from '../../src/exchanges/adapter.ts';
import { bitstampErrorToDomain, classifyBitstampError, readErrorBody } from '../../src/exchanges/bitstamp/errors.ts';
import { parseJsonLossless, quoteLargeIntegers } from '../../src/exchanges/bitstamp/json.ts';
import { BitstampMetadataSource, parseMarkets, parseMarketsReport, readSnapshotRaw } from '../../src/exchanges/bitstamp/metadata.ts';
import { marketFromCurrencies } from '../../src/exchanges/bitstamp/order-hints.ts';
import { orderStatusSchema, parseReply, toOrderStatusReport, userTransactionSchema, userTransactionToFill } from '../../src/exchanges/bitstamp/parse.ts';
import { CredentialRedactor } from '../../src/exchanges/bitstamp/redact.ts';
import { BitstampPrivateStream } from '../../src/exchanges/bitstamp/ws.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const NOW = '2026-01-01T00:00:00.000Z';

describe('lossless JSON', () => {
  it('keeps every digit of integers beyond 2^53, and only in number position', () => {
    const v = parseJsonLossless('{"a": 9007199254740993, "b": [18446744073709551615, -9007199254740993], "s": "9007199254740993 x", "d": 12345678901234567.5, "e": 1e300, "small": 42}') as Record<string, unknown>;
    expect(v).toEqual({ a: '9007199254740993', b: ['18446744073709551615', '-9007199254740993'], s: '9007199254740993 x', d: 12345678901234567.5, e: 1e300, small: 42 });
    expect(quoteLargeIntegers('{"k":"a\\"9007199254740993"}')).toBe('{"k":"a\\"9007199254740993"}');
    expect(() => parseJsonLossless('{"a": 12345678901234567')).toThrow(SyntaxError);
  });

  it('two user_transactions rows differing only beyond 2^53 stay two fills', () => {
    const rows = parseJsonLossless(
      '[{"id": 9007199254740993, "datetime": "2026-01-01 00:00:01", "type": "2", "fee": "1", "order_id": 18446744073709551615, "btc": "0.1", "usd": "-6000", "btc_usd": 60000},' +
        ' {"id": 9007199254740992, "datetime": "2026-01-01 00:00:01", "type": "2", "fee": "1", "order_id": 18446744073709551615, "btc": "0.1", "usd": "-6000", "btc_usd": 60000}]',
    ) as unknown[];
    const fills = rows.map((r) => userTransactionToFill(parseReply(userTransactionSchema, r, 'read', 'x'), 'x'));
    expect(fills.map((f) => f?.fillId)).toEqual(['18446744073709551615:9007199254740993', '18446744073709551615:9007199254740992']);
  });

  it('an id that JSON.parse already rounded is refused, not collapsed', () => {
    const r = userTransactionSchema.safeParse(JSON.parse('{"id": 9007199254740993, "datetime": "2026-01-01 00:00:01", "type": "2", "fee": "1"}'));
    expect(r.success).toBe(false);
  });

  it('the private stream keeps trade and order ids beyond 2^53 (two fills stay two)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket) => {
      socket.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { event: string; data?: { channel?: string } };
        if (msg.event !== 'bts:subscribe') return;
        socket.send(JSON.stringify({ event: 'bts:subscription_succeeded', channel: msg.data?.channel, data: {} }));
        if (!msg.data?.channel?.startsWith('private-my_trades_')) return;
        for (const id of ['9007199254740993', '9007199254740992'])
          socket.send(`{"event":"trade","channel":"private-my_trades_btcusd-7","data":{"id":${id},"order_id":"18446744073709551615","amount":"0.1","price":"60000","fee":"1","side":"buy","microtimestamp":"1767225600000000"}}`);
      });
    });
    const events: ExchangeEvent[] = [];
    const stream = new BitstampPrivateStream({
      account: 'bitstamp:7',
      wsUrl: `ws://127.0.0.1:${port}`,
      fetchToken: async () => ({ token: 't', userId: '7' }),
      marketsFor: () => ['btcusd'],
      quoteOf: () => 'USD',
      clock: systemClock,
      random: seededRandom(1),
      logger: silentLogger(),
      onEvent: (e) => events.push(e),
    });
    try {
      stream.start();
      const until = Date.now() + 3_000;
      while (events.filter((e) => e.type === 'fill').length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const ids = events.flatMap((e) => (e.type === 'fill' ? [e.fill.fillId] : []));
      expect(ids).toEqual(['18446744073709551615:9007199254740993', '18446744073709551615:9007199254740992']);
    } finally {
      stream.stop();
      wss.close();
    }
  });
});

describe('private stream errors', () => {
  it('a bts:error echoing the subscribe token does not carry it into the state shown', async () => {
    const TOKEN = 'siPaT4m6ZZtokenXY12345678';
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    wss.on('connection', (socket) => {
      socket.on('message', () => socket.send(JSON.stringify({ event: 'bts:error', channel: '', data: { code: 4009, message: `Connection is unauthorized (auth=${TOKEN})` } })));
    });
    const errors: string[] = [];
    const warned: unknown[] = [];
    const logger = { ...silentLogger(), warn: (o: unknown) => warned.push(o), child: () => logger } as unknown as ReturnType<typeof silentLogger>;
    const stream = new BitstampPrivateStream({
      account: 'bitstamp:7',
      wsUrl: `ws://127.0.0.1:${port}`,
      fetchToken: async () => ({ token: TOKEN, userId: '7' }),
      marketsFor: () => ['btcusd'],
      quoteOf: () => 'USD',
      clock: systemClock,
      random: seededRandom(1),
      logger,
      onEvent: () => {},
      onState: (_state, lastError) => lastError !== undefined && errors.push(lastError),
    });
    try {
      stream.start();
      const until = Date.now() + 3_000;
      while (!errors.some((e) => e.includes('4009')) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(errors.some((e) => e.includes('4009'))).toBe(true);
      expect(JSON.stringify(errors)).not.toContain(TOKEN.slice(0, 9));
      expect(JSON.stringify(warned)).not.toContain(TOKEN.slice(0, 9));
    } finally {
      stream.stop();
      wss.close();
    }
  });
});

describe('order_status as documented (type, market, datetime optional)', () => {
  const bare = { id: 1429545880227846, status: 'Canceled', amount_remaining: '0.3', transactions: [{ fee: '0.11128', price: '4451.25', datetime: '2021-11-25 12:59:59.322000', usdt: '22.25625', tid: 209895701, eth: '0.005', type: 2 }] };

  it('parses without them, and maps with the caller\'s market and side', () => {
    const o = parseReply(orderStatusSchema, bare, 'read', 'order_status/');
    const r = toOrderStatusReport(o, 'order_status/', NOW, undefined, { market: { market: 'ethusdt', base: 'ETH', quote: 'USDT' }, side: 'sell' });
    expect(r).toMatchObject({ exchangeOrderId: '1429545880227846', market: 'ethusdt', side: 'sell', state: 'cancelled', amount: '0.305', filledAmount: '0.005', at: NOW });
    expect(r.fills[0]).toMatchObject({ fillId: '1429545880227846:209895701', side: 'sell', feeCurrency: 'USDT', amount: '0.005' });
  });

  it('without a market or side from anywhere it is a DomainError, not a guess', () => {
    const o = parseReply(orderStatusSchema, bare, 'read', 'order_status/');
    expect(() => toOrderStatusReport(o, 'order_status/', NOW)).toThrowError(expect.objectContaining({ code: 'EXCHANGE_UNAVAILABLE' }) as Error);
    expect(() => toOrderStatusReport(o, 'order_status/', NOW, undefined, { market: { market: 'ethusdt', base: 'ETH', quote: 'USDT' } })).toThrowError(/side is unknown/);
  });

  it('the transaction currency keys name the market', () => {
    const quoteOf = (m: string): string | undefined => ({ ethusdt: 'USDT', btcusd: 'USD' })[m];
    expect(marketFromCurrencies(['usdt', 'eth'], quoteOf)).toEqual({ market: 'ethusdt', base: 'ETH', quote: 'USDT' });
    // with a suffix heuristic that accepts both orders, the usual quote wins
    const loose = (m: string): string | undefined => (m.endsWith('usd') ? 'USD' : m.endsWith('btc') ? 'BTC' : undefined);
    expect(marketFromCurrencies(['usd', 'btc'], loose)?.market).toBe('btcusd');
  });
});

describe('insufficient funds wording of market and instant orders', () => {
  it.each([
    'You can only buy 0.12345678 BTC. Check your account balance for details.',
    'You can only sell 2.00000000 BTC. Check your account balance for details.',
    'You have only 1.00 USD available. Check your account balance for details.',
  ])('%s -> INSUFFICIENT_FUNDS', (text) => {
    const info = readErrorBody({ status: 'error', reason: { __all__: [text] } }, 200);
    expect(info && classifyBitstampError(info, 200)).toBe('INSUFFICIENT_FUNDS');
  });
});

describe('/markets/ with one odd entry', () => {
  it('skips and reports it, and keeps the rest', async () => {
    const raw = readSnapshotRaw().markets as Record<string, unknown>[];
    const odd = [...raw.slice(0, 3), { ...raw[3], base_decimals: 'eight' }, { garbage: true }, ...raw.slice(4)];
    const r = parseMarketsReport(odd);
    expect(r.items.length).toBe(parseMarkets(raw).length - 1);
    expect(r.skipped).toEqual([
      { index: 3, symbol: raw[3]?.market_symbol, problem: expect.stringContaining('base_decimals') as string },
      { index: 4, problem: expect.stringContaining('entry 4') as string },
    ]);
    const warnings: unknown[] = [];
    const logger = { ...silentLogger(), warn: (o: unknown) => warnings.push(o) } as unknown as ReturnType<typeof silentLogger>;
    const source = new BitstampMetadataSource({ apiUrl: 'http://x.invalid', logger, fetchFn: async () => new Response(JSON.stringify(odd)) });
    expect((await source.fetchMarkets()).length).toBe(r.items.length);
    expect(source.lastSkipped().markets.map((s) => s.index)).toEqual([3, 4]);
    expect(warnings).toHaveLength(1);
    // every entry bad: still a malformed reply
    expect(() => parseMarkets([{ garbage: true }])).toThrowError(expect.objectContaining({ code: 'EXCHANGE_UNAVAILABLE' }) as Error);
  });
});

describe('CredentialRedactor', () => {
  it('removes the key and any 9+ characters of a recent signature in every encoding, and nothing else', () => {
    const r = new CredentialRedactor();
    const key = 'Zq7Xk2LmP9vR4tYb8NcW1sDf6Gh3Jk5A';
    const sig = 'a3f1c2d4e5b6978812345678abcdef0123456789abcdef0123456789abcdef01';
    r.rememberKey(key);
    r.rememberSignature(sig);
    const cases = [key, `BITSTAMP ${key}`, `BITSTAMP%20${key}`, `${key.slice(0, 16)}\n${key.slice(16)}`, sig.toUpperCase(), sig.slice(10, 19), `${sig.slice(0, 32)}\r\n${sig.slice(32)}`, encodeURIComponent(`x=${key}`)];
    for (const c of cases) {
      const out = r.redact(`before ${c} after`);
      expect(out, c).toContain('[redacted]');
      expect(out, c).toMatch(/^before .*after$/s);
      expect(out.replace(/\s/g, ''), c).not.toContain(sig.slice(10, 19));
      expect(out.replace(/\s/g, ''), c).not.toContain(key.slice(0, 9));
    }
    expect(r.redact('Minimum order size is 10 USD.')).toBe('Minimum order size is 10 USD.');
    expect(r.redact(sig.slice(0, 8))).toBe(sig.slice(0, 8)); // 8 characters are not "longer than 8"
  });

  it('bitstampErrorToDomain redacts before it shortens, so no remnant survives the cut', () => {
    const r = new CredentialRedactor();
    const key = 'K'.repeat(4) + 'z9y8x7w6v5u4t3s2r1q0';
    r.rememberKey(key);
    const reason = `${'x'.repeat(190)} ${key}`;
    const e: DomainError = bitstampErrorToDomain({ reason }, 400, 'buy/', (t) => r.redact(t));
    expect(e.message).not.toContain(key.slice(0, 9));
    expect(e.message).not.toContain(key.slice(4, 13));
  });
});
