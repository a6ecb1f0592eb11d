/**
 * Small in-memory Services for the dashboard tests and the bench (no SQLite, no exchange):
 * faithful enough in the parts the web layer relies on (references, validation errors with
 * details.fields, refusal to delete with open orders, audit rows per change).
 */
import { ACCOUNT_MODES, EXCHANGES, accountNameSchema, exchangeAccountIdSchema, accountRef, riskLimitsSchema } from '../../src/domain/account.ts';
import type { Account, RiskLimits } from '../../src/domain/account.ts';
import { ManualClock, isoAt } from '../../src/domain/clock.ts';
import { DomainError, invalidArgumentFromIssues } from '../../src/domain/errors.ts';
import type { OrderRequest, OrderView } from '../../src/domain/order.ts';
import { OPEN_STATUSES } from '../../src/domain/order.ts';
import type {
  AccountDetail, AccountInput, AccountPatch, AuditEntryView, BalanceView, BalancesResult, MetadataStatus, Services,
} from '../../src/services/ports.ts';
import { fakeHistory } from './web-fake-history.ts';

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID_ARGUMENT', message, { fields: [field] });
}

export interface FakeServices extends Services {
  clock: ManualClock;
  /** Test hooks. */
  addSnapshot(ref: string, balances: BalanceView[]): void;
  secretsSeen: string[];
}

export function createFakeServices(clock = new ManualClock(Date.UTC(2026, 0, 15, 12))): FakeServices {
  const accounts = new Map<string, Account>(); // by ref
  const creds = new Map<string, { set_at: string }>();
  const orders: OrderView[] = [];
  const snapshots = new Map<string, { at: string; balances: BalanceView[] }[]>();
  const audit: AuditEntryView[] = [];
  let storeVersion = 0;
  const secretsSeen: string[] = [];
  let killSwitch = false;
  let seq = 0;
  const metadata: MetadataStatus = { exchange: 'bitstamp', source: 'bundled-snapshot', refreshed_at: isoAt(clock.now()), markets: 3, currencies: 4 };
  const now = () => isoAt(clock.now());
  const log = (actor: string, action: string, subject: string, payload: Record<string, unknown>) => {
    audit.push({ seq: ++seq, at: now(), actor, action, subject, payload });
  };
  const resolve = (ref: string): Account => {
    const byRef = accounts.get(ref);
    if (byRef) return byRef;
    for (const a of accounts.values()) if (a.name === ref) return a;
    throw new DomainError('ACCOUNT_NOT_FOUND', `no account "${ref}"; use a name or <exchange>:<exchange_account_id>`);
  };
  const detailOf = (a: Account): AccountDetail => {
    const c = creds.get(accountRef(a));
    const snaps = snapshots.get(accountRef(a)) ?? [];
    const d: AccountDetail = { ...a, has_credentials: c !== undefined };
    if (c) d.credentials_set_at = c.set_at;
    const last = snaps[snaps.length - 1];
    if (last) d.last_balance_at = last.at;
    return d;
  };
  const openCount = (ref: string) => orders.filter((o) => o.account === ref && OPEN_STATUSES.has(o.status)).length;

  const services: FakeServices = {
    clock,
    secretsSeen,
    addSnapshot(ref, balances) {
      const list = snapshots.get(ref) ?? [];
      list.push({ at: now(), balances });
      snapshots.set(ref, list);
    },
    accounts: {
      list: () => [...accounts.values()],
      listDetails: () => [...accounts.values()].map(detailOf),
      get: (ref) => detailOf(resolve(ref)),
      create(input: AccountInput, actor) {
        const issues: { path: string[]; message: string }[] = [];
        if (!accountNameSchema.safeParse(input.name).success) issues.push({ path: ['name'], message: 'must start with a letter or digit' });
        if (!(EXCHANGES as readonly string[]).includes(input.exchange)) issues.push({ path: ['exchange'], message: 'must be bitstamp or paper' });
        if (!exchangeAccountIdSchema.safeParse(input.exchange_account_id).success) issues.push({ path: ['exchange_account_id'], message: 'bad id' });
        if (issues.length) throw invalidArgumentFromIssues(issues);
        if ([...accounts.values()].some((a) => a.name.toLowerCase() === input.name.toLowerCase())) throw invalid('name', `an account named ${input.name} already exists`);
        const ref = `${input.exchange}:${input.exchange_account_id}`;
        if (accounts.has(ref)) throw invalid('exchange_account_id', `an account for ${ref} already exists`);
        const mode = input.mode ?? (input.exchange === 'paper' ? 'paper' : 'live');
        if (input.exchange === 'bitstamp' && mode !== 'live') throw invalid('mode', `mode ${mode} is not allowed on exchange bitstamp; allowed: live`);
        if (input.parent !== undefined && !accounts.has(input.parent)) throw invalid('parent', `parent account "${input.parent}" does not exist`);
        const a: Account = {
          name: input.name, exchange: input.exchange, exchange_account_id: input.exchange_account_id, mode,
          enabled: input.enabled ?? true, created_at: now(), updated_at: now(), limits: input.limits ?? {},
          ...(input.parent ? { parent: input.parent } : {}),
        };
        accounts.set(ref, a);
        log(actor, 'account.create', ref, { name: a.name });
        if (input.initial_balances) services.addSnapshot(ref, Object.entries(input.initial_balances).map(([currency, total]) => ({ currency, total, available: total, reserved: '0' })));
        return a;
      },
      update(ref, patch: AccountPatch, actor) {
        const a = resolve(ref);
        if (patch.name !== undefined && !accountNameSchema.safeParse(patch.name).success) throw invalid('name', 'must start with a letter or digit');
        if (patch.mode !== undefined && !(ACCOUNT_MODES as readonly string[]).includes(patch.mode)) throw invalid('mode', 'bad mode');
        if (a.exchange === 'bitstamp' && patch.mode !== undefined && patch.mode !== 'live') throw invalid('mode', `mode ${patch.mode} is not allowed on exchange bitstamp; allowed: live`);
        const next: Account = { ...a, updated_at: now() };
        if (patch.name !== undefined) next.name = patch.name;
        if (patch.mode !== undefined) next.mode = patch.mode;
        if (patch.enabled !== undefined) next.enabled = patch.enabled;
        if (patch.require_confirmation === true) next.require_confirmation = true;
        if (patch.require_confirmation === false) delete next.require_confirmation;
        if (patch.parent !== undefined) { if (patch.parent === '') delete next.parent; else next.parent = patch.parent; }
        let key = accountRef(a);
        if (patch.exchange_account_id !== undefined) {
          accounts.delete(key);
          next.exchange_account_id = patch.exchange_account_id;
          key = accountRef(next);
        }
        accounts.set(key, next);
        log(actor, 'account.update', key, { changes: patch });
        return next;
      },
      setEnabled(ref, enabled, actor) {
        const a = resolve(ref);
        const next = { ...a, enabled };
        accounts.set(accountRef(a), next);
        log(actor, enabled ? 'account.enable' : 'account.disable', accountRef(a), {});
        return next;
      },
      setLimits(ref, limits: RiskLimits, actor) {
        const parsed = riskLimitsSchema.safeParse(limits);
        if (!parsed.success) throw invalidArgumentFromIssues(parsed.error.issues);
        const a = resolve(ref);
        const next = { ...a, limits: parsed.data };
        accounts.set(accountRef(a), next);
        log(actor, 'account.limits', accountRef(a), { limits: parsed.data });
        return next;
      },
      remove(ref, actor) {
        const a = resolve(ref);
        const open = openCount(accountRef(a));
        if (open > 0) throw invalid('account', `account ${a.name} (${accountRef(a)}) has ${open} open orders; cancel them first`);
        accounts.delete(accountRef(a));
        creds.delete(accountRef(a));
        log(actor, 'account.remove', accountRef(a), {});
      },
      setCredentials(ref, c, actor) {
        const a = resolve(ref);
        if (a.exchange === 'paper') throw invalid('api_key', `${accountRef(a)} is a paper account: it takes no API credentials`);
        secretsSeen.push(c.api_secret);
        creds.set(accountRef(a), { set_at: now() });
        log(actor, 'account.credentials.set', accountRef(a), { replaced: false });
      },
      async setCredentialsChecked(ref, c, actor) {
        this.setCredentials(ref, c, actor);
        return { verified: false, message: 'not verified: fake services do not ask an exchange' };
      },
      forgetCredentials(ref, actor) {
        const refs = (ref === undefined ? [...accounts.values()] : [resolve(ref)]).map(accountRef).filter((r) => creds.delete(r));
        for (const r of refs) log(actor, 'account.credentials.forgotten', r, {});
        return refs;
      },
      setGlobalKillSwitch(on, actor) {
        killSwitch = on;
        log(actor, on ? 'kill_switch.on' : 'kill_switch.off', 'global', {});
      },
      globalKillSwitch: () => killSwitch,
    },
    orders: {
      riskUsage: () => ({ day: '2026-01-01', open_orders: 0, daily_notional: [] }),
      async placeOrder(account, req: OrderRequest, actor) {
        return { order: await this.place(account, req, actor), replayed: false };
      },
      async place(account, req: OrderRequest, actor) {
        const a = resolve(account);
        if (killSwitch || a.limits.kill_switch) throw new DomainError('RISK_LIMIT', 'kill switch is on');
        const o: OrderView = {
          order_id: `01ORDER${String(orders.length).padStart(19, '0')}`, client_order_id: req.client_order_id ?? `c${orders.length}`,
          account: accountRef(a), market: req.market, side: req.side, type: req.type, time_in_force: req.time_in_force ?? 'gtc',
          amount: req.amount, status: 'open', filled_amount: '0', fee_total: '0', created_at: now(), updated_at: now(),
          ...(req.price ? { price: req.price } : {}),
        };
        orders.push(o);
        log(actor, 'order.place', accountRef(a), { order_id: o.order_id });
        return o;
      },
      preview: async () => ({ valid: true, problems: [], normalized: {} }),
      async cancel(account, lookup, actor) {
        const o = orders.find((x) => x.account === accountRef(resolve(account)) && (x.order_id === lookup.order_id || x.client_order_id === lookup.client_order_id));
        if (!o) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
        if (!OPEN_STATUSES.has(o.status)) throw new DomainError('ORDER_NOT_CANCELLABLE', `order ${o.order_id} is ${o.status}`);
        o.status = 'cancelled';
        log(actor, 'order.cancel', o.account, { order_id: o.order_id });
        return o;
      },
      async cancelAll(account, _market, actor) {
        const ref = accountRef(resolve(account));
        const live = orders.filter((x) => x.account === ref && OPEN_STATUSES.has(x.status));
        for (const o of live) {
          o.status = 'cancelled';
          log(actor, 'order.cancel', ref, { order_id: o.order_id });
        }
        return live.map((o) => o.order_id);
      },
      get(account, lookup) {
        const o = orders.find((x) => x.account === accountRef(resolve(account)) && (x.order_id === lookup.order_id || x.client_order_id === lookup.client_order_id));
        if (!o) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
        return o;
      },
      list(account, filter) {
        return services.orders.listAll({ ...filter, account });
      },
      listPage: (account, filter) => ({ orders: services.orders.list(account, filter) }),
      listFillsPage: (account, filter) => ({ fills: services.orders.listFills(account, filter) }),
      listAll(filter) {
        const ref = filter.account === undefined ? undefined : accountRef(resolve(filter.account));
        return orders
          .filter((o) => ref === undefined || o.account === ref)
          .filter((o) => filter.market === undefined || o.market === filter.market)
          .filter((o) => filter.status !== 'open' || OPEN_STATUSES.has(o.status))
          .filter((o) => filter.status !== 'closed' || !OPEN_STATUSES.has(o.status))
          .filter((o) => filter.statuses === undefined || filter.statuses.includes(o.status))
          .slice()
          .reverse()
          .slice(0, filter.limit ?? 100);
      },
      listFills: () => [],
      onOrderChange: () => () => undefined,
    },
    markets: {
      listExchanges: () => [
        { id: 'bitstamp', name: 'Bitstamp', live: true, paper: false },
        { id: 'paper', name: 'Paper', live: false, paper: true },
      ],
      listMarkets: () => [],
      getMarket: () => { throw new DomainError('MARKET_NOT_FOUND', 'none'); },
      listCurrencies: () => [],
      async refresh(exchange) {
        metadata.last_attempt_at = now();
        metadata.refreshed_at = now();
        metadata.source = 'network';
        log('dashboard:admin', 'metadata.refresh', exchange, {});
        return { ...metadata };
      },
      status: () => [{ ...metadata }],
    },
    balances: {
      async get(account) {
        const a = resolve(account);
        const snaps = snapshots.get(accountRef(a)) ?? [];
        const last = snaps[snaps.length - 1];
        return { account: accountRef(a), as_of: last?.at ?? now(), balances: last?.balances ?? [] };
      },
      history(account, filter) {
        const snaps = snapshots.get(accountRef(resolve(account))) ?? [];
        return {
          snapshots: snaps
            .map((s) => ({ at: s.at, balances: s.balances.filter((b) => filter.currency === undefined || b.currency === filter.currency) }))
            .slice(-(filter.limit ?? 100)),
        };
      },
      snapshot: async () => undefined,
      latestForAll() {
        const out = new Map<string, BalancesResult>();
        for (const [ref, snaps] of snapshots) {
          const last = snaps[snaps.length - 1];
          if (last && accounts.has(ref)) out.set(ref, { account: ref, as_of: last.at, balances: last.balances });
        }
        return out;
      },
    },
    fees: { get: async () => ({ fees: [] }) },
    positions: { get: async () => { throw new DomainError('INTERNAL', 'not in the fake'); } },
    backtests: {
      create: async () => { throw new DomainError('INTERNAL', 'not in the fake'); },
      advance: async () => { throw new DomainError('INTERNAL', 'not in the fake'); },
      report: async () => { throw new DomainError('INTERNAL', 'not in the fake'); },
      hasSession: () => false,
    },
    audit: {
      page({ before, limit }) {
        return audit.filter((e) => before === undefined || e.seq < before).slice().reverse().slice(0, limit ?? 50);
      },
      verify: () => ({ ok: true, rows: audit.length }),
    },
    status: {
      connections: () => [...accounts.values()].filter((a) => a.exchange === 'bitstamp' && a.enabled).map((a) => ({ account: accountRef(a), state: 'idle', since: now(), channels: 6 })),
      quarantinedFills: () => [],
      metadata: () => [{ ...metadata }],
      ready: () => ({ ready: true, checks: { db: true, migrations: true, actors: true } }),
      // The fake keeps no change counter: a new value on every call, so nothing is ever reused.
      storeVersion: () => String(++storeVersion),
    },
    history: fakeHistory({ orders, audit, snapshots, resolve }),
  };
  return services;
}
