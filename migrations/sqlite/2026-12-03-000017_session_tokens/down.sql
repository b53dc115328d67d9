DROP TABLE anonymous_sessions;
DROP TABLE refresh_tokens;
DROP INDEX access_tokens_by_session;
DROP INDEX access_tokens_by_customer;
ALTER TABLE access_tokens DROP COLUMN session_hash;
ALTER TABLE access_tokens DROP COLUMN anonymous_id;
ALTER TABLE access_tokens DROP COLUMN customer_id;
