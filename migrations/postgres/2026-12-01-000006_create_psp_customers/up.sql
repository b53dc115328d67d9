-- Our customers' counterparts at the provider (per connected account), created on first use so
-- that a customer's payments and saved payment methods share one provider customer.
CREATE TABLE psp_customers (
    provider_account TEXT NOT NULL,
    project_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    provider_customer_id TEXT NOT NULL,
    PRIMARY KEY (provider_account, project_key, customer_id)
);
