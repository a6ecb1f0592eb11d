-- Risk: the daily notional cap counts each quote currency on its own (100 USD and 0.5 BTC of orders
-- on one day are not "100.5"). Rows from before, whose quote is unknown, are kept under quote '*':
-- they count against every quote currency for the rest of their day.
CREATE TABLE daily_notional_by_quote (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  quote TEXT NOT NULL,
  notional TEXT NOT NULL,
  PRIMARY KEY (account_id, day, quote)
);
INSERT INTO daily_notional_by_quote (account_id, day, quote, notional)
  SELECT account_id, day, '*', notional FROM daily_notional;
DROP TABLE daily_notional;
