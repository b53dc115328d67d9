-- The database itself refuses a payment that references a deleted Type or State, and the
-- deletion of one that a payment references, so that a write racing a deletion cannot leave a
-- dangling reference. (Customers may be deleted while payments refer to them, as in
-- commercetools; their rows are no longer kept here.) SQLite adds a foreign key only by
-- rebuilding the table.
CREATE TABLE payment_references_checked (
    payment_id TEXT NOT NULL,
    target_id TEXT NOT NULL REFERENCES resources (id),
    PRIMARY KEY (payment_id, target_id)
);
INSERT INTO payment_references_checked
    SELECT payment_id, target_id FROM payment_references WHERE target_id IN (SELECT id FROM resources WHERE type_id <> 'customer');
DROP TABLE payment_references;
ALTER TABLE payment_references_checked RENAME TO payment_references;
CREATE INDEX payment_references_by_target ON payment_references (target_id);
