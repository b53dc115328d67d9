//! What a transaction asks of the provider, decided from the payment alone.

use super::Operation;
use crate::domain::payment::{Payment, Transaction, TransactionState, TransactionType};

/// The provider object of the payment's successful transaction of `kind`, if any.
fn successful(payment: &Payment, kind: TransactionType) -> Option<&Transaction> {
    payment
        .transactions
        .iter()
        .find(|t| t.kind == kind && t.state == TransactionState::Success && t.interaction_id.is_some())
}

/// The operation that executes the transaction, or why there is none. A transaction already
/// Pending at the provider (3-D Secure, processing, a refund in progress) is looked up instead,
/// so that a lost webhook cannot leave it Pending for ever.
pub fn operation(payment: &Payment, transaction: &Transaction) -> Result<Operation, String> {
    if let (TransactionState::Pending, Some(object_id)) = (transaction.state, &transaction.interaction_id) {
        return Ok(Operation::Retrieve { object_id: object_id.clone() });
    }
    let amount = transaction.amount.cent_amount();
    let intent_of = |t: &Transaction| t.interaction_id.clone().unwrap_or_default();
    match transaction.kind {
        TransactionType::Authorization => Ok(Operation::Authorize {
            amount,
            currency: transaction.amount.currency().to_string(),
            payment_method: payment.payment_method_info.token.as_ref().map(|t| t.value.clone()),
            capture: false,
        }),
        TransactionType::Charge => match successful(payment, TransactionType::Authorization) {
            Some(authorization) => Ok(Operation::Capture { intent_id: intent_of(authorization), amount }),
            None if payment.transactions.iter().any(|t| t.kind == TransactionType::Authorization) => {
                Err("There is no successful authorization to capture.".into())
            }
            None => Ok(Operation::Authorize {
                amount,
                currency: transaction.amount.currency().to_string(),
                payment_method: payment.payment_method_info.token.as_ref().map(|t| t.value.clone()),
                capture: true,
            }),
        },
        TransactionType::Refund => successful(payment, TransactionType::Charge)
            .map(|charge| Operation::Refund { intent_id: intent_of(charge), amount })
            .ok_or_else(|| "There is no successful charge to refund.".into()),
        TransactionType::CancelAuthorization => successful(payment, TransactionType::Authorization)
            .map(|authorization| Operation::Cancel { intent_id: intent_of(authorization) })
            .ok_or_else(|| "There is no successful authorization to cancel.".into()),
        TransactionType::Chargeback => {
            Err("Chargebacks are reported by the provider, not sent to it.".into())
        }
    }
}
