//! A provider's outcome as the update actions a client would send, so that versions and
//! Messages stay true.

use super::{OperationKind, Outcome, Report};
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::common::{FieldContainer, IdOrKey, Timestamp, TypeIdentifier};
use crate::domain::payment::{Transaction, TransactionState};
use serde_json::Value;

/// The key of the Type the service provisions for the interface interactions it records.
pub const INTERACTION_TYPE_KEY: &str = "payments-api-psp-interaction";
/// Its fields (all Strings).
pub const INTERACTION_FIELDS: &[&str] =
    &["operation", "transactionId", "objectId", "status", "code", "message", "clientSecret", "nextAction"];

/// The actions that record `outcome` of `operation` on `transaction`, answered `at`. A
/// transaction without a timestamp gets the time the provider answered.
pub fn actions(
    transaction: &Transaction,
    operation: OperationKind,
    outcome: &Outcome,
    at: Timestamp,
) -> Vec<PaymentUpdateAction> {
    let (state, report) = match outcome {
        Outcome::Succeeded(report) => (TransactionState::Success, Some(report)),
        Outcome::Pending(report) => (TransactionState::Pending, Some(report)),
        Outcome::Failed(report) => (TransactionState::Failure, Some(report)),
        // Not a decline: the transaction waits, Pending, until a retry or a lookup settles it.
        Outcome::Unknown(_) => (TransactionState::Pending, None),
    };
    let transaction_id = transaction.id.clone();
    let mut actions =
        vec![PaymentUpdateAction::ChangeTransactionState { transaction_id: transaction_id.clone(), state }];
    let Some(report) = report else { return actions };
    if transaction.timestamp.is_none() {
        actions.push(PaymentUpdateAction::ChangeTransactionTimestamp {
            transaction_id: transaction_id.clone(),
            timestamp: at,
        });
    }
    if let Some(object_id) = &report.object_id {
        actions.push(PaymentUpdateAction::ChangeTransactionInteractionId {
            transaction_id: transaction_id.clone(),
            interaction_id: object_id.clone(),
        });
    }
    actions.push(PaymentUpdateAction::SetStatusInterfaceCode {
        interface_code: Some(report.code.clone().unwrap_or_else(|| report.status.clone())),
    });
    actions.push(PaymentUpdateAction::SetStatusInterfaceText {
        interface_text: Some(report.message.clone().unwrap_or_else(|| report.status.clone())),
    });
    actions.push(PaymentUpdateAction::AddInterfaceInteraction {
        type_identifier: TypeIdentifier::new(IdOrKey::Key(INTERACTION_TYPE_KEY.into())),
        fields: Some(summary(&transaction_id, operation, report)),
    });
    actions
}

/// An allow-listed summary of the exchange: never card data or secret keys.
fn summary(transaction_id: &str, operation: OperationKind, report: &Report) -> FieldContainer {
    let mut fields = FieldContainer::new();
    let mut put = |name: &str, value: Option<&String>| {
        if let Some(value) = value {
            fields.insert(name.into(), Value::String(value.clone()));
        }
    };
    put("operation", Some(&operation.as_str().to_owned()));
    put("transactionId", Some(&transaction_id.to_owned()));
    put("objectId", report.object_id.as_ref());
    put("status", Some(&report.status));
    put("code", report.code.as_ref());
    put("message", report.message.as_ref());
    // The client secret is meant for the customer's browser, to complete 3-D Secure.
    put("clientSecret", report.client_secret.as_ref());
    put("nextAction", report.next_action.as_ref());
    fields
}

/// The essential part of a write-back: the transactions' states and provider ids, and what
/// happened at the provider (a transaction recorded), without the status and the interaction
/// record (used when those cannot be written).
pub fn essential(actions: &[PaymentUpdateAction]) -> Vec<PaymentUpdateAction> {
    actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                PaymentUpdateAction::ChangeTransactionState { .. }
                    | PaymentUpdateAction::ChangeTransactionInteractionId { .. }
                    | PaymentUpdateAction::AddTransaction { .. }
            )
        })
        .cloned()
        .collect()
}

/// Dates the transactions a write-back records (what happened at the provider, learned from an
/// event or a lookup) that carry no time: when it was learned, as the transactions the adapter
/// executes carry the time the provider answered.
pub fn dated(mut actions: Vec<PaymentUpdateAction>, at: Timestamp) -> Vec<PaymentUpdateAction> {
    for action in &mut actions {
        if let PaymentUpdateAction::AddTransaction { transaction } = action {
            transaction.timestamp.get_or_insert(at);
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recorded_transactions_are_dated_and_kept_when_only_the_essentials_are_written() {
        let at = Timestamp::parse("2026-12-03T10:00:00Z").unwrap();
        let earlier = Timestamp::parse("2026-12-01T10:00:00Z").unwrap();
        let actions: Vec<PaymentUpdateAction> = serde_json::from_value(json!([
            {"action": "addTransaction", "transaction": {"type": "Refund", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": "Success"}},
            {"action": "addTransaction", "transaction": {"type": "Refund", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": "Success", "timestamp": "2026-12-01T10:00:00Z"}},
            {"action": "setStatusInterfaceCode", "interfaceCode": "refunded"}
        ]))
        .unwrap();
        let dated = dated(actions, at);
        let times: Vec<Option<Timestamp>> = dated
            .iter()
            .filter_map(|a| match a {
                PaymentUpdateAction::AddTransaction { transaction } => Some(transaction.timestamp),
                _ => None,
            })
            .collect();
        assert_eq!(times, [Some(at), Some(earlier)], "a time already known is kept");
        assert_eq!(essential(&dated).len(), 2, "the recorded refunds stay, the status goes");
    }
}
