//! The domain: value types, the Payment aggregate, its update actions and the Messages they
//! emit. Pure: no I/O, no clock, no randomness (all handed in through [`context::ChangeContext`]).

pub mod actions;
pub mod addresses;
pub mod common;
pub mod context;
pub mod customer_messages;
pub mod customers;
pub mod errors;
pub mod messages;
pub mod money;
pub mod my_payments;
pub mod numbers;
pub mod payment;
pub mod psp_rules;
pub mod references;
pub mod states;
pub mod types;
pub mod update_actions;
pub mod versioning;
