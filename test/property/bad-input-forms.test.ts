/**
 * Dashboard form posts are hostile input. Generated malformed posts (wrong or missing fields,
 * repeated fields, unicode, control characters, huge values, unknown accounts, missing CSRF) to
 * the real dashboard over the real services on a temp data dir: never a 5xx, never a stack trace
 * or an echoed secret in the page, and a refused post (4xx) changes no stored data.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { startWeb, WebClient, type RunningWeb } from '../integration/web-harness.ts';

const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 120);

let app: TestApp;
let web: RunningWeb;
let client: WebClient;

beforeAll(async () => {
  app = await startTestApp();
  web = await startWeb(app.services);
  client = new WebClient(web.base);
  await client.login();
  expect(client.csrf).toBeDefined();
});
afterAll(async () => {
  await web?.close();
  await app?.close();
});

const PLANTED_SECRET = 'PLANTED-form-secret-7f3a9c2e';

const junk: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', '\r\n', '💥', 'ﷺ', '<script>alert(1)</script>', "'; DROP TABLE accounts; --", '../../etc/passwd', '%00', 'null', 'undefined', '-1', '1e309', 'NaN', 'x'.repeat(5000)),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const fields = (names: string[]): fc.Arbitrary<Record<string, string>> =>
  fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })), junk, { maxKeys: names.length + 2 });

function expectSafe(r: { status: number; text: string }, what: string): void {
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
  expect(r.text).not.toMatch(/\n\s+at .+\.(ts|js):\d+/);
  expect(r.text).not.toMatch(/SqliteError|TypeError|ReferenceError/);
}

async function postChecked(path: string, body: Record<string, string>, withCsrf = true): Promise<{ status: number; text: string }> {
  const before = app.digest();
  const r = await client.post(path, body, withCsrf);
  expectSafe(r, `POST ${path} ${JSON.stringify(body).slice(0, 200)}`);
  if (r.status >= 400) expect(app.digest(), `refused POST ${path} changed stored data`).toBe(before);
  return r;
}

describe('dashboard forms: malformed posts are refused cleanly', () => {
  it('control: a valid post with the session CSRF token is accepted and stored (so refusals below mean something)', async () => {
    const before = app.digest();
    const r = await client.post('/dashboard/accounts', { name: 'control-acct', exchange: 'paper', exchange_account_id: 'control1', mode: 'paper', enabled: 'on' });
    expect(r.status, r.text.slice(0, 300)).toBe(303);
    expect(app.digest()).not.toBe(before);
    const refused = await client.post('/dashboard/accounts', { name: 'control-acct-2', exchange: 'nope', exchange_account_id: 'control2' });
    expect(refused.status).toBe(400);
  });

  it('account creation with an exchange that does not exist: 4xx, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fields(['name', 'exchange_account_id', 'parent', 'mode', 'enabled']), junk.filter((e) => e !== 'bitstamp' && e !== 'paper'), async (f, exchange) => {
        const r = await postChecked('/dashboard/accounts', { ...f, exchange });
        expect(r.status, r.text.slice(0, 200)).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('any account creation post: never 5xx; refused ones change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fields(['name', 'exchange', 'exchange_account_id', 'parent', 'mode', 'enabled']), async (f) => {
        await postChecked('/dashboard/accounts', f);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('edit, limits, enable/disable and credentials of existing and unknown accounts', async () => {
    const paths = [
      '/dashboard/accounts/paper/paper/edit',
      '/dashboard/accounts/paper/paper/limits',
      '/dashboard/accounts/paper/nope/edit',
      '/dashboard/accounts/bitstamp/999999/credentials',
      '/dashboard/accounts/%F0%9F%92%A5/x/delete',
      '/dashboard/accounts/paper/paper/credentials',
    ];
    const names = ['name', 'parent', 'mode', 'enabled', 'api_key', 'api_secret', 'max_order_value', 'max_open_orders', 'daily_notional', 'allowed_markets', 'kill_switch'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fields(names), async (path, f) => {
        const r = await postChecked(path, f);
        expect(r.status).toBeGreaterThan(0);
        // The same post carrying a planted secret: whatever the other (echoed) fields hold, the
        // secret is never written back into the page (a random secret could collide with them).
        if (f.api_secret !== undefined) {
          const planted = await postChecked(path, { ...f, api_secret: PLANTED_SECRET });
          expect(planted.text).not.toContain(PLANTED_SECRET);
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('posts without a valid CSRF token are refused and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fields(['name', 'exchange', 'exchange_account_id', '_csrf']), async (f) => {
        const r = await postChecked('/dashboard/accounts', { exchange: 'paper', name: 'csrf-less', exchange_account_id: 'csrf1', ...f, ...(f._csrf === client.csrf ? { _csrf: 'x' } : {}) }, false);
        expect(r.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  }, 120_000);

  it('login with malformed passwords: 401/429, never 5xx', async () => {
    const anon = new WebClient(web.base);
    await anon.get('/login');
    await fc.assert(
      fc.asyncProperty(fields(['password', 'next']), async (f) => {
        const r = await anon.post('/login', f);
        expectSafe(r, 'POST /login');
        expect([400, 401, 403, 429]).toContain(r.status);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  }, 120_000);
});
