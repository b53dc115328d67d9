-- PaymentIntents of failed transactions that are to be cancelled at Stripe, so that the
-- customer cannot complete them later beside a new authorization. A release is kept before its
-- first attempt and until Stripe has answered, and tried again with backoff meanwhile.
CREATE TABLE psp_releases (
    transaction_id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    account TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX psp_releases_due ON psp_releases (next_attempt_at);
