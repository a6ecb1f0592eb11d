/** Authenticated dashboard pages carry Cache-Control: no-store (no browser or proxy keeps account data). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeServices } from './web-fake-services.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

let web: RunningWeb;
beforeAll(async () => {
  const services = createFakeServices();
  services.accounts.create({ name: 'paper-one', exchange: 'paper', exchange_account_id: 'p-77', initial_balances: { USD: '1000' } }, 'test');
  web = await startWeb(services);
});
afterAll(() => web.close());

describe('Cache-Control on dashboard pages', () => {
  it('every logged-in dashboard page says no-store; the public landing page need not', async () => {
    const client = new WebClient(web.base);
    await client.login();
    for (const path of ['/dashboard', '/dashboard/orders', '/dashboard/audit']) {
      const r = await client.get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cache-control'), path).toBe('no-store');
    }
    const landing = await client.get('/');
    expect(landing.headers.get('cache-control') ?? '').not.toBe('no-store');
  });

  it('the redirect to the login form is not cached either', async () => {
    const r = await new WebClient(web.base).get('/dashboard');
    expect(r.status).toBe(302);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});
