-- The dashboard's order page reads every audit row of one order (subject = order_id): an index
-- range instead of a scan of the whole log.
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
