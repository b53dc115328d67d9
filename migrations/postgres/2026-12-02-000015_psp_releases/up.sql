-- PaymentIntents of failed transactions that are to be cancelled at Stripe, so that the
-- customer cannot complete them later beside a new authorization: a cancel that got no answer
-- is tried again with backoff until Stripe answers.
CREATE TABLE psp_releases (
    transaction_id TEXT PRIMARY KEY NOT NULL,
    payment_id TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    account TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL
);
CREATE INDEX psp_releases_due ON psp_releases (next_attempt_at);
