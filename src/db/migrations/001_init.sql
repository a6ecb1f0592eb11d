-- Accounts: metadata only. The integer id never leaves src/accounts' repository layer.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  exchange TEXT NOT NULL,
  exchange_account_id TEXT NOT NULL,
  parent_id INTEGER REFERENCES accounts(id) ON DELETE RESTRICT,
  mode TEXT NOT NULL CHECK (mode IN ('live', 'paper', 'backtest')),
  enabled INTEGER NOT NULL DEFAULT 1,
  limits_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (exchange, exchange_account_id)
);

-- Credentials apart from metadata; AES-256-GCM, account identity as associated data.
CREATE TABLE credentials (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  api_key TEXT NOT NULL,          -- key id (not secret, but still only shown masked)
  iv BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  tag BLOB NOT NULL,
  key_check TEXT NOT NULL,        -- fingerprint of the master key used, to detect a wrong key clearly
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Append-only, hash-chained audit log.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Order projection + the order actor's persisted snapshot, written in one transaction per transition.
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  client_order_id TEXT NOT NULL,
  exchange_order_id TEXT,
  market TEXT NOT NULL,
  side TEXT NOT NULL,
  type TEXT NOT NULL,
  time_in_force TEXT NOT NULL,
  amount TEXT NOT NULL,
  price TEXT,
  status TEXT NOT NULL,
  filled_amount TEXT NOT NULL,
  average_price TEXT,
  fee_total TEXT NOT NULL,
  status_reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  terminal INTEGER NOT NULL DEFAULT 0,
  machine_version INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  UNIQUE (account_id, client_order_id)
);
CREATE INDEX orders_account_status ON orders(account_id, terminal, market);
CREATE INDEX orders_open ON orders(terminal) WHERE terminal = 0;
CREATE INDEX orders_exchange_id ON orders(account_id, exchange_order_id);

CREATE TABLE fills (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  fill_id TEXT NOT NULL,
  order_id TEXT NOT NULL REFERENCES orders(order_id),
  market TEXT NOT NULL,
  side TEXT NOT NULL,
  amount TEXT NOT NULL,
  price TEXT NOT NULL,
  fee TEXT NOT NULL,
  fee_currency TEXT NOT NULL,
  liquidity TEXT NOT NULL,
  at TEXT NOT NULL,
  UNIQUE (account_id, fill_id)
);
CREATE INDEX fills_account_at ON fills(account_id, at);

-- Side effects to perform, written with the snapshot that produced them.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  order_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  done_at TEXT
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at) WHERE status = 'pending';

-- Risk: daily notional per account and UTC day.
CREATE TABLE daily_notional (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  notional TEXT NOT NULL,
  PRIMARY KEY (account_id, day)
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Balances: latest per currency, and history snapshots.
CREATE TABLE balances (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  total TEXT NOT NULL,
  available TEXT NOT NULL,
  reserved TEXT NOT NULL,
  as_of TEXT NOT NULL,
  PRIMARY KEY (account_id, currency)
);
CREATE TABLE balance_snapshots (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  balances_json TEXT NOT NULL
);
CREATE INDEX balance_snapshots_account_at ON balance_snapshots(account_id, at);

CREATE TABLE fees (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  market TEXT NOT NULL,
  maker TEXT NOT NULL,
  taker TEXT NOT NULL,
  as_of TEXT NOT NULL,
  PRIMARY KEY (account_id, market)
);

-- Exchange metadata cache (markets, currencies) and its refresh status.
CREATE TABLE metadata_markets (
  exchange TEXT NOT NULL,
  market TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (exchange, market)
);
CREATE TABLE metadata_currencies (
  exchange TEXT NOT NULL,
  code TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (exchange, code)
);
CREATE TABLE metadata_status (
  exchange TEXT PRIMARY KEY,
  refreshed_at TEXT,
  source TEXT,
  last_error TEXT,
  last_attempt_at TEXT
);

-- The paper exchange's own book-keeping (it is "the exchange" for paper accounts, so it survives
-- a crash of the service independently of the service's order tables).
CREATE TABLE paper_state (
  account_key TEXT PRIMARY KEY,
  state_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Connection actors' snapshots (one per live account).
CREATE TABLE connections (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Backtest sessions.
CREATE TABLE backtests (
  backtest_id TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  config_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);
