//! What a transaction asks of the provider, decided from the payment alone.

use super::Operation;
use crate::domain::payment::{Payment, Transaction, TransactionState, TransactionType};
use crate::domain::psp_rules::successful;

/// The `paymentMethodInfo.method` of payments paid on the provider's hosted checkout page.
pub const CHECKOUT_METHOD: &str = "stripe-checkout";

/// The payment's Authorization (or, on a payment that never tried to authorize, its direct
/// Charge) that has a provider object but is still Pending: the customer has not paid yet.
pub fn awaiting_customer(payment: &Payment) -> Option<&Transaction> {
    let direct = !payment.transactions.iter().any(|t| t.kind == TransactionType::Authorization);
    payment.transactions.iter().find(|t| {
        (t.kind == TransactionType::Authorization || (direct && t.kind == TransactionType::Charge))
            && t.state == TransactionState::Pending
            && t.interaction_id.is_some()
    })
}

/// Whether `transaction` is a Charge whose authorization is still under way (sent in the same
/// request, or waiting for 3-D Secure or the customer): it is sent once that has succeeded.
pub fn waits_for_authorization(payment: &Payment, transaction: &Transaction) -> bool {
    transaction.kind == TransactionType::Charge
        && transaction.state == TransactionState::Initial
        && successful(payment, TransactionType::Authorization).is_none()
        && payment
            .transactions
            .iter()
            .any(|t| t.kind == TransactionType::Authorization && t.state.is_unsettled())
}

/// Whether capturing `transaction` finishes the authorization: the charges that succeeded and
/// this one reach the authorized amount, and no other charge is under way (one is final only
/// where it is the last).
fn is_final_capture(payment: &Payment, transaction: &Transaction, authorized: i64) -> bool {
    let mut captured = transaction.amount.cent_amount();
    for charge in
        payment.transactions.iter().filter(|t| t.kind == TransactionType::Charge && t.id != transaction.id)
    {
        match charge.state {
            TransactionState::Initial | TransactionState::Pending => return false,
            TransactionState::Success => captured = captured.saturating_add(charge.amount.cent_amount()),
            TransactionState::Failure => {}
        }
    }
    captured >= authorized
}

/// The operation that executes the transaction, or why there is none. (The provider customer of
/// an Authorize is filled in by the executor, which looks it up.) A transaction already
/// Pending at the provider (3-D Secure, processing, a refund in progress) is looked up instead,
/// so that a lost webhook cannot leave it Pending for ever.
pub fn operation(payment: &Payment, transaction: &Transaction) -> Result<Operation, String> {
    if let (TransactionState::Pending, Some(object_id)) = (transaction.state, &transaction.interaction_id) {
        let customer_confirms = payment.payment_method_info.token.is_none();
        return Ok(Operation::Retrieve { object_id: object_id.clone(), customer_confirms });
    }
    let amount = transaction.amount.cent_amount();
    let currency = transaction.amount.currency();
    let intent_of = |t: &Transaction| t.interaction_id.clone().unwrap_or_default();
    let hosted = payment.payment_method_info.method.as_deref() == Some(CHECKOUT_METHOD);
    let checkout = |capture: bool| Operation::Checkout {
        amount,
        currency: currency.clone(),
        capture,
        customer: None,
        payment_id: payment.id.clone(),
    };
    match transaction.kind {
        TransactionType::Authorization if hosted => Ok(checkout(false)),
        TransactionType::Authorization => Ok(Operation::Authorize {
            amount,
            currency: currency.clone(),
            payment_method: payment.payment_method_info.token.as_ref().map(|t| t.value.clone()),
            capture: false,
            customer: None,
        }),
        TransactionType::Charge => match successful(payment, TransactionType::Authorization) {
            Some(authorization) => Ok(Operation::Capture {
                intent_id: intent_of(authorization),
                amount,
                currency: currency.clone(),
                final_capture: is_final_capture(payment, transaction, authorization.amount.cent_amount()),
            }),
            // A payment that tried to authorize is never charged directly instead (a declined
            // authorization must not turn its capture into a charge).
            None if payment.transactions.iter().any(|t| t.kind == TransactionType::Authorization) => {
                Err("There is no successful authorization to capture.".into())
            }
            None if hosted => Ok(checkout(true)),
            None => Ok(Operation::Authorize {
                amount,
                currency: currency.clone(),
                payment_method: payment.payment_method_info.token.as_ref().map(|t| t.value.clone()),
                capture: true,
                customer: None,
            }),
        },
        TransactionType::Refund => successful(payment, TransactionType::Charge)
            .map(|charge| Operation::Refund {
                intent_id: intent_of(charge),
                amount,
                currency: currency.clone(),
            })
            .ok_or_else(|| "There is no successful charge to refund.".into()),
        // An authorization still waiting for the customer (in the browser, or on the hosted
        // page) is cancelled too: the shop abandons it, and the customer can no longer pay it.
        TransactionType::CancelAuthorization => successful(payment, TransactionType::Authorization)
            .or_else(|| awaiting_customer(payment))
            .map(|authorization| Operation::Cancel { intent_id: intent_of(authorization) })
            .ok_or_else(|| "There is no authorization to cancel.".into()),
        TransactionType::Chargeback => {
            Err("Chargebacks are reported by the provider, not sent to it.".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actions::test_support::create;
    use serde_json::json;

    fn tx(kind: &str, cents: i64, state: &str, interaction_id: Option<&str>) -> serde_json::Value {
        let mut tx =
            json!({"type": kind, "amount": {"currencyCode": "EUR", "centAmount": cents}, "state": state});
        if let Some(id) = interaction_id {
            tx["interactionId"] = json!(id);
        }
        tx
    }

    /// The operations of the payment's Initial transactions, in order.
    fn operations(transactions: serde_json::Value) -> Vec<Result<Operation, String>> {
        let payment = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
                                    "paymentMethodInfo": {"token": {"value": "pm_1"}},
                                    "transactions": transactions}))
        .unwrap();
        payment
            .transactions
            .iter()
            .filter(|t| t.state == TransactionState::Initial)
            .map(|t| operation(&payment, t))
            .collect()
    }

    fn capture(amount: i64, final_capture: bool) -> Result<Operation, String> {
        let currency = crate::domain::money::CurrencyCode::parse("EUR").unwrap();
        Ok(Operation::Capture { intent_id: "pi_1".into(), amount, currency, final_capture })
    }

    #[test]
    fn a_capture_is_final_once_the_authorized_amount_is_reached() {
        assert_eq!(
            operations(json!([
                tx("Authorization", 1000, "Success", Some("pi_1")),
                tx("Charge", 300, "Success", Some("pi_1")),
                tx("Charge", 200, "Failure", None),
                tx("Charge", 400, "Initial", None),
                tx("Charge", 300, "Initial", None)
            ])),
            vec![capture(400, false), capture(300, false)],
            "neither is final while the other is under way"
        );
        assert_eq!(
            operations(json!([
                tx("Authorization", 1000, "Success", Some("pi_1")),
                tx("Charge", 300, "Success", Some("pi_1")),
                tx("Charge", 200, "Failure", None),
                tx("Charge", 700, "Initial", None)
            ])),
            vec![capture(700, true)],
            "failed charges do not count"
        );
        assert_eq!(
            operations(json!([
                tx("Authorization", 1000, "Success", Some("pi_1")),
                tx("Charge", 1000, "Initial", None)
            ])),
            vec![capture(1000, true)]
        );
    }

    #[test]
    fn captures_and_cancels_go_to_the_authorization_that_replaced_a_released_one() {
        let released = || {
            [
                tx("Authorization", 1000, "Success", Some("pi_old")),
                tx("CancelAuthorization", 1000, "Success", Some("pi_old")),
                tx("Authorization", 800, "Success", Some("pi_1")),
            ]
        };
        let [old, cancel, new] = released();
        assert_eq!(
            operations(json!([old, cancel, new, tx("Charge", 800, "Initial", None)])),
            vec![capture(800, true)]
        );
        let [old, cancel, new] = released();
        assert_eq!(
            operations(json!([old, cancel, new, tx("CancelAuthorization", 800, "Initial", None)])),
            vec![Ok(Operation::Cancel { intent_id: "pi_1".into() })]
        );
        let [old, cancel, _] = released();
        assert!(
            operations(json!([old, cancel, tx("Charge", 100, "Initial", None)]))[0].is_err(),
            "a released authorization is not captured"
        );
    }

    #[test]
    fn a_hosted_payment_is_paid_through_a_checkout_session() {
        let payment = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
            "paymentMethodInfo": {"method": CHECKOUT_METHOD},
            "transactions": [tx("Authorization", 1000, "Initial", None), tx("Charge", 1000, "Initial", None)]}))
        .unwrap();
        let authorize = operation(&payment, &payment.transactions[0]).unwrap();
        assert!(
            matches!(authorize, Operation::Checkout { capture: false, amount: 1000, .. }),
            "{authorize:?}"
        );
        let direct = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
            "paymentMethodInfo": {"method": CHECKOUT_METHOD}, "transactions": [tx("Charge", 1000, "Initial", None)]}))
        .unwrap();
        let charge = operation(&direct, &direct.transactions[0]).unwrap();
        assert!(matches!(charge, Operation::Checkout { capture: true, .. }), "{charge:?}");
    }

    #[test]
    fn an_authorization_awaiting_the_customer_can_be_cancelled() {
        let abandoned = operations(json!([
            tx("Authorization", 1000, "Pending", Some("pi_1")),
            tx("CancelAuthorization", 1000, "Initial", None)
        ]));
        assert_eq!(abandoned, vec![Ok(Operation::Cancel { intent_id: "pi_1".into() })]);
    }

    #[test]
    fn a_capture_waits_for_its_authorization() {
        let payment = create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
            "paymentMethodInfo": {"token": {"value": "pm_1"}},
            "transactions": [tx("Authorization", 1000, "Initial", None), tx("Charge", 1000, "Initial", None)]}))
        .unwrap();
        assert!(waits_for_authorization(&payment, &payment.transactions[1]));
        assert!(!waits_for_authorization(&payment, &payment.transactions[0]));
    }

    #[test]
    fn without_a_successful_authorization_there_is_nothing_to_capture() {
        let refused = operations(json!([
            tx("Authorization", 1000, "Pending", Some("pi_1")),
            tx("Charge", 100, "Initial", None)
        ]));
        assert!(matches!(refused.as_slice(), [Err(_)]), "{refused:?}");
        let after_a_failed_authorization = operations(json!([
            tx("Authorization", 1000, "Failure", None),
            tx("Charge", 100, "Initial", None)
        ]));
        assert!(
            matches!(after_a_failed_authorization.as_slice(), [Err(_)]),
            "never charged directly instead: {after_a_failed_authorization:?}"
        );
        let direct = operations(json!([tx("Charge", 100, "Initial", None)]));
        assert!(matches!(direct.as_slice(), [Ok(Operation::Authorize { capture: true, .. })]), "{direct:?}");
    }
}
