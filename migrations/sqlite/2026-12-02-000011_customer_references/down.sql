DROP TABLE customer_references;
