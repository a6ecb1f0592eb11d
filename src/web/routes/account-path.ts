/** The dashboard URL of an account: public reference only (`<exchange>/<exchange_account_id>`), never a table key. */
export function accountPath(a: { exchange: string; exchange_account_id: string }): string {
  return `/dashboard/accounts/${encodeURIComponent(a.exchange)}/${encodeURIComponent(a.exchange_account_id)}`;
}
