//! A commercetools-compatible Payments API.

pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod persistence;
pub mod psp;
pub mod query;
pub mod service;
pub mod startup;
