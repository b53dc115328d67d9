ALTER TABLE api_clients DROP COLUMN last_used_at;
