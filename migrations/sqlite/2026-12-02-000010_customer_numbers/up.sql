-- A customer's customerNumber, unique per project like its email.
ALTER TABLE resources ADD COLUMN customer_number TEXT;
CREATE UNIQUE INDEX resources_unique_customer_number ON resources (project_key, type_id, customer_number)
    WHERE customer_number IS NOT NULL;
