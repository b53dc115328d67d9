-- interfaceId is unique per project together with paymentInterface, and commercetools counts a
-- missing paymentInterface as a value of its own: two payments without one may not share an
-- interfaceId. (A unique index treats NULLs as distinct, hence the expressions.)
DROP INDEX payments_unique_interface_id;
CREATE UNIQUE INDEX payments_unique_interface_id
    ON payments (project_key, interface_id, (COALESCE(payment_interface, '')), ((payment_interface IS NULL)))
    WHERE interface_id IS NOT NULL;
