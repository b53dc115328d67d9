-- What an ApiClientDraft may set: how long its access tokens live, the refresh-token lifetime
-- (kept and shown; the client-credentials grant issues no refresh tokens), and when the client
-- stops working (epoch milliseconds; NULL: never).
ALTER TABLE api_clients ADD COLUMN access_token_validity_seconds BIGINT;
ALTER TABLE api_clients ADD COLUMN refresh_token_validity_seconds BIGINT;
ALTER TABLE api_clients ADD COLUMN delete_at BIGINT;
