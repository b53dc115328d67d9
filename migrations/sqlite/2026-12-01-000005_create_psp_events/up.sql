-- The provider's webhook events: stored (once per event id) before they are acknowledged,
-- then applied; an event whose object is not known yet is kept and retried.
CREATE TABLE psp_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    processed BOOLEAN NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL
);
CREATE INDEX psp_events_due ON psp_events (processed, next_attempt_at);
