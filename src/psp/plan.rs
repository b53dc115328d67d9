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

/// The operation that executes the transaction, or why there is none.
pub fn operation(payment: &Payment, transaction: &Transaction) -> Result<Operation, String> {
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
