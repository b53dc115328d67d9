DROP INDEX resources_unique_customer_number;
ALTER TABLE resources DROP COLUMN customer_number;
