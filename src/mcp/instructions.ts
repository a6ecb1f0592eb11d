/** Server instructions: what an LLM client reads first (MCP `initialize` result). */
import { ERROR_CODES, type ErrorCode } from '../domain/errors.ts';

const ERROR_MEANINGS: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'an argument is missing, unknown or malformed; the message names the field and what is allowed',
  ACCOUNT_NOT_FOUND: 'no account with that name or "<exchange>:<exchange_account_id>"; call list_accounts',
  ACCOUNT_DISABLED: 'the account is disabled by the operator; nothing can be sent for it',
  NO_CREDENTIALS: 'the live account has no API credentials yet; only the operator can set them (never via MCP)',
  MARKET_NOT_FOUND: 'unknown market id (use list_markets), or no fee entry for it',
  MARKET_DISABLED: 'trading, or market/instant orders, are disabled on that market',
  PRECISION_VIOLATION: 'amount or price has more decimals than the market allows (see get_market_rules)',
  BELOW_MINIMUM: 'order value (amount x price) is below the market minimum in quote currency',
  INSUFFICIENT_FUNDS: 'not enough available balance',
  RISK_LIMIT: 'blocked by a risk cap (max order value, max open orders, daily notional, allowed markets) or a kill switch',
  ORDER_NOT_FOUND: 'no such order_id / client_order_id on that account',
  ORDER_NOT_CANCELLABLE: 'the order is already filled, cancelled, rejected or expired',
  EXCHANGE_UNAVAILABLE: 'the exchange could not be reached; the request was NOT sent; retrying later is safe',
  EXCHANGE_REJECTED: 'the exchange refused the request; the message has its reason',
  RATE_LIMITED: 'too many requests to the exchange; wait and retry',
  OUTCOME_UNKNOWN:
    'the request may or may not have reached the exchange; do NOT place a new order, check get_order by client_order_id (the server reconciles it)',
  CLIENT_ORDER_ID_CONFLICT: 'that client_order_id is already used on the account by an order with other parameters (details.existing_order); use a new id, or resend the same parameters to get the existing order',
  CONFIRMATION_REQUIRED: 'the account requires a human to confirm each order and this client cannot ask (no elicitation capability); nothing was placed',
  CONFIRMATION_DECLINED: 'the human declined or dismissed the order confirmation (details.action); nothing was placed; do not retry unasked',
  INTERNAL: 'a server bug; the server log has details',
};

export function serverInstructions(readOnly: boolean): string {
  const lines = [
    'exec-mcp is the execution layer of a crypto trading stack: accounts, balances, fees, market rules and orders on Bitstamp (live) and a deterministic paper simulator. It does not provide prices or strategy.',
    '',
    'Accounts: every tool with an `account` argument takes the account name (e.g. "paper") or "<exchange>:<exchange_account_id>" (e.g. "bitstamp:123456", "paper:default"). list_accounts shows them.',
    'Numbers: amounts, prices and fees are DECIMAL STRINGS ("0.01", "50000.5"), or JSON numbers that convert exactly (no exponent, at most 15 significant digits); strings are safest. Amount is in base currency, price in quote currency; respect price_decimals/amount_decimals and min_order_value from get_market_rules. Timestamps are ISO-8601 UTC.',
  ];
  if (readOnly)
    lines.push('', 'This session is READ-ONLY: the tools that place or cancel orders and run backtests are not available.');
  else
    lines.push(
      '',
      'Orders: call preview_order first (it sends nothing and lists every problem). Always give place_order a client_order_id that you generate: re-sending it returns the existing order instead of placing a second one, so retries are safe. Follow an order with get_order, or subscribe to the resource orders://<account>/open (account URL-encoded, e.g. orders://paper%3Apaper/open) to be notified whenever one of the account\'s orders changes; fills://<account>/recent (its last 100 fills) notifies on every fill.',
      'Backtests: backtest_create makes a backtest account; use it with the order tools, move time with backtest_advance, then read backtest_report.',
    );
  lines.push(
    '',
    'Errors come back as isError results with structuredContent {error: {code, message, details?}}. Codes:',
    ...ERROR_CODES.map((c) => `- ${c}: ${ERROR_MEANINGS[c]}`),
  );
  return lines.join('\n');
}
