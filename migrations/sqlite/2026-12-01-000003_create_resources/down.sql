DROP INDEX messages_by_created_at;
DROP TABLE payment_references;
DROP TABLE resources;
