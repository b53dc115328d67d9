-- Tokens issued for a shopper: an anonymous session (the anonymous token flow) or, later, a
-- signed-in customer. The access token says whose session it is; a refresh token, kept as a
-- hash like every credential, obtains new access tokens for the same session.
ALTER TABLE access_tokens ADD COLUMN customer_id TEXT;
ALTER TABLE access_tokens ADD COLUMN anonymous_id TEXT;

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    customer_id TEXT,
    anonymous_id TEXT,
    -- Pushed back each time the token is used (commercetools' refreshTokenValiditySeconds).
    expires_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_by_client ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

-- Every anonymous id a session was started with: an id is given to one session only.
CREATE TABLE anonymous_sessions (
    project_key TEXT NOT NULL,
    anonymous_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_key, anonymous_id)
);
