DROP INDEX payments_by_anonymous_id;
ALTER TABLE payments DROP COLUMN anonymous_id;
