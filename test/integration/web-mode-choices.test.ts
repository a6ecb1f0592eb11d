/** Account forms offer per exchange only the modes it accepts (views/partials/mode-select.njk), on the real app. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './mcp-app.ts';
import { WebClient, startWeb, type RunningWeb } from './web-harness.ts';

function modeSelect(html: string): string {
  return /<select id="f-mode" name="mode"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
}
const optionValues = (select: string): string[] => [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1] ?? '');

describe('mode choices on the account forms', () => {
  let t: TestApp;
  let web: RunningWeb;
  let c: WebClient;

  beforeAll(async () => {
    t = await startTestApp();
    t.services.accounts.create({ name: 'Live One', exchange: 'bitstamp', exchange_account_id: '424242' }, 'test');
    t.services.accounts.create({ name: 'Old Backtest', exchange: 'paper', exchange_account_id: 'bt-1', mode: 'backtest' }, 'test');
    web = await startWeb(t.services, { ready: t.app.ready, clock: t.app.clock });
    c = new WebClient(web.base);
    await c.login();
  });
  afterAll(async () => {
    await web?.close();
    await t?.close();
  });

  it('add form: each exchange its own modes, in a group named after it; backtest is not offered', async () => {
    const sel = modeSelect((await c.get('/dashboard')).text);
    expect(sel).toMatch(/<optgroup label="Bitstamp" data-exchange="bitstamp">\s*<option value="live">live<\/option>\s*<\/optgroup>/);
    expect(sel).toMatch(/<optgroup label="Paper trading \(simulated Bitstamp\)" data-exchange="paper">\s*<option value="paper">paper<\/option>\s*<\/optgroup>/);
    expect(optionValues(sel)).toEqual(['', 'live', 'paper']);
  });

  it('edit form: only the modes of the account exchange, the current one selected', async () => {
    const live = modeSelect((await c.get('/dashboard/accounts/bitstamp/424242/edit')).text);
    expect(optionValues(live)).toEqual(['live']);
    expect(live).toContain('<option value="live" selected>');
    expect(live).not.toContain('optgroup');
    const paper = modeSelect((await c.get('/dashboard/accounts/paper/paper/edit')).text);
    expect(optionValues(paper)).toEqual(['paper']);
    // An existing backtest account keeps its mode selectable (it is not a choice for new ones).
    const bt = modeSelect((await c.get('/dashboard/accounts/paper/bt-1/edit')).text);
    expect(optionValues(bt)).toEqual(['paper', 'backtest']);
    expect(bt).toContain('<option value="backtest" selected>');
  });

  it('a refused mode posted anyway (no JavaScript) comes back as a field error naming the allowed ones', async () => {
    await c.get('/dashboard');
    const r = await c.post('/dashboard/accounts', { name: 'Wrong Mode', exchange: 'paper', exchange_account_id: 'wm-1', mode: 'live' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/id="e-mode" class="field-error">[^<]*allowed: paper, backtest/);
    expect((await fetch(`${web.base}/static/mode-choices.js`)).status).toBe(200);
  });
});
