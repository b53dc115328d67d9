-- Payments are stored as their JSON representation (document) plus the columns that
-- lookups, uniqueness and sorting need. Timestamps are epoch milliseconds.
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    key TEXT,
    interface_id TEXT,
    payment_interface TEXT,
    customer_id TEXT,
    created_at BIGINT NOT NULL,
    last_modified_at BIGINT NOT NULL,
    last_message_sequence_number BIGINT NOT NULL,
    document TEXT NOT NULL
);
-- Partial indexes: payments without a key, interfaceId or customer cost no index entry there.
CREATE UNIQUE INDEX payments_unique_key ON payments (project_key, key) WHERE key IS NOT NULL;
CREATE UNIQUE INDEX payments_unique_interface_id ON payments (project_key, interface_id, payment_interface)
    WHERE interface_id IS NOT NULL;
CREATE INDEX payments_by_customer ON payments (project_key, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX payments_by_created_at ON payments (project_key, created_at);
CREATE INDEX payments_by_last_modified_at ON payments (project_key, last_modified_at);

-- One row per transaction that has an interaction id, for lookups by it.
CREATE TABLE payment_transactions (
    payment_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    project_key TEXT NOT NULL,
    interaction_id TEXT,
    PRIMARY KEY (payment_id, transaction_id)
);
CREATE INDEX payment_transactions_by_interaction_id ON payment_transactions (interaction_id)
    WHERE interaction_id IS NOT NULL;

-- Messages: the record of every change, written in the change's transaction.
CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    resource_type_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    sequence_number BIGINT NOT NULL,
    resource_version BIGINT NOT NULL,
    type TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_unique_sequence ON messages (resource_id, sequence_number);
