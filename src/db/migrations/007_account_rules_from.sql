-- Account setting rules_from: a paper account takes its market rules (precision, minimums) from this
-- enabled exchange's cached metadata instead of Bitstamp's. NULL = Bitstamp (the behaviour before).
ALTER TABLE accounts ADD COLUMN rules_from TEXT;
