-- Tokens issued for a shopper: an anonymous session (the anonymous session flow) or a
-- signed-in customer (the password flow). The access token says whose session it is; a
-- refresh token, kept as a hash like every credential, obtains new access tokens for the same
-- session. A customer's tokens go with the customer, a refresh token with its client.
ALTER TABLE access_tokens ADD COLUMN customer_id TEXT REFERENCES resources (id) ON DELETE CASCADE;
ALTER TABLE access_tokens ADD COLUMN anonymous_id TEXT;
-- The hash of the refresh token of the session the access token belongs to: revoking the
-- refresh token (a shopper's logout) ends the session's access tokens too.
ALTER TABLE access_tokens ADD COLUMN session_hash TEXT;
CREATE INDEX access_tokens_by_customer ON access_tokens (customer_id);
CREATE INDEX access_tokens_by_session ON access_tokens (session_hash) WHERE session_hash IS NOT NULL;

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    customer_id TEXT REFERENCES resources (id) ON DELETE CASCADE,
    anonymous_id TEXT,
    -- Pushed back each time the token is used (commercetools' refreshTokenValiditySeconds).
    expires_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_by_customer ON refresh_tokens (customer_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

-- Every anonymous id a session was started with: an id is given to one session only.
CREATE TABLE anonymous_sessions (
    project_key TEXT NOT NULL,
    anonymous_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_key, anonymous_id)
);
