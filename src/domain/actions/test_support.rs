//! Builders shared by the action tests.

use super::{apply_actions, AppliedChange, PaymentUpdateAction};
use crate::domain::common::Timestamp;
use crate::domain::context::{ChangeContext, UncheckedReferences};
use crate::domain::errors::DomainError;
use crate::domain::messages::MessagePayload;
use crate::domain::payment::{Payment, PaymentDraft};
use serde_json::{json, Value};

pub fn earlier() -> Timestamp {
    Timestamp::parse("2024-01-01T00:00:00.000Z").unwrap()
}

pub fn later() -> Timestamp {
    Timestamp::parse("2024-01-02T00:00:00.000Z").unwrap()
}

fn counter_ids(prefix: &'static str) -> impl FnMut() -> String {
    let mut next = 0;
    move || {
        next += 1;
        format!("{prefix}-{next}")
    }
}

/// Creates a Payment from a draft JSON.
pub fn create(draft: Value) -> Result<Payment, DomainError> {
    let draft: PaymentDraft = serde_json::from_value(draft).unwrap();
    let mut ids = counter_ids("id");
    let mut ctx =
        ChangeContext { now: earlier(), actor: None, references: &UncheckedReferences, new_id: &mut ids };
    Payment::create(draft, &mut ctx).map(|(payment, _)| payment)
}

/// A version 1 Payment of 10.00 EUR with one Initial Authorization (`id-1`, the payment is `id-2`).
pub fn payment() -> Payment {
    create(json!({
        "amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
        "transactions": [{"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 1000}}]
    }))
    .unwrap()
}

pub fn parse_actions(actions: Value) -> Vec<PaymentUpdateAction> {
    serde_json::from_value(actions).unwrap()
}

/// Applies the actions at a later time, new ids being `new-1`, `new-2`, ...
pub fn apply(payment: Payment, actions: Value) -> Result<AppliedChange, DomainError> {
    let mut ids = counter_ids("new");
    let mut ctx =
        ChangeContext { now: later(), actor: None, references: &UncheckedReferences, new_id: &mut ids };
    apply_actions(payment, parse_actions(actions), &mut ctx)
}

/// Applies one action and returns the changed Payment with the Message types emitted.
pub fn apply_one(payment: Payment, action: Value) -> Result<(Payment, Vec<&'static str>), DomainError> {
    let outcome = apply(payment, json!([action]))?;
    let types = outcome.messages.iter().map(|m| m.message.type_name()).collect();
    Ok((outcome.payment, types))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}
