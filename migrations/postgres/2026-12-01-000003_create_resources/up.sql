-- Types, States and Customers: one table of versioned JSON documents, told apart by type_id.
-- unique_value holds what else must be unique per project (a customer's lower-cased email).
CREATE TABLE resources (
    id TEXT PRIMARY KEY NOT NULL,
    project_key TEXT NOT NULL,
    type_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    key TEXT,
    unique_value TEXT,
    created_at BIGINT NOT NULL,
    last_modified_at BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE UNIQUE INDEX resources_unique_key ON resources (project_key, type_id, key) WHERE key IS NOT NULL;
CREATE UNIQUE INDEX resources_unique_value ON resources (project_key, type_id, unique_value)
    WHERE unique_value IS NOT NULL;
CREATE INDEX resources_by_created_at ON resources (project_key, type_id, created_at);

-- What each payment references, so that a Type or State in use cannot be deleted.
CREATE TABLE payment_references (
    payment_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (payment_id, target_id)
);
CREATE INDEX payment_references_by_target ON payment_references (target_id);

-- Messages are read by resource and in time order.
CREATE INDEX messages_by_created_at ON messages (project_key, created_at);
