DROP TABLE anonymous_sessions;
DROP TABLE refresh_tokens;
ALTER TABLE access_tokens DROP COLUMN anonymous_id;
ALTER TABLE access_tokens DROP COLUMN customer_id;
