DROP INDEX payments_unique_interface_id;
CREATE UNIQUE INDEX payments_unique_interface_id ON payments (project_key, interface_id, payment_interface)
    WHERE interface_id IS NOT NULL;
