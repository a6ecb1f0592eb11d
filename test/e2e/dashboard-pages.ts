/**
 * Page checks shared by the dashboard browser tests: no internal account key and no planted secret
 * may appear anywhere in a rendered page.
 */
import { expect } from 'vitest';

export interface PageFacts {
  html: string;
  text: string;
  hiddenInputs: { name: string; value: string }[];
  urls: string[];
  idAttributes: string[];
}

/** Collected in the browser: the live DOM, not the server's string (what the operator really sees). */
export const COLLECT_FACTS = `(() => {
  const hiddenInputs = [...document.querySelectorAll('input[type=hidden]')].map((i) => ({ name: i.name, value: i.value }));
  const urls = [
    ...[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    ...[...document.querySelectorAll('form[action]')].map((f) => f.getAttribute('action')),
    ...[...document.querySelectorAll('[formaction]')].map((f) => f.getAttribute('formaction')),
  ];
  const idAttributes = [...document.querySelectorAll('*')].flatMap((el) =>
    [...el.attributes].filter((a) => /^data-(id|key|pk)$|^data-account-(id|key)$/i.test(a.name) || (a.name === 'name' && /^(id|key|pk|account_id|account_key)$/i.test(a.value))).map((a) => el.tagName + ' ' + a.name + '=' + a.value));
  return { html: document.documentElement.outerHTML, text: document.body.innerText, hiddenInputs, urls, idAttributes };
})()`;

/**
 * - the only hidden field is the CSRF token (an internal key would travel in a hidden field);
 * - every account URL is /dashboard/accounts/<exchange>/<exchange_account_id>[/action] of a known account,
 *   so a URL carrying a table key (e.g. /dashboard/accounts/3/edit) fails;
 * - no attribute names an id/key, no JSON field names an internal key, no secret anywhere.
 */
export function assertNoInternalIdsOrSecrets(where: string, f: PageFacts, knownRefs: Set<string>, secrets: string[], internalKeys: number[]): void {
  for (const h of f.hiddenInputs) expect(h.name, `${where}: hidden input`).toBe('_csrf');
  for (const url of f.urls) {
    const m = /^\/dashboard\/accounts\/([^/?#]+)(?:\/([^/?#]+))?(?:\/([^/?#]+))?/.exec(url);
    if (!m || url === '/dashboard/accounts') continue;
    const ref = `${decodeURIComponent(m[1] ?? '')}:${decodeURIComponent(m[2] ?? '')}`;
    expect(knownRefs.has(ref), `${where}: ${url} does not address an account by <exchange>/<exchange_account_id>`).toBe(true);
    expect(['edit', 'delete', 'enable', 'disable', 'credentials', 'balances', 'limits', 'orders', 'cancel-open-orders'], `${where}: ${url}`).toContain(m[3]);
  }
  expect(f.idAttributes, `${where}: id-like attributes`).toEqual([]);
  expect(f.text, `${where}: internal key field in page text`).not.toMatch(/"(account_key|account_pk|account_row_id|parent_id|account_id)"\s*:/);
  const accountUrls = f.urls.filter((u) => u.includes('/accounts/') || u.includes('account='));
  for (const key of internalKeys) {
    for (const url of accountUrls) expect(url, `${where}: URL carries internal key ${key}`).not.toMatch(new RegExp(`([/=]|%3A)${key}(/|$|&)`));
  }
  for (const s of secrets) {
    expect(f.html.includes(s), `${where}: planted secret in HTML`).toBe(false);
  }
}
