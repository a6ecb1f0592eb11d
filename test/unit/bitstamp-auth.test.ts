import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authHeaders, responseSignatureValid, stringToSign, uuidV4From } from '../../src/exchanges/bitstamp/auth.ts';
import { seededRandom } from '../../src/domain/clock.ts';
import { testSigner } from '../bitstamp-emulator/test-signer.ts';

// The worked example documented in src/exchanges/bitstamp/auth.ts, recomputed here with node:crypto.
const KEY = 'testkey';
const SECRET = 'testsecret';
const NONCE = 'f0e1d2c3-b4a5-4687-9a8b-7c6d5e4f3a2b';
const TS = '1767225600000';

describe('Bitstamp v2 signing', () => {
  it('signs the documented worked example (POST with form body)', () => {
    const req = { method: 'POST' as const, host: 'www.bitstamp.net', path: '/api/v2/buy/btcusd/', query: '', body: 'amount=0.5&price=30000', nonce: NONCE, timestamp: TS };
    const expectedMessage =
      'BITSTAMP testkeyPOSTwww.bitstamp.net/api/v2/buy/btcusd/application/x-www-form-urlencoded' +
      'f0e1d2c3-b4a5-4687-9a8b-7c6d5e4f3a2b1767225600000v2amount=0.5&price=30000';
    expect(stringToSign(KEY, req)).toBe(expectedMessage);
    const expectedSig = createHmac('sha256', SECRET).update(expectedMessage).digest('hex');
    const h = authHeaders(testSigner(KEY, SECRET), req);
    expect(h).toEqual({
      'X-Auth': 'BITSTAMP testkey',
      'X-Auth-Signature': expectedSig,
      'X-Auth-Nonce': NONCE,
      'X-Auth-Timestamp': TS,
      'X-Auth-Version': 'v2',
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(h['X-Auth-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves Content-Type out of headers and signed string when there is no body', () => {
    const req = { method: 'POST' as const, host: 'www.bitstamp.net', path: '/api/v2/account_balances/', query: '', body: '', nonce: NONCE, timestamp: TS };
    const msg = `BITSTAMP testkeyPOSTwww.bitstamp.net/api/v2/account_balances/${NONCE}${TS}v2`;
    expect(stringToSign(KEY, req)).toBe(msg);
    const h = authHeaders(testSigner(KEY, SECRET), req);
    expect(h['Content-Type']).toBeUndefined();
    expect(h['X-Auth-Signature']).toBe(createHmac('sha256', SECRET).update(msg).digest('hex'));
  });

  it('verifies the server response signature (case-insensitive) and rejects tampering', () => {
    const s = testSigner(KEY, SECRET);
    const body = '[{"currency":"usd"}]';
    const sig = createHmac('sha256', SECRET).update(`${NONCE}${TS}application/json${body}`).digest('hex');
    expect(responseSignatureValid(s, NONCE, TS, 'application/json', body, sig)).toBe(true);
    expect(responseSignatureValid(s, NONCE, TS, 'application/json', body, sig.toUpperCase())).toBe(true);
    expect(responseSignatureValid(s, NONCE, TS, 'application/json', body + ' ', sig)).toBe(false);
    expect(responseSignatureValid(s, NONCE, TS, 'application/json', body, null)).toBe(false);
    expect(responseSignatureValid(testSigner(KEY, 'other'), NONCE, TS, 'application/json', body, sig)).toBe(false);
  });

  it('makes lowercase 36-char v4 nonces from the injected random source', () => {
    const r = seededRandom(7);
    const a = uuidV4From(r);
    const b = uuidV4From(r);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(uuidV4From(seededRandom(7))).toBe(a); // deterministic for a seed
  });
});
