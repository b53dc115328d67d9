-- Parameters decided before an operation's first call (the provider customer, whether a
-- capture is final), as JSON, so that every retry under the same idempotency key sends them.
ALTER TABLE psp_operations ADD COLUMN pinned TEXT;
