ALTER TABLE api_clients DROP COLUMN delete_at;
ALTER TABLE api_clients DROP COLUMN refresh_token_validity_seconds;
ALTER TABLE api_clients DROP COLUMN access_token_validity_seconds;
