DROP TABLE customer_passwords;
