-- The Types a customer's custom fields name, so that a Type in use cannot be deleted (as
-- payment_references does for payments). A customer's rows go with it.
CREATE TABLE customer_references (
    customer_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    target_id TEXT NOT NULL REFERENCES resources (id),
    PRIMARY KEY (customer_id, target_id)
);
CREATE INDEX customer_references_by_target ON customer_references (target_id);
