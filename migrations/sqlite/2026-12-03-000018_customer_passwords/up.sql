-- A customer's password, as a salted Argon2id hash (PHC string), kept apart from the
-- customer's document so that it is never served. It goes with the customer.
CREATE TABLE customer_passwords (
    customer_id TEXT PRIMARY KEY NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL
);
