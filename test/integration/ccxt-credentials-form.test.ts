/**
 * The dashboard's credentials form is generated from ccxt's requiredCredentials of the account's
 * exchange: kucoin (key, secret, passphrase) gets a passphrase field, kraken and bitstamp do not.
 * Write-only: posting stores every field encrypted, no page ever contains a stored value. Real app
 * (offline: ccxt instances are built, nothing is sent), real web server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialVault, loadMasterKey } from '../../src/credentials/vault.ts';
import type { AccountKey } from '../../src/domain/account.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { startTestApp, type TestApp } from './mcp-app.ts';
import { WebClient, startWeb } from './web-harness.ts';

const SECRET = 'kucoin-secret-9f3a';
const PASS = 'kucoin-pass-phrase-77';

describe('credentials form from requiredCredentials (kucoin needs a passphrase)', () => {
  let app: TestApp;
  let web: Awaited<ReturnType<typeof startWeb>>;
  let c: WebClient;
  beforeAll(async () => {
    app = await startTestApp({ EXEC_MCP_EXCHANGES: 'bitstamp,kucoin,kraken' });
    app.services.accounts.create({ name: 'ku', exchange: 'kucoin', exchange_account_id: 'ku1' }, 'test');
    app.services.accounts.create({ name: 'kr', exchange: 'kraken', exchange_account_id: 'kr1' }, 'test');
    web = await startWeb(app.services);
    c = new WebClient(web.base);
    await c.login();
  });
  afterAll(async () => {
    await web?.close();
    await app?.close();
  });

  const passphraseInput = /<input type="password" id="f-api_password" name="api_password" value=""/;

  it('kucoin\'s page has key, secret and passphrase inputs, all empty; kraken\'s has no passphrase', async () => {
    const ku = await c.get('/dashboard/accounts/kucoin/ku1/credentials');
    expect(ku.status).toBe(200);
    expect(ku.text).toMatch(passphraseInput);
    expect(ku.text).toMatch(/<input type="text" id="f-api_key" name="api_key" value=""/);
    expect(ku.text).toMatch(/<input type="password" id="f-api_secret" name="api_secret" value=""/);
    const kr = await c.get('/dashboard/accounts/kraken/kr1/credentials');
    expect(kr.text).toMatch(/name="api_secret"/);
    expect(kr.text).not.toMatch(/api_password/);
  });

  it('a kucoin post without the passphrase is refused and stores nothing, the secret not echoed', async () => {
    const r = await c.post('/dashboard/accounts/kucoin/ku1/credentials', { api_key: 'ku-key-1', api_secret: SECRET });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/id="e-api_password"[^>]*>is required/);
    expect(r.text).not.toContain(SECRET);
    expect(app.services.accounts.get('ku').has_credentials).toBe(false);
  });

  it('posting all three stores them (passphrase included, encrypted); the page never shows them', async () => {
    const r = await c.post('/dashboard/accounts/kucoin/ku1/credentials', { api_key: 'ku-key-1', api_secret: SECRET, api_password: PASS });
    expect(r.status).toBe(303);
    const { id } = app.app.db.prepare("SELECT id FROM accounts WHERE name = 'ku'").get() as { id: number };
    const vault = new CredentialVault(app.app.db, loadMasterKey({ dataDir: app.dataDir }), new ManualClock(0));
    expect(vault.keyPair(id as AccountKey)).toEqual({ apiKey: 'ku-key-1', secret: SECRET, password: PASS });
    const page = await c.get('/dashboard/accounts/kucoin/ku1/credentials');
    expect(page.text).toMatch(/Credentials set on/);
    expect(page.text).toMatch(passphraseInput);
    for (const s of [SECRET, PASS]) expect(page.text).not.toContain(s);
    const dash = await c.get('/dashboard');
    for (const s of [SECRET, PASS]) expect(dash.text).not.toContain(s);
    expect(JSON.stringify(app.app.db.prepare('SELECT * FROM credentials').all())).not.toMatch(new RegExp(`${SECRET}|${PASS}`));
  });
});
