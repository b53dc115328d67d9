CREATE TABLE payment_references_unchecked (
    payment_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (payment_id, target_id)
);
INSERT INTO payment_references_unchecked SELECT payment_id, target_id FROM payment_references;
DROP TABLE payment_references;
ALTER TABLE payment_references_unchecked RENAME TO payment_references;
CREATE INDEX payment_references_by_target ON payment_references (target_id);
