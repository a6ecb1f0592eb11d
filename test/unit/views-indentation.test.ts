import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEWS_DIR, createViewEnvironment, stripIndentation } from '../../src/web/views.ts';

/** What a browser lays out: outside <pre>, any run of whitespace is one space. */
const collapsed = (html: string): string => html.replace(/\s+/g, ' ').trim();

const ACCOUNT = { name: 'a', exchange: 'bitstamp', exchange_account_id: '1', ref: 'bitstamp:1', path: '/dashboard/accounts/bitstamp/1', mode: 'live', enabled: true, kill_switch: false, has_credentials: true, credentials_set_at: '2026-01-01T00:00:00.000Z' };
/** Every branch the rows have: paper, live with and without credentials, disabled, killed, child. */
const CONTEXT = {
  title: 'T', nav: 'accounts', _csrf: 'tok', logged_in: true, path: '/dashboard', values: { enabled: true }, errors: {}, flash: { kind: 'ok', text: 'saved' },
  accounts: [
    ACCOUNT,
    { ...ACCOUNT, name: 'p', exchange: 'paper', ref: 'paper:p', path: '/dashboard/accounts/paper/p', mode: 'paper', has_credentials: false, last_balance: 'USD 1', last_balance_at: '2026-01-01T00:00:00.000Z' },
    { ...ACCOUNT, name: 'off', enabled: false, kill_switch: true, has_credentials: false, parent: 'bitstamp:1' },
  ],
  parents: [{ value: 'bitstamp:1', label: 'a' }],
  exchanges: ['bitstamp', 'paper'], modes: ['live', 'paper', 'backtest'],
  entries: [{ seq: 1, at: '2026-01-01T00:00:00.000Z', actor: 'admin', action: 'account.create', subject: 'paper:p', payload: { nested: { keeps: ['its', 'indentation'] } } }],
  orders: [{ account: 'paper:p', created_at: '2026-01-01T00:00:00.000Z', market: 'btcusd', side: 'buy', type: 'limit', amount: '1', price: '2', status: 'open', filled_amount: '0', order_id: 'O', client_order_id: 'C' }],
  snapshots: [{ at: '2026-01-01T00:00:00.000Z', balances: [{ currency: 'USD', total: '1', available: '1', reserved: '0' }] }],
  connections: [{ account: 'bitstamp:1', state: 'live', since: '2026-01-01T00:00:00.000Z' }],
  metadata: [{ exchange: 'bitstamp', source: 'snapshot', markets: 3, currencies: 4, refreshed_at: '2026-01-01T00:00:00.000Z' }],
};

describe('templates lose their indentation, pages look the same', () => {
  const pages = fs.readdirSync(DEFAULT_VIEWS_DIR).filter((f) => f.endsWith('.njk') && f !== 'layout.njk');
  const indented = createViewEnvironment(DEFAULT_VIEWS_DIR, { keepIndentation: true });
  const served = createViewEnvironment();

  it.each(pages)('%s: same text and elements, fewer bytes', (page) => {
    const before = indented.render(page, CONTEXT);
    const after = served.render(page, CONTEXT);
    expect(collapsed(after)).toBe(collapsed(before));
    expect(after.length).toBeLessThan(before.length);
    expect(after).not.toMatch(/\n[ \t]{2,}</);
  });

  it('the accounts page: links in a row stay apart, a value in <pre> keeps its own indentation', () => {
    const dashboard = served.render('dashboard.njk', CONTEXT);
    expect(dashboard).toMatch(/Credentials<\/a>\s+<a href="\/dashboard\/orders/);
    const audit = served.render('audit.njk', CONTEXT);
    expect(audit).toContain('{\n &quot;nested&quot;: {\n  &quot;keeps&quot;: [');
  });

  it('a line after a block tag keeps one space, since trimBlocks ate the line break before it', () => {
    expect(stripIndentation('<p>\n    <b>x</b>\n\t<i>y</i>')).toBe('<p>\n<b>x</b>\n<i>y</i>');
    expect(stripIndentation('{% if a %}<a>1</a>{% endif %}\n    <a>2</a>\n    {% if b %}')).toBe('{% if a %}<a>1</a>{% endif %}\n <a>2</a>\n{% if b %}');
  });
});
