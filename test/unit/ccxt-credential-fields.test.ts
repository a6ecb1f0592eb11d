/** The credentials form of a ccxt exchange from its requiredCredentials (real ccxt classes, built offline). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { credentialFieldsOf } from '../../src/exchanges/ccxt/credential-fields.ts';
import { credentialInputs } from '../../src/web/routes/account-form.ts';

const ccxt = createRequire(import.meta.url)('ccxt') as Record<string, new () => { requiredCredentials: Record<string, boolean> }>;

describe('credentialFieldsOf', () => {
  it('kucoin and okx want a passphrase, kraken key and secret only', () => {
    expect(credentialFieldsOf(new ccxt['kucoin']!())).toEqual({ fields: ['api_key', 'api_secret', 'api_password'], unsupported: [] });
    expect(credentialFieldsOf(new ccxt['okx']!()).fields).toContain('api_password');
    expect(credentialFieldsOf(new ccxt['kraken']!())).toEqual({ fields: ['api_key', 'api_secret'], unsupported: [] });
  });

  it('uid becomes a field; what the vault cannot hold is named as unsupported', () => {
    const r = credentialFieldsOf({ requiredCredentials: { apiKey: true, secret: true, uid: true, password: false, privateKey: true, twofa: false } });
    expect(r).toEqual({ fields: ['api_key', 'api_secret', 'api_uid'], unsupported: ['privateKey'] });
  });

  it('secrets are password inputs, ids are text', () => {
    expect(credentialInputs(['api_key', 'api_secret', 'api_password', 'api_uid']).map((i) => `${i.name}:${i.type}`)).toEqual([
      'api_key:text', 'api_secret:password', 'api_password:password', 'api_uid:text',
    ]);
  });
});
