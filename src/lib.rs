//! A commercetools-compatible Payments API.

pub mod domain;
