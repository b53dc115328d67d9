-- API clients and their access tokens. Secrets and tokens are stored only as SHA-256 hashes.
CREATE TABLE api_clients (
    id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_clients_by_project ON api_clients (project_key, created_at);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_by_client ON access_tokens (client_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
