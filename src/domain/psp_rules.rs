//! Amount rules for payments a PSP executes, checked before anything is sent: never capture
//! more than was authorized, never refund more than was captured (less what a lost dispute
//! already returned), no capture after a cancel, and one live provider payment per payment:
//! one authorization captured in parts, or one direct charge, so that every capture, refund
//! and cancel has exactly one PaymentIntent to go to. An authorization that was released (its
//! PaymentIntent cancelled before anything was captured) holds nothing, and a new one may
//! follow it.

use super::errors::DomainError;
use super::payment::{Payment, Transaction, TransactionState, TransactionType};

/// Totals are summed wide, so that no sum of amounts can wrap or saturate past a limit.
fn total(payment: &Payment, kind: TransactionType, counts: impl Fn(TransactionState) -> bool) -> i128 {
    sum(payment.transactions.iter().filter(|t| t.kind == kind && counts(t.state)))
}

fn sum<'a>(transactions: impl Iterator<Item = &'a Transaction>) -> i128 {
    transactions.map(|t| i128::from(t.amount.cent_amount())).sum()
}

fn not_failed(state: TransactionState) -> bool {
    state != TransactionState::Failure
}

/// The transactions recorded on the authorization's PaymentIntent that did not fail.
fn on_its_intent<'a>(
    payment: &'a Payment,
    authorization: &'a Transaction,
) -> impl Iterator<Item = &'a Transaction> {
    payment
        .transactions
        .iter()
        .filter(move |t| t.interaction_id == authorization.interaction_id && not_failed(t.state))
}

/// Whether `transaction` is a cancel, not failed, of the PaymentIntent `intent_id` (one not sent
/// yet has no id, and is of the PaymentIntent the payment has).
pub fn is_cancel_of(transaction: &Transaction, intent_id: Option<&str>) -> bool {
    transaction.kind == TransactionType::CancelAuthorization
        && not_failed(transaction.state)
        && transaction.interaction_id.as_deref().is_none_or(|id| Some(id) == intent_id)
}

/// A succeeded authorization with a PaymentIntent.
fn is_provider_authorization(transaction: &Transaction) -> bool {
    transaction.kind == TransactionType::Authorization
        && transaction.state == TransactionState::Success
        && transaction.interaction_id.is_some()
}

/// Whether `authorization` succeeded and was then released: a successful cancel of its
/// PaymentIntent (ours, its expiry, or the dashboard's), before anything was captured from it,
/// left nothing to capture.
pub fn is_released(payment: &Payment, authorization: &Transaction) -> bool {
    is_provider_authorization(authorization)
        && on_its_intent(payment, authorization)
            .any(|t| t.kind == TransactionType::CancelAuthorization && t.state == TransactionState::Success)
        && !on_its_intent(payment, authorization).any(|t| t.kind == TransactionType::Charge)
}

/// An authorization that has neither failed nor been released (one still being sent counts).
pub fn is_live(payment: &Payment, transaction: &Transaction) -> bool {
    transaction.kind == TransactionType::Authorization
        && not_failed(transaction.state)
        && !is_released(payment, transaction)
}

/// An authorization captured in part whose PaymentIntent still holds the rest (multicapture),
/// with that rest: only a cancel releases it.
pub fn captured_in_part(payment: &Payment) -> Option<(&Transaction, i128)> {
    payment.transactions.iter().filter(|t| is_provider_authorization(t)).find_map(|authorization| {
        let of_kind = |kind| on_its_intent(payment, authorization).filter(move |t| t.kind == kind);
        let captured = sum(of_kind(TransactionType::Charge));
        let rest = i128::from(authorization.amount.cent_amount()) - captured;
        let holds_rest =
            of_kind(TransactionType::CancelAuthorization).next().is_none() && captured > 0 && rest > 0;
        holds_rest.then_some((authorization, rest))
    })
}

/// The authorizations whose money the provider holds in full: succeeded, and nothing captured
/// from or cancelled on their PaymentIntent (or being so).
pub fn holding_in_full(payment: &Payment) -> impl Iterator<Item = &Transaction> {
    payment.transactions.iter().filter(|authorization| {
        is_provider_authorization(authorization)
            && !on_its_intent(payment, authorization)
                .any(|t| matches!(t.kind, TransactionType::Charge | TransactionType::CancelAuthorization))
    })
}

/// The payment's successful transaction of `kind` that has a provider object, if any; an
/// authorization released since (cancelled at the provider) is not one.
pub fn successful(payment: &Payment, kind: TransactionType) -> Option<&Transaction> {
    payment.transactions.iter().find(|t| {
        t.kind == kind
            && t.state == TransactionState::Success
            && t.interaction_id.is_some()
            && !is_released(payment, t)
    })
}

fn refuse(message: &str) -> Result<(), DomainError> {
    Err(DomainError::InvalidOperation(message.into()))
}

pub fn check(payment: &Payment) -> Result<(), DomainError> {
    // The provider reads captures and refunds in the payment's currency.
    let currency = payment.amount_planned.currency();
    if payment.transactions.iter().any(|t| t.amount.currency() != currency) {
        return refuse("Every transaction must be in the currency of amountPlanned.");
    }
    let initial =
        |kind| payment.transactions.iter().any(|t| t.kind == kind && t.state == TransactionState::Initial);
    let live: Vec<&Transaction> = payment.transactions.iter().filter(|t| is_live(payment, t)).collect();
    let authorized = sum(live.iter().copied());
    let captured = total(payment, TransactionType::Charge, not_failed);
    // Refunds go to the PaymentIntent of the first successful capture (`psp::plan`), so only
    // what was captured there can be refunded: a Charge a client recorded by hand moved no
    // money at the provider.
    let is_capture = |t: &&Transaction| {
        t.kind == TransactionType::Charge
            && t.state == TransactionState::Success
            && t.interaction_id.is_some()
    };
    let refund_intent =
        payment.transactions.iter().find(is_capture).and_then(|t| t.interaction_id.as_deref());
    let captured_at_provider = sum(payment
        .transactions
        .iter()
        .filter(is_capture)
        .filter(|t| t.interaction_id.as_deref() == refund_intent));
    let refunded = total(payment, TransactionType::Refund, not_failed);
    // The live authorization (there is at most one), and its cancels: one sent already names
    // its PaymentIntent, one not sent yet is of it. A cancel that abandoned or released an
    // earlier authorization does not count for the next one.
    let active = live.first().copied();
    // What a cancel releases: the live authorization, or else a direct charge the customer has
    // not paid yet (Pending at the provider), whose PaymentIntent is abandoned the same way.
    let unpaid_charge = || {
        let tried_to_authorize =
            payment.transactions.iter().any(|t| t.kind == TransactionType::Authorization);
        let charges: Vec<&Transaction> = payment
            .transactions
            .iter()
            .filter(|t| t.kind == TransactionType::Charge && not_failed(t.state))
            .collect();
        match charges.as_slice() {
            [only]
                if !tried_to_authorize
                    && only.state == TransactionState::Pending
                    && only.interaction_id.is_some() =>
            {
                Some(*only)
            }
            _ => None,
        }
    };
    let target = active.or_else(unpaid_charge);
    let active_intent = target.and_then(|a| a.interaction_id.as_deref());
    let active_cancels: Vec<&Transaction> =
        payment.transactions.iter().filter(|t| is_cancel_of(t, active_intent)).collect();
    let released = payment.transactions.iter().any(|t| is_released(payment, t));
    let cancelled = !active_cancels.is_empty() || (active.is_none() && released);
    let count = |kind| payment.transactions.iter().filter(|t| t.kind == kind && not_failed(t.state)).count();
    // Sent already: a Charge in the same request as an Authorization is its capture.
    let sent = |kind| {
        payment
            .transactions
            .iter()
            .any(|t| t.kind == kind && not_failed(t.state) && t.state != TransactionState::Initial)
    };
    let direct_charge = !sent(TransactionType::Authorization) && sent(TransactionType::Charge);
    if initial(TransactionType::Authorization) && direct_charge {
        return refuse("The payment was charged directly; it cannot be authorized as well.");
    }
    if initial(TransactionType::Authorization) && live.len() > 1 {
        return refuse(
            "The payment has an authorization already: capture it in parts, or add another once it failed.",
        );
    }
    if live.is_empty() && !released && initial(TransactionType::Charge) && count(TransactionType::Charge) > 1
    {
        return refuse(
            "The payment was charged already: without an authorization it is charged once (authorize to capture in parts).",
        );
    }
    // Captures go one at a time: where Stripe cannot capture in parts (multicapture not asked
    // for, or not available for the card) the first capture is final and releases the rest, so
    // a second one sent beside it would find nothing left to capture. (A Charge recorded by
    // hand as Pending, without a provider id, is no capture.)
    let is_capturing = |t: &Transaction| {
        t.kind == TransactionType::Charge
            && (t.state == TransactionState::Initial
                || (t.state == TransactionState::Pending && t.interaction_id.is_some()))
    };
    let capturing = payment.transactions.iter().filter(|t| is_capturing(t)).count();
    if active.is_some() && initial(TransactionType::Charge) && capturing > 1 {
        return refuse("A capture is under way: add the next Charge once it has settled.");
    }
    if active.is_some() && captured > authorized {
        return refuse("The captured amount would exceed the authorized amount.");
    }
    let authorization_succeeded = active.is_some_and(|a| a.state == TransactionState::Success);
    // After partial captures a cancel releases the rest (multicapture), once no capture is
    // under way: a cancel would fail a capture Stripe may still make. (A cancel asked for after
    // the capture is told so here; a capture asked for after a cancel, by the rule below.)
    let last_cancel = payment.transactions.iter().rposition(|t| {
        t.kind == TransactionType::CancelAuthorization && t.state == TransactionState::Initial
    });
    let last_capture = payment.transactions.iter().rposition(is_capturing);
    if last_cancel > last_capture && authorization_succeeded && capturing > 0 {
        return refuse("A capture is under way: cancel what is left once it has settled.");
    }
    // Charges queued behind an authorization still waiting for the customer fail with it.
    if cancelled && initial(TransactionType::Charge) && (authorization_succeeded || active.is_none()) {
        return refuse("The authorization was cancelled; nothing can be captured any more.");
    }
    if initial(TransactionType::CancelAuthorization) {
        if target.is_none() {
            return refuse(
                "There is nothing to cancel: no authorization, and no direct Charge still waiting for the customer.",
            );
        }
        // (A Charge queued behind an authorization that has not succeeded captures nothing;
        // it fails once the authorization is abandoned.)
        if active_intent.is_none() {
            return refuse(
                "The authorization has not reached the provider yet; cancel it once its outcome is known.",
            );
        }
        if active_cancels.len() > 1 {
            return refuse("The authorization is cancelled already.");
        }
    }
    let cancels = sum(active_cancels.iter().copied());
    // What is left of the authorization (all of it, unless parts were captured), or the
    // unpaid charge.
    // (Charges queued behind an authorization that has not succeeded captured nothing.)
    let captured_from_it = total(payment, TransactionType::Charge, |s| s == TransactionState::Success);
    let to_release = if active.is_some() { authorized - captured_from_it } else { sum(target.into_iter()) };
    if initial(TransactionType::CancelAuthorization) && to_release <= 0 {
        return refuse("Nothing is left to release: the authorization was captured in full.");
    }
    if initial(TransactionType::CancelAuthorization) && cancels != to_release {
        return refuse(
            "A cancel releases what is left of the authorization (all of it, less what was captured), or the unpaid charge: its amount must be that amount.",
        );
    }
    // A lost dispute returned that money to the customer already; an open one holds it (Stripe
    // refuses refunds of a disputed charge).
    let charged_back = total(payment, TransactionType::Chargeback, not_failed);
    if initial(TransactionType::Refund) && refunded + charged_back > captured_at_provider {
        return refuse("The refunded amount would exceed the captured amount (less lost disputes).");
    }
    Ok(())
}

/// What the provider executes for a payment: the transactions that have a provider operation,
/// and those of them whose operation is still open.
#[derive(Debug, Clone, Copy)]
pub struct Executed<'a> {
    pub transactions: &'a [String],
    pub open: &'a [String],
}

/// What a client may not change on a payment the provider executes.
/// - The state and interactionId of what the provider answered or reported: a transaction it
///   executes, one recorded on its PaymentIntents (a cancel, or a capture, made at Stripe), and
///   a Chargeback (marking a refund still under way Failure and refunding again would pay
///   twice; marking a recorded cancel Failure would make a cancelled PaymentIntent look live).
///   A transaction whose operation was closed without any answer (no provider object known,
///   left to be reconciled by hand) is the client's to settle.
/// - A transaction of its own that names the provider's PaymentIntents, a cancel it records
///   itself, or an interactionId on a transaction to be sent (the adapter would take it for the
///   provider's and look it up instead of sending): each could release an authorization Stripe
///   still holds, or record money that never moved.
/// - A transaction the provider executed, sent again (set back to Initial).
/// - The connected account once a PaymentIntent exists (it lives there) or may be coming.
pub fn check_client_change(
    before: &Payment,
    after: &Payment,
    executed: &Executed,
) -> Result<(), DomainError> {
    let is_executed = |t: &Transaction| executed.transactions.contains(&t.id);
    // Closed without ever learning the provider's object: only then is it the client's. (One
    // the provider knows may still move, and its events still come.)
    let abandoned = |t: &Transaction| {
        is_executed(t)
            && t.state.is_unsettled()
            && !executed.open.contains(&t.id)
            && t.interaction_id.is_none()
    };
    let intents: Vec<&str> = before
        .transactions
        .iter()
        .filter(|t| is_executed(t))
        .filter_map(|t| t.interaction_id.as_deref())
        .collect();
    let on_intent = |t: &Transaction| t.interaction_id.as_deref().is_some_and(|id| intents.contains(&id));
    let providers = |t: &Transaction| {
        (is_executed(t) || on_intent(t) || t.kind == TransactionType::Chargeback) && !abandoned(t)
    };
    let refused = |transaction: &Transaction, why: &str| {
        Err(DomainError::InvalidOperation(format!("Transaction '{}' {why}", transaction.id)))
    };
    for transaction in &after.transactions {
        let was = before.transactions.iter().find(|t| t.id == transaction.id);
        let changed =
            |w: &Transaction| w.state != transaction.state || w.interaction_id != transaction.interaction_id;
        let new_id = was.is_none_or(|w| w.interaction_id != transaction.interaction_id);
        match was {
            Some(was)
                if is_executed(was)
                    && transaction.state == TransactionState::Initial
                    && was.state != TransactionState::Initial =>
            {
                return refused(transaction, "was sent to the payment service provider already and cannot be sent again: add a new transaction.");
            }
            Some(was) if providers(was) && changed(was) => {
                return refused(transaction, "records what the payment service provider did: its state and interactionId are the provider's. To abandon an authorization, add a CancelAuthorization.");
            }
            _ if transaction.state == TransactionState::Initial
                && new_id
                && transaction.interaction_id.is_some() =>
            {
                return refused(transaction, "is sent to the payment service provider, which sets its interactionId: add it without one.");
            }
            _ if transaction.state != TransactionState::Initial && new_id && on_intent(transaction) => {
                return refused(transaction, "names a PaymentIntent the payment service provider executes; what happens to it is recorded by the provider.");
            }
            None if transaction.kind == TransactionType::CancelAuthorization
                && transaction.state != TransactionState::Initial
                && !intents.is_empty() =>
            {
                return refused(transaction, "records a cancel the payment service provider did not make: add a CancelAuthorization in state Initial to have it made.");
            }
            _ => {}
        }
    }
    // (An operation still open may be creating a PaymentIntent there now.)
    if (!intents.is_empty() || !executed.open.is_empty())
        && before.payment_method_info.interface_account != after.payment_method_info.interface_account
    {
        return refuse(
            "paymentMethodInfo.interfaceAccount cannot be changed once the payment service provider holds a payment on it.",
        );
    }
    Ok(())
}

/// What a client may add to a payment the provider executes (`executed`: the transactions it
/// executes and those of them still open; `to_send`: the ids this write sends).
/// - A Chargeback is the provider's to report (from a dispute): one a client adds must be
///   settled already. Nothing would ever settle an Initial or Pending one, and its state is the
///   provider's, so the client could not settle it either.
/// - While the provider holds an authorization of ours (or is about to), a capture is made by
///   adding a Charge in state Initial: one recorded by hand would count as captured, blocking
///   the real capture and the cancel of money Stripe still holds.
/// - A capture waits for an authorization under way at the provider (it has a provider id, or
///   its operation is open or starts with this write). One that is not (recorded by hand as
///   Pending, left Initial while the adapter was off, or ours abandoned without an answer)
///   would keep it waiting for ever, so such a Charge is refused.
pub fn check_added<'a>(
    payment: &Payment,
    executed: &Executed,
    to_send: &[&str],
    added: impl IntoIterator<Item = &'a Transaction>,
) -> Result<(), DomainError> {
    // Worked out only for a Charge recorded by hand, not on every write.
    let ours_held = || {
        payment.transactions.iter().any(|t| {
            is_live(payment, t)
                && (t.state == TransactionState::Initial || executed.transactions.contains(&t.id))
        })
    };
    let waits_in_vain = || {
        let under_way = |t: &Transaction| {
            t.interaction_id.is_some() || executed.open.contains(&t.id) || to_send.contains(&t.id.as_str())
        };
        let mut unsettled = payment
            .transactions
            .iter()
            .filter(|t| t.kind == TransactionType::Authorization && t.state.is_unsettled())
            .peekable();
        successful(payment, TransactionType::Authorization).is_none()
            && unsettled.peek().is_some()
            && !unsettled.any(under_way)
    };
    for transaction in added {
        let refused =
            |why: &str| Err(DomainError::InvalidOperation(format!("Transaction '{}' {why}", transaction.id)));
        if transaction.kind == TransactionType::Chargeback && transaction.state.is_unsettled() {
            return refused("is a Chargeback the payment service provider would never report on: chargebacks come from its disputes, and one recorded by hand must be Success or Failure.");
        }
        if transaction.kind == TransactionType::Charge
            && transaction.state != TransactionState::Initial
            && ours_held()
        {
            return refused("records a capture the payment service provider did not make while it holds the authorization: add the Charge in state Initial to have it captured.");
        }
        if transaction.kind == TransactionType::Charge
            && transaction.state == TransactionState::Initial
            && waits_in_vain()
        {
            return refused("would capture an Authorization the payment service provider is not making (recorded by hand, or never sent), so it would wait for ever: a capture needs an authorization the provider made. Settle that Authorization, then add one in state Initial.");
        }
    }
    Ok(())
}

/// A transaction to be sent to the provider carries no interactionId: the adapter would take
/// it for the provider's answer and look it up instead of sending it. Checked for every
/// transaction about to get an operation, however it came to be sent (added, created, or on a
/// payment that only now names the provider).
pub fn check_to_send<'a>(to_send: impl IntoIterator<Item = &'a Transaction>) -> Result<(), DomainError> {
    match to_send.into_iter().find(|t| t.interaction_id.is_some()) {
        Some(transaction) => Err(DomainError::InvalidOperation(format!(
            "Transaction '{}' is sent to the payment service provider, which sets its interactionId: add it without one.",
            transaction.id
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::actions::test_support::create;
    use serde_json::json;

    fn payment(transactions: serde_json::Value) -> Payment {
        create(json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": 1000}, "transactions": transactions})).unwrap()
    }

    fn tx(kind: &str, cents: i64, state: &str) -> serde_json::Value {
        json!({"type": kind, "amount": {"currencyCode": "EUR", "centAmount": cents}, "state": state})
    }

    /// A capture the provider made, on PaymentIntent `pi_1`.
    fn captured(cents: i64) -> serde_json::Value {
        let mut charge = tx("Charge", cents, "Success");
        charge["interactionId"] = json!("pi_1");
        charge
    }

    #[test]
    fn an_authorization_is_held_in_full_until_something_is_captured_or_cancelled_on_it() {
        let on = |kind: &str, state: &str, intent: &str| {
            let mut t = tx(kind, 1000, state);
            t["interactionId"] = json!(intent);
            t
        };
        let held = |transactions| holding_in_full(&payment(transactions)).count();
        assert_eq!(held(json!([on("Authorization", "Success", "pi_1")])), 1);
        assert_eq!(held(json!([on("Authorization", "Pending", "pi_1")])), 0, "not held yet");
        assert_eq!(
            held(json!([tx("Authorization", 1000, "Success")])),
            0,
            "recorded by hand, no PaymentIntent"
        );
        assert_eq!(held(json!([on("Authorization", "Success", "pi_1"), on("Charge", "Success", "pi_1")])), 0);
        assert_eq!(held(json!([on("Authorization", "Success", "pi_1"), on("Charge", "Failure", "pi_1")])), 1);
        assert_eq!(
            held(json!([
                on("Authorization", "Success", "pi_1"),
                on("CancelAuthorization", "Success", "pi_1")
            ])),
            0
        );
        assert_eq!(
            held(json!([
                on("Authorization", "Success", "pi_1"),
                on("CancelAuthorization", "Success", "pi_2")
            ])),
            1,
            "a cancel counts for its own PaymentIntent"
        );
    }

    #[test]
    fn an_authorization_captured_in_part_holds_the_rest_until_it_is_cancelled() {
        let on = |kind: &str, cents: i64, state: &str| {
            let mut t = tx(kind, cents, state);
            t["interactionId"] = json!("pi_1");
            t
        };
        let rest = |transactions| captured_in_part(&payment(transactions)).map(|(_, rest)| rest);
        assert_eq!(
            rest(json!([on("Authorization", 1000, "Success"), on("Charge", 600, "Success")])),
            Some(400)
        );
        assert_eq!(
            rest(json!([on("Authorization", 1000, "Success")])),
            None,
            "held in full: released on deletion"
        );
        assert_eq!(rest(json!([on("Authorization", 1000, "Success"), on("Charge", 1000, "Success")])), None);
        assert_eq!(
            rest(json!([
                on("Authorization", 1000, "Success"),
                on("Charge", 600, "Success"),
                on("CancelAuthorization", 400, "Success")
            ])),
            None
        );
        assert_eq!(rest(json!([on("Authorization", 1000, "Success"), on("Charge", 600, "Failure")])), None);
    }

    #[test]
    fn captures_stay_within_the_authorization() {
        assert!(check(&payment(json!([
            tx("Authorization", 1000, "Success"),
            tx("Charge", 600, "Success"),
            tx("Charge", 400, "Initial")
        ])))
        .is_ok());
        assert!(check(&payment(json!([
            tx("Authorization", 1000, "Success"),
            tx("Charge", 600, "Success"),
            tx("Charge", 500, "Initial")
        ])))
        .is_err());
        assert!(
            check(&payment(json!([
                tx("Authorization", 1000, "Success"),
                tx("Charge", 1500, "Failure"),
                tx("Charge", 1000, "Initial")
            ])))
            .is_ok(),
            "failed charges do not count"
        );
        assert!(
            check(&payment(json!([tx("Charge", 5000, "Initial")]))).is_ok(),
            "a direct charge needs no authorization"
        );
    }

    #[test]
    fn captures_go_one_at_a_time() {
        let two_at_once = check(&payment(json!([
            tx("Authorization", 1000, "Initial"),
            tx("Charge", 600, "Initial"),
            tx("Charge", 400, "Initial")
        ])));
        assert!(two_at_once.is_err(), "the first capture may be final and release the rest");
        let mut at_stripe = tx("Charge", 600, "Pending");
        at_stripe["interactionId"] = json!("pi_1");
        assert!(check(&payment(json!([
            tx("Authorization", 1000, "Success"),
            at_stripe,
            tx("Charge", 400, "Initial")
        ])))
        .is_err());
        assert!(
            check(&payment(json!([
                tx("Authorization", 1000, "Success"),
                tx("Charge", 600, "Pending"),
                tx("Charge", 400, "Initial")
            ])))
            .is_ok(),
            "a Charge recorded by hand as Pending is no capture"
        );
        assert!(
            check(&payment(json!([
                tx("Authorization", 1000, "Success"),
                tx("Charge", 600, "Failure"),
                tx("Charge", 400, "Initial")
            ])))
            .is_ok(),
            "a failed capture is not under way"
        );
    }

    #[test]
    fn refunds_stay_within_what_was_captured() {
        assert!(check(&payment(json!([
            captured(1000),
            tx("Refund", 400, "Success"),
            tx("Refund", 600, "Initial")
        ])))
        .is_ok());
        assert!(check(&payment(json!([
            captured(1000),
            tx("Refund", 400, "Success"),
            tx("Refund", 601, "Initial")
        ])))
        .is_err());
        assert!(
            check(&payment(json!([
                captured(1000),
                tx("Charge", 1000, "Success"),
                tx("Refund", 1001, "Initial")
            ])))
            .is_err(),
            "a Charge recorded by hand moved no money at the provider"
        );
        assert!(
            check(&payment(json!([tx("Charge", 1000, "Pending"), tx("Refund", 100, "Initial")]))).is_err(),
            "nothing captured yet"
        );
    }

    #[test]
    fn a_payment_has_one_authorization_or_one_direct_charge() {
        assert!(check(&payment(json!([
            tx("Authorization", 600, "Success"),
            tx("Authorization", 400, "Initial")
        ])))
        .is_err());
        assert!(
            check(&payment(json!([
                tx("Authorization", 600, "Failure"),
                tx("Authorization", 600, "Initial")
            ])))
            .is_ok(),
            "a failed authorization may be tried again"
        );
        assert!(check(&payment(json!([tx("Charge", 600, "Success"), tx("Charge", 400, "Initial")]))).is_err());
        assert!(
            check(&payment(json!([tx("Charge", 600, "Success"), tx("Authorization", 400, "Initial")])))
                .is_err(),
            "charged directly, so not authorized as well"
        );
        assert!(
            check(&payment(json!([tx("Authorization", 600, "Initial"), tx("Charge", 600, "Initial")])))
                .is_ok(),
            "authorized and captured in one request"
        );
        assert!(
            check(&payment(json!([tx("Charge", 600, "Failure"), tx("Charge", 600, "Initial")]))).is_ok(),
            "a failed charge may be tried again"
        );
    }

    #[test]
    fn a_cancel_releases_the_whole_authorization() {
        assert!(check(&payment(json!([
            tx("Authorization", 1000, "Success"),
            tx("CancelAuthorization", 400, "Initial")
        ])))
        .is_err());
    }

    #[test]
    fn an_abandoned_authorization_does_not_block_the_next() {
        let mut abandoned = tx("Authorization", 1000, "Failure");
        abandoned["interactionId"] = json!("pi_old");
        let mut cancel = tx("CancelAuthorization", 1000, "Success");
        cancel["interactionId"] = json!("pi_old");
        let mut next = tx("Authorization", 1000, "Success");
        next["interactionId"] = json!("pi_new");
        let capture = check(&payment(json!([abandoned, cancel, next, tx("Charge", 1000, "Initial")])));
        assert!(capture.is_ok(), "{capture:?}");
        let release =
            check(&payment(json!([abandoned, cancel, next, tx("CancelAuthorization", 1000, "Initial")])));
        assert!(release.is_ok(), "{release:?}");
        let twice = check(&payment(json!([
            next,
            tx("CancelAuthorization", 1000, "Pending"),
            tx("CancelAuthorization", 1000, "Initial")
        ])));
        assert!(twice.is_err(), "cancelled already");
    }

    #[test]
    fn a_released_authorization_makes_way_for_a_new_one() {
        let with_intent = |mut t: serde_json::Value, intent: &str| {
            t["interactionId"] = json!(intent);
            t
        };
        let released = with_intent(tx("Authorization", 1000, "Success"), "pi_old");
        let cancel = with_intent(tx("CancelAuthorization", 1000, "Success"), "pi_old");
        let again = check(&payment(json!([released, cancel, tx("Authorization", 800, "Initial")])));
        assert!(again.is_ok(), "{again:?}");
        let capture = check(&payment(json!([released, cancel, tx("Charge", 100, "Initial")])));
        assert!(capture.is_err(), "nothing is captured from the released authorization");
        let next = with_intent(tx("Authorization", 800, "Success"), "pi_new");
        let within = check(&payment(json!([released, cancel, next, tx("Charge", 800, "Initial")])));
        assert!(within.is_ok(), "{within:?}");
        let beyond = check(&payment(json!([released, cancel, next, tx("Charge", 900, "Initial")])));
        assert!(beyond.is_err(), "the new authorization holds 800, not 1800");
        let third = check(&payment(json!([released, cancel, next, tx("Authorization", 800, "Initial")])));
        assert!(third.is_err(), "the new one is live");
        let release =
            check(&payment(json!([released, cancel, next, tx("CancelAuthorization", 800, "Initial")])));
        assert!(release.is_ok(), "{release:?}");
        let not_yet_released = with_intent(tx("CancelAuthorization", 1000, "Pending"), "pi_old");
        let early = check(&payment(json!([released, not_yet_released, tx("Authorization", 800, "Initial")])));
        assert!(early.is_err(), "only a cancel that succeeded releases an authorization");
    }

    #[test]
    fn a_client_does_not_rewrite_what_the_provider_executes() {
        let mut sent = tx("Charge", 100, "Success");
        sent["interactionId"] = json!("pi_1");
        let before = payment(json!([tx("Refund", 100, "Initial"), tx("Charge", 100, "Pending"), sent]));
        let ids: Vec<String> = before.transactions.iter().map(|t| t.id.clone()).collect();
        let (refund, recorded, charge) = (&ids[0..1], &ids[1..2], &ids[2..3]);
        let running = |transactions| Executed { transactions, open: transactions };
        let mut marked_failed = before.clone();
        marked_failed.transactions[0].state = TransactionState::Failure;
        assert!(check_client_change(&before, &marked_failed, &running(refund)).is_err());
        assert!(
            check_client_change(&before, &marked_failed, &running(recorded)).is_ok(),
            "a recorded one is the client's"
        );
        let closed = Executed { transactions: refund, open: &[] };
        assert!(
            check_client_change(&before, &marked_failed, &closed).is_ok(),
            "one whose operation was closed without an answer is settled by hand"
        );
        let mut moved = before.clone();
        moved.payment_method_info.interface_account = Some("acct_2".into());
        assert!(
            check_client_change(&before, &moved, &running(charge)).is_err(),
            "its PaymentIntent lives on the account"
        );
        assert!(
            check_client_change(&before, &moved, &running(refund)).is_err(),
            "an open operation may be creating one there now"
        );
        assert!(check_client_change(&before, &moved, &closed).is_ok(), "no PaymentIntent, none coming");
        let mut lapsed = before.clone();
        lapsed.transactions[0].state = TransactionState::Pending;
        let mut sent_again = lapsed.clone();
        sent_again.transactions[0].state = TransactionState::Initial;
        assert!(
            check_client_change(&lapsed, &sent_again, &closed).is_err(),
            "an executed transaction is not sent again (it would stay Initial for ever)"
        );
    }

    #[test]
    fn a_closed_operation_whose_object_the_provider_knows_stays_the_providers() {
        let mut pending = tx("Refund", 100, "Pending");
        pending["interactionId"] = json!("re_1");
        let before = payment(json!([tx("Charge", 100, "Success"), pending]));
        let ids = [before.transactions[1].id.clone()];
        let closed = Executed { transactions: &ids, open: &[] };
        let mut marked_failed = before.clone();
        marked_failed.transactions[1].state = TransactionState::Failure;
        assert!(
            check_client_change(&before, &marked_failed, &closed).is_err(),
            "the refund may still go through: failing it would allow a second"
        );
    }

    #[test]
    fn nothing_is_sent_with_an_interaction_id() {
        let mut named = tx("Charge", 100, "Initial");
        named["interactionId"] = json!("pi_someone_elses");
        let with_id = payment(json!([named]));
        assert!(check_to_send(&with_id.transactions).is_err());
        assert!(check_to_send(&payment(json!([tx("Charge", 100, "Initial")])).transactions).is_ok());
    }

    #[test]
    fn a_client_does_not_record_what_only_the_provider_can_tell() {
        let mut authorized = tx("Authorization", 1000, "Success");
        authorized["interactionId"] = json!("pi_1");
        let before = payment(json!([authorized, tx("Chargeback", 100, "Pending")]));
        let ids = [before.transactions[0].id.clone()];
        let executed = Executed { transactions: &ids, open: &[] };
        let with = |extra: serde_json::Value| {
            let mut after = before.clone();
            let mut added = payment(json!([extra])).transactions.remove(0);
            added.id = "added-by-the-client".into();
            after.transactions.push(added);
            after
        };
        let mut forged = tx("CancelAuthorization", 1000, "Success");
        forged["interactionId"] = json!("pi_1");
        assert!(
            check_client_change(&before, &with(forged), &executed).is_err(),
            "a cancel Stripe never made"
        );
        let mut early = tx("CancelAuthorization", 1000, "Success");
        early["interactionId"] = json!("pi_not_named_yet");
        assert!(
            check_client_change(&before, &with(early), &executed).is_err(),
            "nor on a PaymentIntent to come"
        );
        let mut with_id = tx("CancelAuthorization", 1000, "Initial");
        with_id["interactionId"] = json!("pi_1");
        assert!(
            check_client_change(&before, &with(with_id), &executed).is_err(),
            "the adapter would look it up instead of sending it"
        );
        let to_send = tx("CancelAuthorization", 1000, "Initial");
        assert!(check_client_change(&before, &with(to_send), &executed).is_ok(), "a cancel to send");
        let mut won = before.clone();
        won.transactions[1].state = TransactionState::Failure;
        assert!(check_client_change(&before, &won, &executed).is_err(), "disputes are Stripe's to tell");
    }

    #[test]
    fn an_authorization_something_was_captured_from_is_not_released() {
        let with_intent = |mut t: serde_json::Value| {
            t["interactionId"] = json!("pi_1");
            t
        };
        let captured = check(&payment(json!([
            with_intent(tx("Authorization", 1000, "Success")),
            with_intent(tx("Charge", 400, "Success")),
            with_intent(tx("CancelAuthorization", 1000, "Success")),
            tx("Authorization", 1000, "Initial")
        ])));
        assert!(captured.is_err(), "{captured:?}");
    }

    #[test]
    fn a_direct_charge_the_customer_has_not_paid_can_be_abandoned() {
        let mut unpaid = tx("Charge", 1000, "Pending");
        unpaid["interactionId"] = json!("pi_1");
        assert!(check(&payment(json!([unpaid, tx("CancelAuthorization", 1000, "Initial")]))).is_ok());
        assert!(check(&payment(json!([unpaid, tx("CancelAuthorization", 600, "Initial")]))).is_err());
        let mut paid = unpaid.clone();
        paid["state"] = json!("Success");
        assert!(check(&payment(json!([paid, tx("CancelAuthorization", 1000, "Initial")]))).is_err());
        let mut captured = unpaid.clone();
        captured["state"] = json!("Pending");
        let mut authorized = tx("Authorization", 1000, "Failure");
        authorized["interactionId"] = json!("pi_0");
        assert!(
            check(&payment(json!([authorized, captured, tx("CancelAuthorization", 1000, "Initial")])))
                .is_err(),
            "a capture is not a direct charge"
        );
    }

    #[test]
    fn sums_never_saturate_below_the_limit() {
        let most = i64::MAX;
        let over = check(&payment(json!([
            tx("Authorization", most, "Success"),
            tx("Charge", most, "Initial"),
            tx("Charge", 1, "Initial")
        ])));
        assert!(over.is_err(), "{over:?}");
    }

    const NOTHING: Executed<'static> = Executed { transactions: &[], open: &[] };

    #[test]
    fn a_chargeback_recorded_by_hand_is_settled() {
        let added = payment(json!([
            tx("Chargeback", 100, "Initial"),
            tx("Chargeback", 100, "Pending"),
            tx("Chargeback", 100, "Success")
        ]));
        assert!(check_added(&added, &NOTHING, &[], &added.transactions[0..1]).is_err());
        assert!(check_added(&added, &NOTHING, &[], &added.transactions[1..2]).is_err());
        assert!(check_added(&added, &NOTHING, &[], &added.transactions[2..]).is_ok());
    }

    #[test]
    fn a_capture_does_not_wait_for_an_authorization_no_one_is_making() {
        let by_hand = payment(json!([tx("Authorization", 5000, "Pending"), tx("Charge", 5000, "Initial")]));
        let (authorization, charge) = (by_hand.transactions[0].id.clone(), &by_hand.transactions[1..]);
        assert!(
            check_added(&by_hand, &NOTHING, &[], charge).is_err(),
            "recorded by hand: nothing settles it"
        );
        let ours = [authorization.clone()];
        let open = Executed { transactions: &ours, open: &ours };
        assert!(
            check_added(&by_hand, &open, &[], charge).is_ok(),
            "ours, its outcome unknown yet, is retried"
        );
        let closed = Executed { transactions: &ours, open: &[] };
        assert!(check_added(&by_hand, &closed, &[], charge).is_err(), "ours, abandoned without an answer");
        let mut at_stripe = tx("Authorization", 5000, "Pending");
        at_stripe["interactionId"] = json!("pi_1");
        let three_d_secure = payment(json!([at_stripe, tx("Charge", 5000, "Initial")]));
        assert!(check_added(&three_d_secure, &NOTHING, &[], &three_d_secure.transactions[1..]).is_ok());
        let initial = payment(json!([tx("Authorization", 5000, "Initial"), tx("Charge", 5000, "Initial")]));
        let (authorization, charge) = (initial.transactions[0].id.as_str(), &initial.transactions[1..]);
        assert!(check_added(&initial, &NOTHING, &[authorization], charge).is_ok(), "sent with it");
        assert!(
            check_added(&initial, &NOTHING, &[], charge).is_err(),
            "left Initial while the adapter was off"
        );
    }

    #[test]
    fn a_cancel_and_a_capture_under_way_are_told_apart_by_which_came_first() {
        let mut authorized = tx("Authorization", 5000, "Success");
        authorized["interactionId"] = json!("pi_1");
        let (charge, cancel) = (tx("Charge", 5000, "Initial"), tx("CancelAuthorization", 5000, "Initial"));
        let refusal = |transactions| match check(&payment(transactions)) {
            Err(DomainError::InvalidOperation(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refusal(json!([authorized, charge, cancel])),
            "A capture is under way: cancel what is left once it has settled."
        );
        assert_eq!(
            refusal(json!([authorized, cancel, charge])),
            "The authorization was cancelled; nothing can be captured any more."
        );
    }

    #[test]
    fn a_capture_is_not_recorded_by_hand_while_the_provider_holds_our_authorization() {
        let held = payment(json!([tx("Authorization", 3600, "Success"), tx("Charge", 3600, "Success")]));
        let (authorization, by_hand) = (&held.transactions[0], &held.transactions[1..]);
        let ids = [authorization.id.clone()];
        let ours = Executed { transactions: &ids, open: &[] };
        assert!(check_added(&held, &ours, &[], by_hand).is_err(), "it would block the real capture");
        assert!(
            check_added(&held, &NOTHING, &[], by_hand).is_ok(),
            "an authorization recorded by hand is the client's"
        );
        let being_sent =
            payment(json!([tx("Authorization", 3600, "Initial"), tx("Charge", 3600, "Pending")]));
        assert!(check_added(&being_sent, &NOTHING, &[], &being_sent.transactions[1..]).is_err());
        let to_capture =
            payment(json!([tx("Authorization", 3600, "Success"), tx("Charge", 3600, "Initial")]));
        assert!(
            check_added(&to_capture, &ours, &[], &to_capture.transactions[1..]).is_ok(),
            "a capture to make"
        );
        let failed = payment(json!([tx("Authorization", 3600, "Failure"), tx("Charge", 3600, "Success")]));
        assert!(check_added(&failed, &ours, &[], &failed.transactions[1..]).is_ok(), "nothing is held");
    }

    #[test]
    fn a_lost_dispute_counts_against_refunds() {
        assert!(check(&payment(json!([
            captured(1000),
            tx("Chargeback", 1000, "Success"),
            tx("Refund", 1000, "Initial")
        ])))
        .is_err());
        assert!(
            check(&payment(json!([
                captured(1000),
                tx("Chargeback", 1000, "Failure"),
                tx("Refund", 1000, "Initial")
            ])))
            .is_ok(),
            "a won dispute returned nothing"
        );
        assert!(
            check(&payment(json!([
                captured(1000),
                tx("Refund", 100, "Success"),
                tx("Chargeback", 900, "Pending"),
                tx("Refund", 100, "Initial")
            ])))
            .is_err(),
            "an open dispute holds what it disputes"
        );
    }

    #[test]
    fn transactions_share_the_payments_currency() {
        let usd = json!({"type": "Charge", "amount": {"currencyCode": "USD", "centAmount": 100}, "state": "Initial"});
        assert!(check(&payment(json!([usd]))).is_err());
    }

    #[test]
    fn cancels_and_captures_exclude_each_other() {
        let mut authorized = tx("Authorization", 1000, "Success");
        authorized["interactionId"] = json!("pi_1");
        assert!(check(&payment(json!([authorized, tx("CancelAuthorization", 1000, "Initial")]))).is_ok());
        assert!(
            check(&payment(json!([
                tx("Authorization", 1000, "Pending"),
                tx("CancelAuthorization", 1000, "Initial")
            ])))
            .is_err(),
            "its outcome is not known yet"
        );
        assert!(check(&payment(json!([
            tx("Authorization", 1000, "Success"),
            tx("CancelAuthorization", 1000, "Success"),
            tx("Charge", 100, "Initial")
        ])))
        .is_err());
        let mut partly = tx("Authorization", 1000, "Success");
        partly["interactionId"] = json!("pi_1");
        let mut first = tx("Charge", 100, "Success");
        first["interactionId"] = json!("pi_1");
        assert!(
            check(&payment(json!([partly, first, tx("CancelAuthorization", 900, "Initial")]))).is_ok(),
            "after a partial capture a cancel releases the rest"
        );
        assert!(check(&payment(json!([partly, first, tx("CancelAuthorization", 1000, "Initial")]))).is_err());
        assert!(
            check(&payment(json!([
                partly,
                first,
                tx("Charge", 100, "Pending"),
                tx("CancelAuthorization", 800, "Initial")
            ])))
            .is_err(),
            "not while a capture is under way"
        );
        let mut all = first.clone();
        all["amount"]["centAmount"] = json!(1000);
        assert!(
            check(&payment(json!([partly, all, tx("CancelAuthorization", 0, "Initial")]))).is_err(),
            "nothing is left"
        );
        assert!(check(&payment(json!([tx("CancelAuthorization", 1000, "Initial")]))).is_err());
    }
}
