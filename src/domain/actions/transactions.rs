//! Actions on the Payment's transactions.

use super::Emitted;
use crate::domain::common::Timestamp;
use crate::domain::context::ChangeContext;
use crate::domain::messages::PaymentMessage;
use crate::domain::payment::{
    check_transaction_interface_ids_unique, new_transaction, Payment, TransactionDraft, TransactionState,
};

pub fn add(payment: &mut Payment, draft: TransactionDraft, ctx: &mut ChangeContext) -> Emitted {
    let transaction = new_transaction(draft, ctx)?;
    payment.transactions.push(transaction.clone());
    check_transaction_interface_ids_unique(&payment.transactions)?;
    Ok(vec![PaymentMessage::PaymentTransactionAdded { transaction }])
}

/// Any state may follow any other, as in commercetools: the PSP, not the API, knows the truth.
pub fn change_state(payment: &mut Payment, transaction_id: &str, state: TransactionState) -> Emitted {
    payment.transaction_mut(transaction_id)?.state = state;
    Ok(vec![PaymentMessage::PaymentTransactionStateChanged {
        transaction_id: transaction_id.to_owned(),
        state,
    }])
}

pub fn change_timestamp(payment: &mut Payment, transaction_id: &str, timestamp: Timestamp) -> Emitted {
    payment.transaction_mut(transaction_id)?.timestamp = Some(timestamp);
    Ok(vec![])
}

pub fn change_interaction_id(payment: &mut Payment, transaction_id: &str, interaction_id: String) -> Emitted {
    payment.transaction_mut(transaction_id)?.interaction_id = Some(interaction_id);
    Ok(vec![])
}

pub fn set_interface_id(
    payment: &mut Payment,
    transaction_id: &str,
    interface_id: Option<String>,
) -> Emitted {
    let transaction = payment.transaction_mut(transaction_id)?;
    let old_interface_id = std::mem::replace(&mut transaction.interface_id, interface_id.clone());
    check_transaction_interface_ids_unique(&payment.transactions)?;
    Ok(vec![PaymentMessage::PaymentTransactionInterfaceIdSet {
        transaction_id: transaction_id.to_owned(),
        new_interface_id: interface_id,
        old_interface_id,
    }])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::domain::errors::DomainError;
    use crate::domain::payment::TransactionState;
    use serde_json::json;

    #[test]
    fn add_transaction_appends_with_an_id_and_initial_state() {
        let (added, messages) = apply_one(
            payment(),
            json!({"action": "addTransaction", "transaction": {"type": "Charge", "amount": {"currencyCode": "EUR", "centAmount": 400}}}),
        )
        .unwrap();
        let transaction = &added.transactions[1];
        assert_eq!(transaction.id, "new-1");
        assert_eq!(transaction.state, TransactionState::Initial);
        assert_eq!(messages, vec!["PaymentTransactionAdded"]);
    }

    #[test]
    fn add_transaction_refuses_unknown_types_when_parsing() {
        let parsed: Result<Vec<super::super::PaymentUpdateAction>, _> = serde_json::from_value(json!([
            {"action": "addTransaction", "transaction": {"type": "Payout", "amount": {"currencyCode": "EUR", "centAmount": 1}}}
        ]));
        assert!(parsed.is_err());
    }

    #[test]
    fn change_state_changes_the_state_with_a_message() {
        let p = payment();
        let tx = p.transactions[0].id.clone();
        let (changed, messages) = apply_one(
            p,
            json!({"action": "changeTransactionState", "transactionId": tx, "state": "Success"}),
        )
        .unwrap();
        assert_eq!(changed.transactions[0].state, TransactionState::Success);
        assert_eq!(messages, vec!["PaymentTransactionStateChanged"]);
    }

    #[test]
    fn changing_a_transaction_to_its_current_state_changes_nothing() {
        let p = payment();
        let tx = p.transactions[0].id.clone();
        let outcome =
            apply(p, json!([{"action": "changeTransactionState", "transactionId": tx, "state": "Initial"}]))
                .unwrap();
        assert_eq!(outcome.payment.version, 1);
        assert!(outcome.messages.is_empty());
    }

    #[test]
    fn timestamp_and_interaction_id_change() {
        let p = payment();
        let tx = p.transactions[0].id.clone();
        let outcome = apply(
            p,
            json!([
                {"action": "changeTransactionTimestamp", "transactionId": tx, "timestamp": "2018-10-12T14:00:00+00:00"},
                {"action": "changeTransactionInteractionId", "transactionId": tx, "interactionId": "pi_1"},
            ]),
        )
        .unwrap();
        let transaction = to_json(&outcome.payment.transactions[0]);
        assert_eq!(transaction["timestamp"], "2018-10-12T14:00:00.000Z");
        assert_eq!(transaction["interactionId"], "pi_1");
        assert_eq!(outcome.payment.version, 3);
    }

    #[test]
    fn transaction_interface_ids_are_unique_within_the_payment() {
        let p = payment();
        let tx = p.transactions[0].id.clone();
        let (set, messages) = apply_one(
            p,
            json!({"action": "setTransactionInterfaceId", "transactionId": tx, "interfaceId": "ch_1"}),
        )
        .unwrap();
        assert_eq!(set.transactions[0].interface_id.as_deref(), Some("ch_1"));
        assert_eq!(messages, vec!["PaymentTransactionInterfaceIdSet"]);
        let error = apply_one(
            set,
            json!({"action": "addTransaction", "transaction": {"type": "Charge", "interfaceId": "ch_1", "amount": {"currencyCode": "EUR", "centAmount": 1}}}),
        )
        .unwrap_err();
        assert!(matches!(error, DomainError::DuplicateField { .. }));
    }

    #[test]
    fn unknown_transaction_ids_are_refused_by_every_transaction_action() {
        for action in [
            json!({"action": "changeTransactionState", "transactionId": "nope", "state": "Success"}),
            json!({"action": "changeTransactionTimestamp", "transactionId": "nope", "timestamp": "2018-10-12T14:00:00Z"}),
            json!({"action": "changeTransactionInteractionId", "transactionId": "nope", "interactionId": "x"}),
            json!({"action": "setTransactionInterfaceId", "transactionId": "nope", "interfaceId": "x"}),
        ] {
            assert!(
                matches!(apply_one(payment(), action.clone()), Err(DomainError::InvalidOperation(_))),
                "{action}"
            );
        }
    }
}
