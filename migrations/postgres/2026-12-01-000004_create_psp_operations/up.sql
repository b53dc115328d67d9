-- Work for the payment service provider: one row per transaction to execute, written in the
-- same transaction as the payment change (an outbox). The idempotency key is fixed before the
-- first call and reused by every retry; a lease makes one process at a time execute a row.
CREATE TABLE psp_operations (
    transaction_id TEXT PRIMARY KEY NOT NULL,
    payment_id TEXT NOT NULL,
    project_key TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    done BOOLEAN NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX psp_operations_due ON psp_operations (done, next_attempt_at);

-- Provider objects (per connected account) to the payment and transaction they belong to.
CREATE TABLE psp_objects (
    provider_account TEXT NOT NULL,
    object_id TEXT NOT NULL,
    project_key TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    PRIMARY KEY (provider_account, object_id)
);
