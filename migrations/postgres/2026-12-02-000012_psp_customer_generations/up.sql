-- How often a customer's provider customer was found deleted at the provider. The creation of
-- the next one sends an idempotency key with this number in it: the provider replays a key's
-- first answer for a day, which would hand back the deleted customer again.
CREATE TABLE psp_customer_generations (
    provider_account TEXT NOT NULL,
    project_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    generation BIGINT NOT NULL,
    PRIMARY KEY (provider_account, project_key, customer_id)
);
