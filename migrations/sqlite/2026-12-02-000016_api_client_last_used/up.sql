-- The day (YYYY-MM-DD, UTC) the client last obtained an access token: commercetools'
-- ApiClient.lastUsedAt. Written at most once a day per client.
ALTER TABLE api_clients ADD COLUMN last_used_at TEXT;
