-- The database itself refuses a payment that references a deleted Type or State, and the
-- deletion of one that a payment references, so that a write racing a deletion cannot leave a
-- dangling reference. (Customers may be deleted while payments refer to them, as in
-- commercetools; their rows are no longer kept here.)
DELETE FROM payment_references WHERE target_id NOT IN (SELECT id FROM resources WHERE type_id <> 'customer');
ALTER TABLE payment_references ADD CONSTRAINT payment_references_target
    FOREIGN KEY (target_id) REFERENCES resources (id);
