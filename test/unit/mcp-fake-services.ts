/**
 * Small hand-written Services for MCP edge tests: enough behaviour to exercise every tool (accounts,
 * an in-memory order book that fills marketable orders at a fixed price, balances, fees) and to
 * count every mutation, so a test can prove that rejected calls changed nothing.
 */
import type { Account } from '../../src/domain/account.ts';
import { accountRef, parseAccountRef } from '../../src/domain/account.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { Market } from '../../src/domain/market.ts';
import { tickSize, stepSize, validateOrder } from '../../src/domain/market.ts';
import { dec, decStr } from '../../src/domain/money.ts';
import type { FillView, OrderRequest, OrderView } from '../../src/domain/order.ts';
import { isTerminal } from '../../src/domain/order.ts';
import type { BalancesResult, OrderChangeListener, Services } from '../../src/services/ports.ts';
import { bundledMarket } from '../../src/exchanges/bitstamp/metadata.ts';

export const BTCUSD: Market = bundledMarket('btcusd');

export interface FakeServices extends Services {
  /** Number of state-changing calls that reached a service. */
  mutations(): number;
  /** Closes fill: fills every open order of the account at the fixed price. */
  fillAll(account: string): void;
}

export function createFakeServices(opts: { price?: string } = {}): FakeServices {
  const price = opts.price ?? '50000';
  let mutations = 0;
  let seq = 0;
  const now = (): string => new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString();
  const accounts: Account[] = [
    { name: 'paper', exchange: 'paper', exchange_account_id: 'default', mode: 'paper', enabled: true, created_at: now(), updated_at: now(), limits: {} },
    { name: 'main', exchange: 'bitstamp', exchange_account_id: '123456', mode: 'live', enabled: false, created_at: now(), updated_at: now(), limits: { max_order_value: '1000' } },
  ];
  const orders = new Map<string, OrderView>(); // order_id -> order (per account via .account)
  const fills: FillView[] = [];
  const listeners = new Set<OrderChangeListener>();
  const balances = new Map<string, { USD: string; BTC: string }>([['paper:default', { USD: '100000', BTC: '1' }]]);

  const resolve = (ref: string): Account => {
    const p = parseAccountRef(ref);
    const a = 'name' in p ? accounts.find((x) => x.name === p.name) : accounts.find((x) => x.exchange === p.exchange && x.exchange_account_id === p.exchangeAccountId);
    if (!a) throw new DomainError('ACCOUNT_NOT_FOUND', `no account "${ref}"`);
    return a;
  };
  const emit = (a: Account, o: OrderView): void => {
    for (const l of listeners) l(a, o);
  };
  const findOrder = (a: Account, lookup: { order_id?: string; client_order_id?: string }): OrderView => {
    const o = [...orders.values()].find(
      (x) => x.account === a.name && (lookup.order_id !== undefined ? x.order_id === lookup.order_id : x.client_order_id === lookup.client_order_id),
    );
    if (!o) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
    return o;
  };
  const fill = (a: Account, o: OrderView): void => {
    const fillPrice = o.price ?? price;
    const f: FillView = {
      fill_id: `F${++seq}`,
      order_id: o.order_id,
      market: o.market,
      side: o.side,
      amount: o.amount,
      price: fillPrice,
      fee: decStr(dec(o.amount).times(fillPrice).times('0.004')),
      fee_currency: 'USD',
      liquidity: 'taker',
      at: now(),
    };
    fills.push(f);
    Object.assign(o, { status: 'filled', filled_amount: o.amount, average_price: fillPrice, fee_total: f.fee, updated_at: now() });
    const b = balances.get(accountRef(a));
    if (b) {
      const sign = o.side === 'buy' ? 1 : -1;
      b.BTC = decStr(dec(b.BTC).plus(dec(o.amount).times(sign)));
      b.USD = decStr(dec(b.USD).minus(dec(o.amount).times(fillPrice).times(sign)).minus(f.fee));
    }
    emit(a, o);
  };
  const balanceView = (ref: string) => {
    const b = balances.get(ref) ?? { USD: '0', BTC: '0' };
    return [
      { currency: 'BTC', total: b.BTC, available: b.BTC, reserved: '0' },
      { currency: 'USD', total: b.USD, available: b.USD, reserved: '0' },
    ];
  };
  const snapshots: { ref: string; at: string; balances: ReturnType<typeof balanceView> }[] = [];
  const market = (exchange: string, m: string): Market => {
    if (exchange !== 'paper' && exchange !== 'bitstamp') throw new DomainError('INVALID_ARGUMENT', 'unknown exchange');
    if (m !== 'btcusd') throw new DomainError('MARKET_NOT_FOUND', `no market ${m}`);
    return BTCUSD;
  };

  const services: FakeServices = {
    mutations: () => mutations,
    fillAll(ref) {
      const a = resolve(ref);
      for (const o of orders.values()) if (o.account === a.name && !isTerminal(o.status)) fill(a, o);
    },
    accounts: {
      list: (f) => accounts.filter((a) => (f?.exchange === undefined || a.exchange === f.exchange) && (f?.enabled === undefined || a.enabled === f.enabled)),
      get: (ref) => ({ ...resolve(ref), has_credentials: false, api_key_hint: 'abcd…wxyz', last_balance_at: snapshots.at(-1)?.at }),
      create: () => { throw new Error('not in fake'); },
      update: () => { throw new Error('not in fake'); },
      setEnabled: () => { throw new Error('not in fake'); },
      setLimits: () => { throw new Error('not in fake'); },
      remove: () => { throw new Error('not in fake'); },
      setCredentials: () => { throw new Error('not in fake'); },
      setCredentialsChecked: () => { throw new Error('not in fake'); },
      forgetCredentials: () => { throw new Error('not in fake'); },
      setGlobalKillSwitch: () => { throw new Error('not in fake'); },
      globalKillSwitch: () => false,
      listDetails(f) {
        return services.accounts.list(f).map((a) => services.accounts.get(a.name));
      },
    },
    orders: {
      riskUsage(ref) {
        const a = resolve(ref);
        return { day: '2026-01-01', open_orders: [...orders.values()].filter((o) => o.account === a.name && o.status === 'open').length, daily_notional: [] };
      },
      async placeOrder(ref, req: OrderRequest, actor) {
        const before = mutations;
        const order = await this.place(ref, req, actor);
        return { order, replayed: mutations === before };
      },
      async place(ref, req: OrderRequest) {
        const a = resolve(ref);
        if (!a.enabled) throw new DomainError('ACCOUNT_DISABLED', `account ${a.name} is disabled`);
        const problems = validateOrder(market(a.exchange, req.market), req, { referencePrice: price });
        if (problems[0]) throw new DomainError(problems[0].code, problems[0].message);
        if (req.client_order_id !== undefined) {
          const existing = [...orders.values()].find((o) => o.account === a.name && o.client_order_id === req.client_order_id);
          if (existing) return existing;
        }
        mutations++;
        seq++;
        const o: OrderView = {
          order_id: `O${String(seq).padStart(6, '0')}`,
          client_order_id: req.client_order_id ?? `gen-${seq}`,
          account: a.name,
          market: req.market,
          side: req.side,
          type: req.type,
          time_in_force: req.time_in_force ?? 'gtc',
          amount: req.amount,
          ...(req.price !== undefined ? { price: req.price } : {}),
          status: 'open',
          filled_amount: '0',
          fee_total: '0',
          created_at: now(),
          updated_at: now(),
        };
        orders.set(o.order_id, o);
        emit(a, o);
        const marketable = req.type !== 'limit' || (req.side === 'buy' ? dec(req.price!).gte(price) : dec(req.price!).lte(price));
        if (marketable) fill(a, o);
        return { ...o };
      },
      async preview(ref, req) {
        const a = resolve(ref);
        const problems = validateOrder(market(a.exchange, req.market), req, { referencePrice: price });
        const notional = decStr(dec(req.amount).times(req.price ?? price));
        return { valid: problems.length === 0, problems, normalized: { ...req, time_in_force: req.time_in_force ?? 'gtc' }, estimated_notional: notional, estimated_fee: decStr(dec(notional).times('0.004')) };
      },
      async cancel(ref, lookup) {
        const a = resolve(ref);
        const o = findOrder(a, lookup);
        if (isTerminal(o.status)) throw new DomainError('ORDER_NOT_CANCELLABLE', `order is ${o.status}`);
        mutations++;
        Object.assign(o, { status: 'cancelled', updated_at: now() });
        emit(a, o);
        return { ...o };
      },
      async cancelAll(ref, m) {
        const a = resolve(ref);
        mutations++;
        const ids: string[] = [];
        for (const o of orders.values())
          if (o.account === a.name && !isTerminal(o.status) && (m === undefined || o.market === m)) {
            Object.assign(o, { status: 'cancelled' });
            ids.push(o.order_id);
            emit(a, o);
          }
        return ids;
      },
      get: (ref, lookup) => ({ ...findOrder(resolve(ref), lookup) }),
      list(ref, f) {
        const a = resolve(ref);
        const status = f.status ?? 'open';
        return [...orders.values()]
          .filter((o) => o.account === a.name && (status === 'all' || (status === 'open') === !isTerminal(o.status)) && (f.market === undefined || o.market === f.market))
          .reverse()
          .slice(0, f.limit ?? 100)
          .map((o) => ({ ...o }));
      },
      listAll: () => [...orders.values()],
      // One page, no cursor: paging itself is tested against the real app.
      listPage: (ref, f) => ({ orders: services.orders.list(ref, f) }),
      listFillsPage: (ref, f) => ({ fills: services.orders.listFills(ref, f) }),
      listFills(ref, f) {
        const a = resolve(ref);
        const own = new Set([...orders.values()].filter((o) => o.account === a.name).map((o) => o.order_id));
        return fills.filter((x) => own.has(x.order_id) && (f.market === undefined || x.market === f.market)).slice(0, f.limit ?? 100);
      },
      onOrderChange(l) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    },
    markets: {
      listExchanges: () => [
        { id: 'bitstamp', name: 'Bitstamp', live: true, paper: false },
        { id: 'paper', name: 'Paper (simulated Bitstamp)', live: false, paper: true },
      ],
      listMarkets: (exchange, f) => [market(exchange, 'btcusd')].filter((m) => (f?.base === undefined || m.base === f.base) && (f?.quote === undefined || m.quote === f.quote)),
      getMarket: (exchange, m) => ({ ...market(exchange, m), tick_size: tickSize(BTCUSD), step_size: stepSize(BTCUSD) }),
      listCurrencies: () => [
        { code: 'BTC', name: 'Bitcoin', decimals: 8, type: 'crypto', enabled: true },
        { code: 'USD', name: 'US Dollar', decimals: 2, type: 'fiat', enabled: true },
      ],
      refresh: async () => { throw new Error('not in fake'); },
      status: () => [],
    },
    balances: {
      async get(ref, refresh) {
        const a = resolve(ref);
        const r = accountRef(a);
        if (refresh || !snapshots.some((s) => s.ref === r)) {
          mutations++;
          snapshots.push({ ref: r, at: now(), balances: balanceView(r) });
        }
        const last = snapshots.filter((s) => s.ref === r).at(-1)!;
        return { account: a.name, as_of: last.at, balances: last.balances };
      },
      history(ref, f) {
        const r = accountRef(resolve(ref));
        return {
          snapshots: snapshots
            .filter((s) => s.ref === r)
            .slice(-(f.limit ?? 100))
            .map((s) => ({ at: s.at, balances: s.balances.filter((b) => f.currency === undefined || b.currency === f.currency) })),
        };
      },
      async snapshot(ref) {
        const r = accountRef(resolve(ref));
        mutations++;
        snapshots.push({ ref: r, at: now(), balances: balanceView(r) });
      },
      latestForAll() {
        const out = new Map<string, BalancesResult>();
        for (const s of snapshots) out.set(s.ref, { account: resolve(s.ref).name, as_of: s.at, balances: s.balances });
        return out;
      },
    },
    fees: {
      async get(ref, m) {
        resolve(ref);
        const all = [{ market: 'btcusd', maker: '0.003', taker: '0.004' }];
        if (m === undefined) return { fees: all };
        const one = all.filter((f) => f.market === m);
        if (one.length === 0) throw new DomainError('MARKET_NOT_FOUND', `no fee for ${m}`);
        return { fees: one };
      },
    },
    positions: {
      async get(ref) {
        return { account: resolve(ref).name, as_of: now(), positions: [] };
      },
    },
    backtests: {
      create: async () => { mutations++; return { backtest_id: 'BT1', account: 'backtest-1', clock: now(), markets: ['btcusd'] }; },
      advance: async () => { mutations++; return { clock: now(), events_processed: 0, done: true, fills: [] }; },
      hasSession: () => true,
      report: async () => ({ backtest_id: 'BT1', clock: now(), balances: [], fills: [], fees_paid: {}, pnl: { quote_currency: 'USD', value: '0' }, pnl_by_currency: { USD: '0' }, equity_curve: [], digest: '0'.repeat(64) }),
    },
    audit: { page: () => [], verify: () => ({ ok: true, rows: 0 }) },
    status: { connections: () => [], quarantinedFills: () => [], metadata: () => [], ready: () => ({ ready: true, checks: {} }), storeVersion: () => String(mutations) },
    history: {
      order: () => { throw new Error('not in fake'); },
      orders: () => ({ items: [] }),
      fills: () => ({ items: [] }),
      audit: () => ({ items: [] }),
      balances: () => ({ items: [] }),
    },
  };
  return services;
}
