-- Reads of the dashboard's history pages, each an index range instead of a scan:
-- the order page (every audit row and fill of one order) and the fills page across accounts
-- (newest first; the rowid, the tie-break of the page cursor, is part of every index).
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
CREATE INDEX fills_order ON fills(order_id);
CREATE INDEX fills_at ON fills(at);
