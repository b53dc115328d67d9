//! Black-box tests of the running service over HTTP. One binary for all of them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

mod helpers;

mod api_spec;
mod auth;
mod checkout;
mod concurrency;
mod connected_accounts;
mod crash;
mod db_proxy;
mod fake_stripe;
mod meta;
mod multicapture;
mod my_payments;
mod payments_create;
mod payments_query;
mod payments_read;
mod payments_update;
mod query_properties;
mod resources;
mod saved_methods;
mod sdk;
mod stripe;
mod stripe_faults;
mod webhooks;
mod worker_postgres;
