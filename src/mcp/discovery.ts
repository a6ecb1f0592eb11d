/** Discovery tools (read-only): exchanges, accounts, balances, fees, currencies, markets, preview_order. */
import { accountRef, type Account } from '../domain/account.ts';
import type { Services } from '../services/ports.ts';
import {
  balanceHistoryOutput,
  balancesOutput,
  currenciesOutput,
  feesOutput,
  getAccountOutput,
  listAccountsOutput,
  listExchangesOutput,
  marketRulesOutput,
  marketsOutput,
  previewOutput,
} from './output-schemas.ts';
import {
  accountOnlyInput,
  getBalanceHistoryInput,
  getBalancesInput,
  getFeesInput,
  getMarketRulesInput,
  listAccountsInput,
  listCurrenciesInput,
  listExchangesInput,
  listMarketsInput,
  placeOrderInput,
} from './schemas.ts';
import { defineTool, type ToolRegistry } from './tool-registry.ts';
import { splitOrderArgs } from './orders.ts';

const LOCAL_READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
/** Reads that may contact the exchange (refresh from the adapter). */
const REMOTE_READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

/** The public account fields, picked explicitly so nothing else can leak. */
export function publicAccount(a: Account): Omit<Account, 'limits'> {
  return {
    name: a.name,
    exchange: a.exchange,
    exchange_account_id: a.exchange_account_id,
    ...(a.parent !== undefined ? { parent: a.parent } : {}),
    mode: a.mode,
    enabled: a.enabled,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export function registerDiscoveryTools(reg: ToolRegistry, services: Services): void {
  reg.add(
    defineTool({
      name: 'list_exchanges',
      title: 'List exchanges',
      description: 'Lists the exchanges this server can trade on. "paper" is a simulator with the same markets, precision and minimums as live Bitstamp.',
      input: listExchangesInput,
      output: listExchangesOutput,
      annotations: LOCAL_READ,
      handler: () => ({ exchanges: services.markets.listExchanges() }),
    }),
  );
  reg.add(
    defineTool({
      name: 'list_accounts',
      title: 'List accounts',
      description:
        'Lists trading accounts. Use an account\'s `name`, or "<exchange>:<exchange_account_id>", as the `account` argument of every other tool. Backtests whose session ended (restart, or evicted for newer ones) only with include_ended.',
      input: listAccountsInput,
      output: listAccountsOutput,
      annotations: LOCAL_READ,
      handler: ({ mode, include_ended, ...filter }) => ({
        accounts: services.accounts
          .list(filter)
          .filter((a) => (mode === undefined || a.mode === mode) && (include_ended === true || a.mode !== 'backtest' || services.backtests.hasSession(accountRef(a))))
          .map(publicAccount),
      }),
    }),
  );
  reg.add(
    defineTool({
      name: 'get_account',
      title: 'Get account',
      description: 'One account with whether credentials are set (never the credentials), its risk limits, and when balances were last fetched.',
      input: accountOnlyInput,
      output: getAccountOutput,
      annotations: LOCAL_READ,
      handler: (a) => {
        const d = services.accounts.get(a.account);
        return {
          ...publicAccount(d),
          has_credentials: d.has_credentials,
          ...(d.credentials_set_at !== undefined ? { credentials_set_at: d.credentials_set_at } : {}),
          limits: d.limits,
          require_confirmation: d.require_confirmation === true,
          ...(d.last_balance_at !== undefined ? { last_balance_at: d.last_balance_at } : {}),
        };
      },
    }),
  );
  reg.add(
    defineTool({
      name: 'get_balances',
      title: 'Get balances',
      description:
        'Balances per currency (total = available + reserved in open orders), as decimal strings. Current after every order placed, cancelled or filled through this server; refresh also re-asks a live exchange (at most every 5 s). as_of: when they were read.',
      input: getBalancesInput,
      output: balancesOutput,
      annotations: REMOTE_READ,
      handler: (a) => services.balances.get(a.account, a.refresh ?? false),
    }),
  );
  reg.add(
    defineTool({
      name: 'get_balance_history',
      title: 'Get balance history',
      description:
        'Recorded balance snapshots (taken on a schedule and after fills), oldest first: the most recent `limit` (default 100, max 1000) within since/until. currency keeps only that currency in each snapshot.',
      input: getBalanceHistoryInput,
      output: balanceHistoryOutput,
      annotations: LOCAL_READ,
      handler: ({ account, ...filter }) => services.balances.history(account, filter),
    }),
  );
  reg.add(
    defineTool({
      name: 'get_fees',
      title: 'Get fees',
      description: 'Maker and taker fee fractions per market for an account (e.g. "0.003" = 0.3%). With market, only that market (MARKET_NOT_FOUND if it has none).',
      input: getFeesInput,
      output: feesOutput,
      annotations: REMOTE_READ,
      handler: (a) => services.fees.get(a.account, a.market),
    }),
  );
  reg.add(
    defineTool({
      name: 'list_currencies',
      title: 'List currencies',
      description: 'Currencies of an exchange with their decimals.',
      input: listCurrenciesInput,
      output: currenciesOutput,
      annotations: LOCAL_READ,
      handler: (a) => ({ currencies: services.markets.listCurrencies(a.exchange) }),
    }),
  );
  reg.add(
    defineTool({
      name: 'list_markets',
      title: 'List markets',
      description:
        'Markets of an exchange with their precision (price_decimals, amount_decimals), minimum order value in quote currency, and whether trading and market/instant orders are enabled.',
      input: listMarketsInput,
      output: marketsOutput,
      annotations: LOCAL_READ,
      handler: ({ exchange, ...filter }) => ({ markets: services.markets.listMarkets(exchange, filter) }),
    }),
  );
  reg.add(
    defineTool({
      name: 'get_market_rules',
      title: 'Get market rules',
      description: 'One market\'s rules plus tick_size (smallest price step) and step_size (smallest amount step). Check these before placing an order.',
      input: getMarketRulesInput,
      output: marketRulesOutput,
      annotations: LOCAL_READ,
      handler: (a) => services.markets.getMarket(a.exchange, a.market),
    }),
  );
  reg.add(
    defineTool({
      name: 'preview_order',
      title: 'Preview order',
      description:
        'Checks place_order arguments against market rules, risk limits and balances WITHOUT sending anything (paper/backtest: by the venue rules): valid, every problem with its error code, the normalized order, estimated notional and fee.',
      input: placeOrderInput,
      output: previewOutput,
      // May fetch a reference price, the fee schedule and (for a live account with none cached) the balances from outside.
      annotations: REMOTE_READ,
      handler: (a) => {
        const { account, request } = splitOrderArgs(a);
        return services.orders.preview(account, request);
      },
    }),
  );
}
