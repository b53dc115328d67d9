-- interfaceId is unique per project together with paymentInterface, and commercetools counts a
-- missing paymentInterface as a value of its own: two payments without one may not share an
-- interfaceId. (A unique index treats NULLs as distinct, hence the expressions.) A database
-- that already holds such a pair stops here with a unique violation: give one of the two
-- payments another interfaceId (or a paymentInterface) by SQL, then start again.
DROP INDEX payments_unique_interface_id;
CREATE UNIQUE INDEX payments_unique_interface_id
    ON payments (project_key, interface_id, (COALESCE(payment_interface, '')), ((payment_interface IS NULL)))
    WHERE interface_id IS NOT NULL;
