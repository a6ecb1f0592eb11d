-- The paper exchange's own books (DESIGN.md "Paper and backtests"). The simulator IS the exchange of
-- a paper account, so its records live apart from the service's orders/fills tables.
-- paper_state (001) holds the small live part, rewritten after every mutation: balances, open
-- orders, counters, PRNG state. Closed orders and all fills go here, written in the same transaction.
CREATE TABLE paper_orders (
  account_key TEXT NOT NULL,          -- account reference "paper:<exchange_account_id>"
  exchange_order_id TEXT NOT NULL,
  client_order_id TEXT,
  state TEXT NOT NULL,
  report_json TEXT NOT NULL,          -- OrderStatusReport with its fills
  updated_at TEXT NOT NULL,
  PRIMARY KEY (account_key, exchange_order_id)
);
CREATE INDEX paper_orders_by_client ON paper_orders (account_key, client_order_id);

CREATE TABLE paper_fills (
  account_key TEXT NOT NULL,
  seq INTEGER NOT NULL,               -- the simulator's fill number: order of execution
  fill_id TEXT NOT NULL,
  at TEXT NOT NULL,
  fill_json TEXT NOT NULL,            -- FillReport
  PRIMARY KEY (account_key, seq)
);
CREATE INDEX paper_fills_by_time ON paper_fills (account_key, at);
