//! What provider events may change: an explicit table of transaction-state corrections, so
//! that events arriving late or out of order never move a transaction backwards.

use super::Effect;
use crate::domain::actions::PaymentUpdateAction;
use crate::domain::money::Money;
use crate::domain::payment::{Payment, TransactionDraft, TransactionState, TransactionType};
use crate::domain::psp_rules::{is_cancel_of, is_live};

/// Whether an event may move a transaction from `from` to `to`. A failure later confirmed as a
/// success is a real correction; nothing leaves Success, and nothing goes back to Initial.
pub fn allowed(from: TransactionState, to: TransactionState) -> bool {
    use TransactionState::{Failure, Initial, Pending, Success};
    matches!(
        (from, to),
        (Initial, Pending | Success | Failure) | (Pending, Success | Failure) | (Failure, Success)
    )
}

/// A transaction that records what happened at the provider (nothing is sent for it).
fn recorded(
    kind: TransactionType,
    amount: Money,
    object_id: &str,
    state: TransactionState,
) -> PaymentUpdateAction {
    PaymentUpdateAction::AddTransaction {
        transaction: TransactionDraft {
            timestamp: None,
            kind,
            amount,
            interaction_id: Some(object_id.to_owned()),
            interface_id: None,
            state: Some(state),
            custom: None,
        },
    }
}

/// Whether a CancelAuthorization of the payment cancelled the PaymentIntent.
fn cancelled(payment: &Payment, intent_id: &str) -> bool {
    payment.transactions.iter().any(|t| {
        t.kind == TransactionType::CancelAuthorization
            && t.state == TransactionState::Success
            && t.interaction_id.as_deref() == Some(intent_id)
    })
}

/// Whether a transaction of the payment names the provider object.
fn knows(payment: &Payment, object_id: &str) -> bool {
    payment.transactions.iter().any(|t| t.interaction_id.as_deref() == Some(object_id))
}

/// Whether the payment authorized or charged on the intent (a failed one too: a refund may be
/// told before the success that corrects it): a refund or dispute of another intent is none of
/// its business, whatever metadata names it.
fn owns_intent(payment: &Payment, intent_id: &str) -> bool {
    payment.transactions.iter().any(|t| {
        matches!(t.kind, TransactionType::Authorization | TransactionType::Charge)
            && t.interaction_id.as_deref() == Some(intent_id)
    })
}

/// Whether the payment has moved on from a failed transaction's PaymentIntent: on another
/// PaymentIntent, an authorization is live (not failed, not released; one still being sent
/// counts) or a charge took or is taking money. The old one, completed by the customer after
/// all, would then hold or take the money twice.
pub fn superseded(payment: &Payment, transaction_id: &str, intent_id: &str) -> bool {
    payment.transactions.iter().any(|t| {
        t.id != transaction_id
            && t.interaction_id.as_deref() != Some(intent_id)
            && match t.kind {
                TransactionType::Authorization => is_live(payment, t),
                TransactionType::Charge => t.state != TransactionState::Failure,
                _ => false,
            }
    })
}

/// An amount the provider reports, in its own units of the payment's currency, as Money; None
/// when the currency cannot hold it (a fraction of a whole-unit currency), or it is no amount.
fn in_cents(payment: &Payment, currency: &str, amount: i64) -> Option<Money> {
    let ours = payment.amount_planned.currency();
    super::stripe_amounts::from_stripe(ours, currency, amount)
        .filter(|cents| *cents > 0)
        .and_then(|cents| Money::cent(ours.clone(), cents).ok())
}

/// What the payment's charges of the intent that succeeded or are being settled amount to.
fn charged_on(payment: &Payment, intent_id: Option<&str>) -> i64 {
    payment
        .transactions
        .iter()
        .filter(|t| {
            t.kind == TransactionType::Charge
                && matches!(t.state, TransactionState::Success | TransactionState::Pending)
                && t.interaction_id.as_deref() == intent_id
        })
        .map(|t| t.amount.cent_amount())
        .fold(0, i64::saturating_add)
}

/// Whether the payment holds an authorization on the intent: one that did not fail, or the
/// owner's, which the same event corrects from Failure.
fn authorized_on(payment: &Payment, intent_id: &str, owner: Option<&str>) -> bool {
    payment.transactions.iter().any(|t| {
        t.kind == TransactionType::Authorization
            && (t.state != TransactionState::Failure || owner == Some(t.id.as_str()))
            && t.interaction_id.as_deref() == Some(intent_id)
    })
}

/// Whether a transaction of `kind` whose provider operation is still open (`open`) has no
/// provider id yet: it is being sent, or its outcome is unknown.
fn in_flight(payment: &Payment, kind: TransactionType, open: &[String]) -> bool {
    payment.transactions.iter().any(|t| {
        t.kind == kind && t.state.is_unsettled() && t.interaction_id.is_none() && open.contains(&t.id)
    })
}

/// What the intent captured (`amount` in the provider's units) beyond the payment's charges
/// of it, if anything, for a payment authorized on that intent.
fn uncaptured_elsewhere(
    payment: &Payment,
    intent_id: &str,
    owner: Option<&str>,
    currency: &str,
    amount: i64,
) -> Option<Money> {
    let captured = in_cents(payment, currency, amount)?;
    let difference =
        captured.cent_amount().checked_sub(charged_on(payment, Some(intent_id))).filter(|d| *d > 0)?;
    if !authorized_on(payment, intent_id, owner) {
        return None;
    }
    Money::cent(payment.amount_planned.currency().clone(), difference).ok()
}

/// A cancel of what is left of the intent's successful authorization, recorded as done: Stripe
/// released it (the intent was cancelled at Stripe, or a final capture took part of it). None
/// when nothing is left, or a cancel of it is known already.
pub fn released_rest(payment: &Payment, intent_id: &str) -> Option<PaymentUpdateAction> {
    let authorized = payment.transactions.iter().find(|t| {
        t.kind == TransactionType::Authorization
            && t.state == TransactionState::Success
            && t.interaction_id.as_deref() == Some(intent_id)
    })?;
    let cancel_known = payment.transactions.iter().any(|t| is_cancel_of(t, Some(intent_id)));
    let remainder = uncaptured(payment, authorized).filter(|_| !cancel_known)?;
    Some(recorded(TransactionType::CancelAuthorization, remainder, intent_id, TransactionState::Success))
}

/// Charges queued behind an authorization (sent once it succeeds) that never can be sent: every
/// authorization of the payment failed or was released. They fail at once, so that none is
/// sent later as the capture of a new authorization, with the old amount, and none holds up
/// the captures that go one at a time.
pub fn orphaned_charges(payment: &Payment) -> Vec<PaymentUpdateAction> {
    orphaned(payment)
        .into_iter()
        .map(|transaction_id| PaymentUpdateAction::ChangeTransactionState {
            transaction_id,
            state: TransactionState::Failure,
        })
        .collect()
}

/// The ids of [`orphaned_charges`].
pub fn orphaned(payment: &Payment) -> Vec<String> {
    let authorizations = payment.transactions.iter().filter(|t| t.kind == TransactionType::Authorization);
    let mut authorizations = authorizations.peekable();
    if authorizations.peek().is_none() || authorizations.any(|t| is_live(payment, t)) {
        return vec![];
    }
    payment
        .transactions
        .iter()
        .filter(|t| {
            t.kind == TransactionType::Charge
                && t.state == TransactionState::Initial
                && t.interaction_id.is_none()
        })
        .map(|t| t.id.clone())
        .collect()
}

/// What is left of an authorization after the charges of its intent (partial captures of a
/// multicapture one): what a cancel releases. None when nothing is left.
fn uncaptured(payment: &Payment, authorization: &crate::domain::payment::Transaction) -> Option<Money> {
    let charged = charged_on(payment, authorization.interaction_id.as_deref());
    let left = authorization.amount.cent_amount().checked_sub(charged).filter(|left| *left > 0)?;
    Money::cent(authorization.amount.currency().clone(), left).ok()
}

/// Whether an event must be applied again later: it tells of a refund or capture made
/// elsewhere while one of ours has no provider id yet, which may be the same one (once ours
/// has its id, the retry tells them apart). Applying it now would drop it for good.
pub fn must_wait(payment: &Payment, effects: &[Effect], owner: Option<&str>, open: &[String]) -> bool {
    effects.iter().any(|effect| match effect {
        Effect::RefundedElsewhere { refund_id, .. } => {
            !knows(payment, refund_id) && in_flight(payment, TransactionType::Refund, open)
        }
        Effect::IntentCaptured { intent_id, amount, currency } => {
            in_flight(payment, TransactionType::Charge, open)
                && uncaptured_elsewhere(payment, intent_id, owner, currency, *amount).is_some()
        }
        _ => false,
    })
}

/// The actions that apply the effects to the payment; empty when there is nothing to change.
/// `owner` is the transaction whose operation created the provider object: only it may be
/// corrected from Failure (another transaction on the same PaymentIntent, such as a second
/// capture Stripe refused, really failed). `confirmed_by_customer` are the transactions whose
/// PaymentIntent the customer confirms (in the browser or on Stripe's page), where a decline is
/// not final: they may pay with another card.
pub fn actions(
    payment: &Payment,
    effects: &[Effect],
    owner: Option<&str>,
    open: &[String],
    confirmed_by_customer: &[String],
) -> Vec<PaymentUpdateAction> {
    apply(payment, effects, owner, open, confirmed_by_customer).actions
}

/// The actions, and what the effects told that the payment cannot record.
pub struct Applied {
    pub actions: Vec<PaymentUpdateAction>,
    /// Provider amounts the payment's currency cannot hold (say, a dashboard refund of a
    /// fraction of a forint on a payment in whole forints), described for a person to reconcile.
    pub unrecordable: Vec<String>,
}

/// [`actions`], with what could not be recorded.
pub fn apply(
    payment: &Payment,
    effects: &[Effect],
    owner: Option<&str>,
    open: &[String],
    confirmed_by_customer: &[String],
) -> Applied {
    let mut actions = Vec::new();
    let mut unrecordable = Vec::new();
    // Whether any transaction moved (none of those `except` names).
    let mut move_except =
        |kinds: &[TransactionType], object_id: &str, to: TransactionState, except: &[String]| {
            let before = actions.len();
            for transaction in payment.transactions.iter().filter(|t| {
                kinds.contains(&t.kind)
                    && t.interaction_id.as_deref() == Some(object_id)
                    && !except.contains(&t.id)
                    && allowed(t.state, to)
                    && (t.state != TransactionState::Failure || owner == Some(t.id.as_str()))
            }) {
                actions.push(PaymentUpdateAction::ChangeTransactionState {
                    transaction_id: transaction.id.clone(),
                    state: to,
                });
            }
            actions.len() > before
        };
    use TransactionState::{Failure, Success};
    use TransactionType::{Authorization, CancelAuthorization, Charge, Chargeback, Refund};
    let mut additions = Vec::new();
    // The PaymentIntent's status, as a call's write-back records it, when an event moved one of
    // its transactions.
    let mut status: Option<(String, String)> = None;
    for effect in effects {
        match effect {
            // A PaymentIntent we cancelled cannot succeed or become capturable any more: such
            // an event is older than the cancel (Stripe does not order its events).
            Effect::IntentSucceeded { intent_id }
            | Effect::IntentCapturable { intent_id }
            | Effect::IntentCaptured { intent_id, .. }
                if cancelled(payment, intent_id) => {}
            Effect::IntentSucceeded { intent_id } => {
                if move_except(&[Authorization, Charge], intent_id, Success, &[]) {
                    status = Some(("succeeded".into(), "succeeded".into()));
                }
            }
            Effect::IntentCapturable { intent_id } => {
                if move_except(&[Authorization], intent_id, Success, &[]) {
                    status = Some(("requires_capture".into(), "requires_capture".into()));
                }
            }
            // Settled by the lookup the event triggers, which also records the PaymentIntent.
            Effect::CheckoutChanged { .. } => {}
            // Where the customer confirms in the browser (or on the hosted page) a declined
            // attempt is not final: they may pay with another card, and lookups go on.
            Effect::IntentFailed { intent_id, code, message } => {
                if move_except(&[Authorization, Charge], intent_id, Failure, confirmed_by_customer) {
                    let code = code.clone().unwrap_or_else(|| "payment_failed".into());
                    status = Some((code.clone(), message.clone().unwrap_or(code)));
                }
            }
            Effect::IntentCanceled { intent_id } => {
                let cancelled = move_except(&[CancelAuthorization], intent_id, Success, &[]);
                // An authorization, or a direct charge the customer never paid, is abandoned.
                if move_except(&[Authorization, Charge], intent_id, Failure, &[]) || cancelled {
                    status = Some(("canceled".into(), "canceled".into()));
                }
                // Cancelled at Stripe, not by a CancelAuthorization of ours (it expired after
                // seven days, or someone cancelled it in the dashboard): recorded as one, so that
                // nothing more is captured from it.
                if let Some(cancel) = released_rest(payment, intent_id) {
                    status = Some(("canceled".into(), "canceled".into()));
                    additions.push(cancel);
                }
            }
            Effect::RefundedElsewhere { intent_id, refund_id, amount, currency } => {
                // One of ours after all (its metadata was lost): it settled.
                move_except(&[Refund], refund_id, Success, &[]);
                // While one of ours has no id yet it may be this one: see `must_wait`.
                let new = owns_intent(payment, intent_id)
                    && !knows(payment, refund_id)
                    && !in_flight(payment, Refund, open);
                match in_cents(payment, currency, *amount) {
                    Some(money) if new => additions.push(recorded(Refund, money, refund_id, Success)),
                    None if new => unrecordable.push(format!("refund {refund_id} of {amount} {currency}")),
                    _ => {}
                }
            }
            Effect::RefundSettled { refund_id, succeeded } => {
                move_except(&[Refund], refund_id, if *succeeded { Success } else { Failure }, &[]);
            }
            Effect::DisputeOpened { intent_id, dispute_id, amount, currency } => {
                let new = owns_intent(payment, intent_id) && !knows(payment, dispute_id);
                match in_cents(payment, currency, *amount) {
                    Some(money) if new => {
                        additions.push(recorded(Chargeback, money, dispute_id, TransactionState::Pending))
                    }
                    None if new => unrecordable.push(format!("dispute {dispute_id} of {amount} {currency}")),
                    _ => {}
                }
            }
            // A lost dispute returned the money to the customer; a won one did not. A close
            // told before the opening records the Chargeback in its final state.
            Effect::DisputeClosed { intent_id, dispute_id, lost, amount, currency } => {
                let state = if *lost { Success } else { Failure };
                move_except(&[Chargeback], dispute_id, state, &[]);
                let new = owns_intent(payment, intent_id) && !knows(payment, dispute_id);
                match amount.map(|amount| (amount, in_cents(payment, currency, amount))) {
                    Some((_, Some(money))) if new => {
                        additions.push(recorded(Chargeback, money, dispute_id, state))
                    }
                    Some((amount, None)) if new => {
                        unrecordable.push(format!("dispute {dispute_id} of {amount} {currency}"))
                    }
                    _ => {}
                }
            }
            // Captured at the provider beyond what the charges record (a capture in Stripe's
            // dashboard): a Charge records the difference, so that it can be refunded.
            Effect::IntentCaptured { intent_id, amount, currency } => {
                if authorized_on(payment, intent_id, owner) && in_cents(payment, currency, *amount).is_none()
                {
                    unrecordable.push(format!("capture on {intent_id} of {amount} {currency}"));
                }
                let uncaptured = uncaptured_elsewhere(payment, intent_id, owner, currency, *amount);
                if let (false, Some(difference)) = (in_flight(payment, Charge, open), uncaptured) {
                    additions.push(recorded(Charge, difference, intent_id, Success));
                    // Told by payment_intent.succeeded.
                    status = Some(("succeeded".into(), "succeeded".into()));
                }
            }
        }
    }
    actions.extend(additions);
    if let Some((code, text)) = status {
        actions.push(PaymentUpdateAction::SetStatusInterfaceCode { interface_code: Some(code) });
        actions.push(PaymentUpdateAction::SetStatusInterfaceText { interface_text: Some(text) });
    }
    Applied { actions, unrecordable }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actions::test_support::create;
    use serde_json::json;

    /// A payment confirmed with a payment method the shop sent (not by the customer's browser).
    fn payment(state: &str) -> Payment {
        create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 100},
            "paymentMethodInfo": {"token": {"value": "pm_1"}}, "transactions": [
            {"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": state, "interactionId": "pi_1"}
        ]}))
        .unwrap()
    }

    #[test]
    fn charges_queued_behind_authorizations_that_all_failed_fail() {
        let with = |authorization: &str| {
            create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 100}, "transactions": [
                {"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": authorization},
                {"type": "Charge", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": "Initial"}
            ]}))
            .unwrap()
        };
        assert_eq!(orphaned_charges(&with("Failure")).len(), 1);
        assert!(orphaned_charges(&with("Pending")).is_empty(), "it may still succeed");
        assert!(orphaned_charges(&with("Success")).is_empty(), "it is captured");
        let direct =
            create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 100}, "transactions": [
            {"type": "Charge", "amount": {"currencyCode": "EUR", "centAmount": 100}, "state": "Initial"}]}))
            .unwrap();
        assert!(orphaned_charges(&direct).is_empty(), "a direct charge waits for no authorization");
    }

    #[test]
    fn the_transition_table() {
        use TransactionState::*;
        assert!(allowed(Initial, Success) && allowed(Pending, Failure) && allowed(Failure, Success));
        assert!(
            !allowed(Success, Failure)
                && !allowed(Success, Pending)
                && !allowed(Pending, Initial)
                && !allowed(Failure, Pending)
        );
    }

    #[test]
    fn late_failures_never_undo_a_success_but_a_success_corrects_a_failure() {
        let failed = Effect::IntentFailed { intent_id: "pi_1".into(), code: None, message: None };
        assert!(actions(&payment("Success"), std::slice::from_ref(&failed), None, &[], &[]).is_empty());
        assert_eq!(
            actions(&payment("Pending"), &[failed], None, &[], &[]).len(),
            3,
            "the state, and the status"
        );
        let failed_payment = payment("Failure");
        let owner = failed_payment.transactions[0].id.clone();
        let succeeded = [Effect::IntentSucceeded { intent_id: "pi_1".into() }];
        let corrected = actions(&failed_payment, &succeeded, Some(&owner), &[], &[]);
        assert!(
            matches!(corrected.as_slice(), [
            PaymentUpdateAction::ChangeTransactionState { .. },
            PaymentUpdateAction::SetStatusInterfaceCode { interface_code: Some(code) },
            PaymentUpdateAction::SetStatusInterfaceText { .. }
        ] if code == "succeeded"),
            "the owner is corrected: {corrected:?}"
        );
        assert!(
            actions(&failed_payment, &succeeded, None, &[], &[]).is_empty(),
            "another transaction on the intent is not"
        );
        let other = [Effect::IntentSucceeded { intent_id: "pi_other".into() }];
        assert!(actions(&payment("Pending"), &other, None, &[], &[]).is_empty());
    }

    #[test]
    fn events_older_than_our_cancel_are_ignored() {
        let mut abandoned = payment("Failure");
        let owner = abandoned.transactions[0].id.clone();
        let mut cancel = abandoned.transactions[0].clone();
        cancel.id = "cancel".into();
        cancel.kind = TransactionType::CancelAuthorization;
        cancel.state = TransactionState::Success;
        abandoned.transactions.push(cancel);
        for late in [
            Effect::IntentCapturable { intent_id: "pi_1".into() },
            Effect::IntentSucceeded { intent_id: "pi_1".into() },
            Effect::IntentCaptured { intent_id: "pi_1".into(), amount: 100, currency: "eur".into() },
        ] {
            assert!(
                actions(&abandoned, &[late], Some(&owner), &[], &[]).is_empty(),
                "the PaymentIntent is cancelled"
            );
        }
    }

    #[test]
    fn a_decline_in_the_customers_browser_is_not_final() {
        // Whatever token the payment has by now: the PaymentIntent was made for the browser.
        let pending = payment("Pending");
        let in_the_browser = [pending.transactions[0].id.clone()];
        let failed = Effect::IntentFailed { intent_id: "pi_1".into(), code: None, message: None };
        assert!(actions(&pending, std::slice::from_ref(&failed), None, &[], &in_the_browser).is_empty());
        assert!(!actions(&pending, &[failed], None, &[], &[]).is_empty(), "confirmed with the shop's card");
        let canceled = [Effect::IntentCanceled { intent_id: "pi_1".into() }];
        assert!(
            !actions(&pending, &canceled, None, &[], &in_the_browser).is_empty(),
            "a cancelled one is abandoned all the same"
        );
    }

    #[test]
    fn what_happened_only_at_stripe_is_recorded() {
        let authorized = payment("Success");
        let canceled = [Effect::IntentCanceled { intent_id: "pi_1".into() }];
        let added = actions(&authorized, &canceled, None, &[], &[]);
        assert!(
            matches!(added.as_slice(), [PaymentUpdateAction::AddTransaction { transaction }, ..]
                if transaction.kind == TransactionType::CancelAuthorization),
            "an authorization that expired at Stripe: {added:?}"
        );
        let refunded = [Effect::RefundedElsewhere {
            intent_id: "pi_1".into(),
            refund_id: "re_1".into(),
            amount: 40,
            currency: "eur".into(),
        }];
        let added = actions(&authorized, &refunded, None, &[], &[]);
        assert!(
            matches!(added.as_slice(), [PaymentUpdateAction::AddTransaction { transaction }]
                if transaction.kind == TransactionType::Refund && transaction.amount.cent_amount() == 40),
            "a refund made in the dashboard: {added:?}"
        );
        let mut in_flight = authorized.clone();
        in_flight.transactions.push(in_flight.transactions[0].clone());
        in_flight.transactions[1].kind = TransactionType::Refund;
        in_flight.transactions[1].interaction_id = None;
        in_flight.transactions[1].state = TransactionState::Pending;
        let open = [in_flight.transactions[1].id.clone()];
        assert!(
            actions(&in_flight, &refunded, None, &open, &[]).is_empty(),
            "it may be our own, not written back yet"
        );
        assert_eq!(
            actions(&in_flight, &refunded, None, &[], &[]).len(),
            1,
            "a refund without an operation is not ours"
        );
    }

    #[test]
    fn a_cancel_at_stripe_after_partial_captures_records_what_it_released() {
        let mut captured_in_part = payment("Success");
        captured_in_part.transactions.push(captured_in_part.transactions[0].clone());
        captured_in_part.transactions[1].kind = TransactionType::Charge;
        captured_in_part.transactions[1].amount =
            Money::cent(captured_in_part.amount_planned.currency().clone(), 30).unwrap();
        let canceled = [Effect::IntentCanceled { intent_id: "pi_1".into() }];
        let added = actions(&captured_in_part, &canceled, None, &[], &[]);
        assert!(
            matches!(added.as_slice(), [PaymentUpdateAction::AddTransaction { transaction }, ..]
                if transaction.kind == TransactionType::CancelAuthorization && transaction.amount.cent_amount() == 70),
            "{added:?}"
        );
    }

    #[test]
    fn a_dispute_closed_before_it_was_opened_is_recorded_as_it_ended() {
        let closed = Effect::DisputeClosed {
            intent_id: "pi_1".into(),
            dispute_id: "dp_1".into(),
            lost: true,
            amount: Some(100),
            currency: "eur".into(),
        };
        let added = actions(&payment("Success"), &[closed], None, &[], &[]);
        assert!(
            matches!(added.as_slice(), [PaymentUpdateAction::AddTransaction { transaction }]
                if transaction.kind == TransactionType::Chargeback && transaction.state == Some(TransactionState::Success)),
            "{added:?}"
        );
    }

    #[test]
    fn a_capture_made_elsewhere_is_recorded_unless_ours_may_be_it() {
        let captured =
            [Effect::IntentCaptured { intent_id: "pi_1".into(), amount: 100, currency: "eur".into() }];
        let authorized = payment("Success");
        let added = actions(&authorized, &captured, None, &[], &[]);
        assert!(
            matches!(added.as_slice(), [
                PaymentUpdateAction::AddTransaction { transaction },
                PaymentUpdateAction::SetStatusInterfaceCode { interface_code: Some(code) },
                PaymentUpdateAction::SetStatusInterfaceText { .. }
            ] if transaction.kind == TransactionType::Charge && transaction.amount.cent_amount() == 100 && code == "succeeded"),
            "a capture made in the dashboard, with the PaymentIntent's status: {added:?}"
        );
        assert!(!must_wait(&authorized, &captured, None, &[]));
        let mut ours = authorized.clone();
        ours.transactions.push(ours.transactions[0].clone());
        ours.transactions[1].kind = TransactionType::Charge;
        assert!(actions(&ours, &captured, None, &[], &[]).is_empty(), "our own capture, recorded");
        ours.transactions[1].interaction_id = None;
        ours.transactions[1].state = TransactionState::Initial;
        let open = [ours.transactions[1].id.clone()];
        assert!(actions(&ours, &captured, None, &open, &[]).is_empty());
        assert!(must_wait(&ours, &captured, None, &open), "ours is on its way and may be this one");
        assert!(
            !must_wait(&ours, &captured, None, &[]),
            "a charge without an open operation is not on its way"
        );
    }

    #[test]
    fn a_refund_made_elsewhere_waits_while_ours_has_no_id() {
        let refunded = [Effect::RefundedElsewhere {
            intent_id: "pi_1".into(),
            refund_id: "re_1".into(),
            amount: 40,
            currency: "eur".into(),
        }];
        let mut in_flight = payment("Success");
        assert!(!must_wait(&in_flight, &refunded, None, &[]));
        in_flight.transactions.push(in_flight.transactions[0].clone());
        in_flight.transactions[1].kind = TransactionType::Refund;
        in_flight.transactions[1].interaction_id = None;
        in_flight.transactions[1].state = TransactionState::Initial;
        let open = [in_flight.transactions[1].id.clone()];
        assert!(must_wait(&in_flight, &refunded, None, &open));
        in_flight.transactions[1].interaction_id = Some("re_1".into());
        assert!(!must_wait(&in_flight, &refunded, None, &open), "it was ours");
    }

    #[test]
    fn amounts_the_currency_cannot_hold_are_reported_not_recorded() {
        let refunded = |intent: &str, amount: i64, currency: &str| Effect::RefundedElsewhere {
            intent_id: intent.into(),
            refund_id: "re_1".into(),
            amount,
            currency: currency.into(),
        };
        let payment = payment("Success");
        let apply = |effect: Effect| apply(&payment, &[effect], None, &[], &[]);
        assert!(apply(refunded("pi_1", 40, "eur")).unrecordable.is_empty());
        let foreign_currency = apply(refunded("pi_1", 40, "usd"));
        assert!(foreign_currency.actions.is_empty());
        assert_eq!(foreign_currency.unrecordable, vec!["refund re_1 of 40 usd".to_owned()]);
        assert!(apply(refunded("pi_other", 40, "usd")).unrecordable.is_empty(), "none of its business");
        let no_amount = apply(Effect::DisputeOpened {
            intent_id: "pi_1".into(),
            dispute_id: "dp_1".into(),
            amount: 0,
            currency: "EUR".into(),
        });
        assert!(no_amount.actions.is_empty(), "no Chargeback of nothing");
        assert_eq!(no_amount.unrecordable.len(), 1);
        // The close of an inquiry an earlier version recorded settles its Chargeback.
        let mut inquired = payment.clone();
        inquired.transactions.push(inquired.transactions[0].clone());
        inquired.transactions[1].kind = TransactionType::Chargeback;
        inquired.transactions[1].state = TransactionState::Pending;
        inquired.transactions[1].interaction_id = Some("dp_1".into());
        let closed = Effect::DisputeClosed {
            intent_id: "pi_1".into(),
            dispute_id: "dp_1".into(),
            lost: false,
            amount: None,
            currency: "EUR".into(),
        };
        let settled = actions(&inquired, &[closed], None, &[], &[]);
        assert!(
            matches!(
                settled.as_slice(),
                [PaymentUpdateAction::ChangeTransactionState { state: TransactionState::Failure, .. }]
            ),
            "{settled:?}"
        );
    }

    #[test]
    fn a_payment_authorized_again_has_moved_on_from_the_failed_intent() {
        let mut again = payment("Failure");
        let failed = again.transactions[0].id.clone();
        assert!(!superseded(&again, &failed, "pi_1"), "nothing else holds money");
        again.transactions.push(again.transactions[0].clone());
        again.transactions[1].id = "t-2".into();
        again.transactions[1].state = TransactionState::Success;
        again.transactions[1].interaction_id = Some("pi_2".into());
        assert!(superseded(&again, &failed, "pi_1"));
        again.transactions[1].state = TransactionState::Failure;
        assert!(!superseded(&again, &failed, "pi_1"), "a second decline moves nothing on");
        again.transactions[1].state = TransactionState::Initial;
        again.transactions[1].interaction_id = None;
        assert!(superseded(&again, &failed, "pi_1"), "one being sent may hold the money too");
        // Authorized, then released (expired at Stripe, say): the payment holds nothing there.
        again.transactions[1].state = TransactionState::Success;
        again.transactions[1].interaction_id = Some("pi_2".into());
        again.transactions.push(again.transactions[1].clone());
        again.transactions[2].id = "t-3".into();
        again.transactions[2].kind = TransactionType::CancelAuthorization;
        assert!(!superseded(&again, &failed, "pi_1"), "a released authorization holds nothing");
    }

    #[test]
    fn disputes_add_one_chargeback() {
        let opened = |intent: &str| Effect::DisputeOpened {
            intent_id: intent.into(),
            dispute_id: "dp_1".into(),
            amount: 100,
            currency: "EUR".into(),
        };
        let added = actions(&payment("Success"), &[opened("pi_1")], None, &[], &[]);
        assert!(matches!(added.as_slice(), [PaymentUpdateAction::AddTransaction { .. }]));
    }

    /// Metadata naming the payment is no proof: a refund or dispute of a PaymentIntent the
    /// payment never authorized or charged on records nothing.
    #[test]
    fn refunds_and_disputes_of_another_intent_change_nothing() {
        let foreign = [
            Effect::RefundedElsewhere {
                intent_id: "pi_foreign".into(),
                refund_id: "re_x".into(),
                amount: 40,
                currency: "eur".into(),
            },
            Effect::DisputeOpened {
                intent_id: "pi_foreign".into(),
                dispute_id: "dp_x".into(),
                amount: 100,
                currency: "EUR".into(),
            },
            Effect::DisputeClosed {
                intent_id: "pi_foreign".into(),
                dispute_id: "dp_y".into(),
                lost: true,
                amount: Some(100),
                currency: "EUR".into(),
            },
        ];
        assert!(actions(&payment("Success"), &foreign, None, &[], &[]).is_empty());
    }
}
