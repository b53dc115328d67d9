//! The Stripe adapter against localstripe (started by the test script): authorize, capture,
//! charge, refund, cancel, declines, 3-D Secure, confirmation by the customer's browser, and the
//! amount rules checked before sending.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn stripe_payment(token: &str, transactions: Value) -> Value {
    json!({
        "amountPlanned": money(5000),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "method": "CREDIT_CARD", "token": {"value": token}},
        "transactions": transactions
    })
}

fn transaction<'a>(payment: &'a Value, kind: &str, index: usize) -> &'a Value {
    payment["transactions"].as_array().unwrap().iter().filter(|t| t["type"] == kind).nth(index).unwrap()
}

/// The payment once its Authorization has succeeded (by webhook or by the worker's lookup).
async fn authorization_settled(app: &TestApp, payment: &Value) -> Value {
    let id = payment["id"].as_str().unwrap();
    eventually(app, id, |p| transaction(p, "Authorization", 0)["state"] == "Success").await
}

async fn add(app: &TestApp, payment: &Value, kind: &str, cents: i64) -> Reply {
    app.try_update(
        payment,
        json!([{"action": "addTransaction", "transaction": {"type": kind, "amount": money(cents)}}]),
    )
    .await
}

/// A payment the customer confirms in the browser (no payment method), with one Authorization.
fn browser_payment(cents: i64) -> Value {
    json!({
        "amountPlanned": money(cents),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "method": "CREDIT_CARD"},
        "transactions": [{"type": "Authorization", "amount": money(cents)}]
    })
}

/// The shop's page confirms the PaymentIntent with the customer's card, as Stripe.js does
/// (localstripe takes the card and the confirmation as two calls).
async fn pay_in_browser(intent: &str) {
    for (path, form) in [("", vec![("payment_method", "pm_card_visa")]), ("/confirm", vec![])] {
        let answer = reqwest::Client::new()
            .post(format!("{}/v1/payment_intents/{intent}{path}", stripe_api_base()))
            .bearer_auth("sk_test_fake")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
    }
}

/// A payment whose Authorization waits for 3-D Secure, with what the client needs for it
/// checked; returns it and the PaymentIntent's client secret.
async fn awaiting_three_d_secure(app: &TestApp) -> (Value, String) {
    // A card that requires authentication, as a PaymentMethod created at the fake directly.
    let method: Value = reqwest::Client::new()
        .post(format!("{}/v1/payment_methods", stripe_api_base()))
        .bearer_auth("sk_test_fake")
        .form(&[
            ("type", "card"),
            ("card[number]", "4000002500003155"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = method["id"].as_str().unwrap();
    let pending = app
        .create_payment(stripe_payment(token, json!([{"type": "Authorization", "amount": money(4200)}])))
        .await;
    assert_eq!(transaction(&pending, "Authorization", 0)["state"], "Pending", "{pending}");
    assert_eq!(pending["paymentStatus"]["interfaceCode"], "requires_action");
    let fields = &pending["interfaceInteractions"][0]["fields"];
    let client_secret = fields["clientSecret"].as_str().unwrap().to_owned();
    assert!(client_secret.contains("_secret_"), "{fields}");
    assert!(fields["nextAction"].is_string());
    (pending, client_secret)
}

/// The customer's 3-D Secure attempt at the fake, succeeding or failing.
async fn authenticate(intent: &str, client_secret: &str, success: bool) {
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{intent}/_authenticate", stripe_api_base()))
        .form(&[
            ("client_secret", client_secret),
            ("success", if success { "true" } else { "false" }),
            ("key", "pk_test_fake"),
        ])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
}

#[tokio::test]
async fn authorize_capture_and_refund_step_by_step() {
    let app = spawn_stripe_app().await;
    let authorized = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000)}]),
        ))
        .await;
    let authorization = transaction(&authorized, "Authorization", 0);
    assert_eq!(authorization["state"], "Success", "{authorized}");
    let intent = authorization["interactionId"].as_str().unwrap();
    assert!(intent.starts_with("pi_"), "{intent}");
    assert_eq!(authorized["paymentStatus"]["interfaceCode"], "requires_capture");
    let interaction = &authorized["interfaceInteractions"][0];
    assert_eq!(interaction["fields"]["operation"], "authorize");
    assert_eq!(interaction["fields"]["objectId"], intent);
    let provisioned = app.get("/types/key=payments-api-psp-interaction").await;
    assert_eq!(provisioned.status, StatusCode::OK, "the service provisions its interaction Type");
    assert_eq!(interaction["type"]["id"], provisioned.body["id"]);

    let captured = add(&app, &authorized, "Charge", 5000).await;
    assert_eq!(captured.status, StatusCode::OK, "{}", captured.body);
    let charge = transaction(&captured.body, "Charge", 0);
    assert_eq!(charge["state"], "Success", "{}", captured.body);
    assert_eq!(charge["interactionId"], intent, "the capture is of the authorized PaymentIntent");

    let over = add(&app, &captured.body, "Refund", 5001).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST, "over-refunds are refused before Stripe is called");
    assert_eq!(over.error_code(), "InvalidOperation");

    let refunded = add(&app, &captured.body, "Refund", 2000).await;
    let refund = transaction(&refunded.body, "Refund", 0);
    assert_eq!(refund["state"], "Success", "{}", refunded.body);
    assert!(refund["interactionId"].as_str().unwrap().starts_with("re_"));
    let again = add(&app, &refunded.body, "Refund", 3000).await;
    assert_eq!(transaction(&again.body, "Refund", 1)["state"], "Success", "a second partial refund");
    let beyond = add(&app, &again.body, "Refund", 1).await;
    assert_eq!(beyond.error_code(), "InvalidOperation", "everything captured is refunded");
}

#[tokio::test]
async fn partial_capture_and_the_capture_limit() {
    let app = spawn_stripe_app().await;
    let authorized = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(3000)}]),
        ))
        .await;
    let too_much = add(&app, &authorized, "Charge", 3001).await;
    assert_eq!(too_much.error_code(), "InvalidOperation", "never more than authorized");
    let two_at_once = app
        .try_update(
            &authorized,
            json!([
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(2000)}},
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1000)}}
            ]),
        )
        .await;
    assert_eq!(
        two_at_once.error_code(),
        "InvalidOperation",
        "the first capture may be final and release what the second would take"
    );
    let partial = add(&app, &authorized, "Charge", 1200).await;
    assert_eq!(transaction(&partial.body, "Charge", 0)["state"], "Success", "{}", partial.body);

    // Without multicapture the capture was final: Stripe released the other 1800, recorded as
    // a cancel of the rest, so that nothing more is captured or cancelled from it.
    let id = partial.body["id"].as_str().unwrap();
    let released = eventually(&app, id, |p| {
        p["transactions"].as_array().unwrap().iter().any(|t| t["type"] == "CancelAuthorization")
    })
    .await;
    let cancel = transaction(&released, "CancelAuthorization", 0);
    assert_eq!(cancel["state"], "Success", "{released}");
    assert_eq!(cancel["amount"]["centAmount"], 1800);
    assert_eq!(cancel["interactionId"], transaction(&released, "Authorization", 0)["interactionId"]);
    assert!(cancel["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "dated when recorded: {cancel}");
    let more = add(&app, &released, "Charge", 100).await;
    assert_eq!(more.error_code(), "InvalidOperation", "Stripe holds nothing more: {}", more.body);
    let cancel_again = add(&app, &released, "CancelAuthorization", 1800).await;
    assert_eq!(cancel_again.error_code(), "InvalidOperation", "{}", cancel_again.body);
    let refund = add(&app, &released, "Refund", 1200).await;
    assert_eq!(transaction(&refund.body, "Refund", 0)["state"], "Success", "what was captured is refunded");
}

/// A capture recorded by hand would count as captured while Stripe still holds the money,
/// blocking the real capture and the cancel: while our authorization is held it is refused.
#[tokio::test]
async fn a_capture_is_not_recorded_by_hand_while_stripe_holds_the_authorization() {
    let app = spawn_stripe_app().await;
    let authorized = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(3600)}]),
        ))
        .await;
    let authorized = authorization_settled(&app, &authorized).await;
    let by_hand = app
        .try_update(
            &authorized,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(3600), "state": "Success"}}]),
        )
        .await;
    assert_eq!(by_hand.error_code(), "InvalidOperation", "{}", by_hand.body);
    let captured = add(&app, &authorized, "Charge", 3600).await;
    assert_eq!(transaction(&captured.body, "Charge", 0)["state"], "Success", "{}", captured.body);
}

/// An Authorization recorded by hand as Pending is not under way at Stripe: a Charge queued
/// behind it would wait for ever, so it is refused.
#[tokio::test]
async fn a_capture_of_an_authorization_stripe_is_not_making_is_refused() {
    let app = spawn_stripe_app().await;
    let recorded = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000), "state": "Pending"}]),
        ))
        .await;
    let refused = add(&app, &recorded, "Charge", 5000).await;
    assert_eq!(refused.error_code(), "InvalidOperation", "{}", refused.body);
    assert!(refused.body["message"].as_str().unwrap().contains("is not making"), "{}", refused.body);
}

#[tokio::test]
async fn a_charge_without_authorization_captures_at_once() {
    let app = spawn_stripe_app().await;
    let charged = app
        .create_payment(stripe_payment("pm_card_visa", json!([{"type": "Charge", "amount": money(1999)}])))
        .await;
    let charge = transaction(&charged, "Charge", 0);
    assert_eq!(charge["state"], "Success", "{charged}");
    assert_eq!(charged["paymentStatus"]["interfaceCode"], "succeeded");
    assert!(charge["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "when Stripe answered: {charge}");
}

#[tokio::test]
async fn only_what_stripe_captured_can_be_refunded_and_chargebacks_come_from_stripe() {
    let app = spawn_stripe_app().await;
    let charged = app
        .create_payment(stripe_payment("pm_card_visa", json!([{"type": "Charge", "amount": money(5000)}])))
        .await;
    let charged = eventually(&app, charged["id"].as_str().unwrap(), |p| {
        transaction(p, "Charge", 0)["state"] == "Success"
    })
    .await;
    let recorded = app
        .update(
            &charged,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1000), "state": "Success"}}]),
        )
        .await;
    let over = add(&app, &recorded, "Refund", 6000).await;
    assert_eq!(
        over.error_code(),
        "InvalidOperation",
        "a Charge recorded by hand moved no money at Stripe: {}",
        over.body
    );
    let unsettled = app
        .try_update(
            &recorded,
            json!([{"action": "addTransaction", "transaction": {"type": "Chargeback", "amount": money(100)}}]),
        )
        .await;
    assert_eq!(unsettled.error_code(), "InvalidOperation", "nothing would ever settle it");
    let mut draft = stripe_payment(
        "pm_card_visa",
        json!([{"type": "Chargeback", "amount": money(100), "state": "Pending"}]),
    );
    draft["key"] = json!("pending-chargeback");
    assert_eq!(app.post("/payments", draft).await.error_code(), "InvalidOperation");
    let refunded = add(&app, &recorded, "Refund", 5000).await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.body);
}

#[tokio::test]
async fn what_stripe_cannot_take_is_refused_when_it_is_written() {
    let app = spawn_stripe_app().await;
    for account in ["acct_zz/../x", "acct_", "foo\r\nX: y", "acct_123 "] {
        let mut draft =
            stripe_payment("pm_card_visa", json!([{"type": "Authorization", "amount": money(100)}]));
        draft["paymentMethodInfo"]["interfaceAccount"] = json!(account);
        let refused = app.post("/payments", draft).await;
        assert_eq!(refused.error_code(), "InvalidOperation", "{account:?}: {}", refused.body);
    }
    let empty_token =
        app.post("/payments", stripe_payment("", json!([{"type": "Charge", "amount": money(100)}]))).await;
    assert_eq!(empty_token.error_code(), "InvalidOperation", "{}", empty_token.body);
    let payment = app.create_payment(stripe_payment("pm_card_visa", json!([]))).await;
    let header = app
        .try_update(
            &payment,
            json!([{"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1\nX-Evil: 1"}]),
        )
        .await;
    assert_eq!(header.error_code(), "InvalidOperation");
    let fine = app
        .try_update(
            &payment,
            json!([{"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1NbKq2Lk3Jd8Fh4x"}]),
        )
        .await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.body);
}

#[tokio::test]
async fn cancelling_an_authorization_and_no_capture_afterwards() {
    let app = spawn_stripe_app().await;
    let authorized = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(2500)}]),
        ))
        .await;
    let partial = add(&app, &authorized, "CancelAuthorization", 1000).await;
    assert_eq!(partial.error_code(), "InvalidOperation", "Stripe cancels the whole PaymentIntent");
    let second = add(&app, &authorized, "Authorization", 1000).await;
    assert_eq!(second.error_code(), "InvalidOperation", "one PaymentIntent per payment");
    let cancelled = add(&app, &authorized, "CancelAuthorization", 2500).await;
    let cancel = transaction(&cancelled.body, "CancelAuthorization", 0);
    assert_eq!(cancel["state"], "Success", "{}", cancelled.body);
    assert_eq!(cancelled.body["paymentStatus"]["interfaceCode"], "canceled");
    assert_eq!(cancel["interactionId"], transaction(&cancelled.body, "Authorization", 0)["interactionId"]);
    let capture = add(&app, &cancelled.body, "Charge", 100).await;
    assert_eq!(capture.error_code(), "InvalidOperation", "no capture after a cancel");

    // The released authorization holds nothing: the payment may be authorized again (the
    // order changed, or the first authorization expired before shipping), and the new one is
    // what is captured.
    let again = add(&app, &cancelled.body, "Authorization", 2000).await;
    let renewed = transaction(&again.body, "Authorization", 1);
    assert_eq!(renewed["state"], "Success", "{}", again.body);
    let (old_intent, new_intent) =
        (cancel["interactionId"].as_str().unwrap(), renewed["interactionId"].as_str().unwrap());
    assert_ne!(old_intent, new_intent, "a new PaymentIntent");
    let beyond = add(&app, &again.body, "Charge", 2001).await;
    assert_eq!(beyond.error_code(), "InvalidOperation", "only the new authorization's 2000 can be captured");
    let captured = add(&app, &again.body, "Charge", 2000).await;
    let charge = transaction(&captured.body, "Charge", 0);
    assert_eq!(charge["state"], "Success", "{}", captured.body);
    assert_eq!(charge["interactionId"], new_intent);
    let stripe = stripe_intent(new_intent).await;
    assert_eq!((&stripe["status"], &stripe["latest_charge"]["amount"]), (&json!("succeeded"), &json!(2000)));
}

/// A deleted payment can no longer be captured or cancelled through the API: the authorization
/// Stripe holds for it is released rather than left holding the customer's money for a week.
#[tokio::test]
async fn deleting_a_payment_releases_the_authorization_stripe_holds() {
    let app = spawn_stripe_app().await;
    let authorize = json!([{"type": "Authorization", "amount": money(2500)}]);
    let held = app.create_payment(stripe_payment("pm_card_visa", authorize.clone())).await;
    let captured =
        add(&app, &app.create_payment(stripe_payment("pm_card_visa", authorize)).await, "Charge", 2500)
            .await
            .body;
    assert_eq!(transaction(&captured, "Charge", 0)["state"], "Success", "{captured}");
    let intent = |payment: &Value| {
        transaction(payment, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned()
    };
    for payment in [&held, &captured] {
        let id = payment["id"].as_str().unwrap();
        let deleted = app.delete(&format!("/payments/{id}?version={}", payment["version"])).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    }
    let mut status = Value::Null;
    for _ in 0..100 {
        status = stripe_intent(&intent(&held)).await["status"].clone();
        if status == "canceled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "canceled", "the held authorization is released");
    assert_eq!(stripe_intent(&intent(&captured)).await["status"], "succeeded", "money taken stays taken");
}

#[tokio::test]
async fn a_declined_card_fails_the_transaction_with_the_decline_code() {
    let app = spawn_stripe_app().await;
    let declined = app
        .create_payment(stripe_payment(
            "pm_card_chargeCustomerFail",
            json!([{"type": "Authorization", "amount": money(700)}]),
        ))
        .await;
    assert_eq!(transaction(&declined, "Authorization", 0)["state"], "Failure", "{declined}");
    assert_eq!(declined["paymentStatus"]["interfaceCode"], "card_declined");
}

#[tokio::test]
async fn three_d_secure_leaves_the_transaction_pending_with_what_the_client_needs() {
    let app = spawn_stripe_app().await;
    let (pending, client_secret) = awaiting_three_d_secure(&app).await;

    // The customer completes 3-D Secure; no webhook arrives, and the periodic lookup of the
    // Pending transaction settles it from Stripe's current state.
    let intent = transaction(&pending, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    authenticate(&intent, &client_secret, true).await;
    let settled = authorization_settled(&app, &pending).await;
    assert_eq!(settled["paymentStatus"]["interfaceCode"], "requires_capture");
}

/// A Charge queued behind an authorization that then fails can never be sent: it fails with
/// it at once, so that the shop's retry (a new authorization and its capture) is not held up,
/// and the old Charge is never sent as the capture of the new authorization.
#[tokio::test]
async fn a_charge_queued_behind_a_failed_authorization_fails_with_it() {
    let app = spawn_stripe_app().await;
    let (pending, client_secret) = awaiting_three_d_secure(&app).await;
    let queued = add(&app, &pending, "Charge", 4200).await;
    assert_eq!(transaction(&queued.body, "Charge", 0)["state"], "Initial", "{}", queued.body);
    let intent = transaction(&pending, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    authenticate(&intent, &client_secret, false).await;
    let id = pending["id"].as_str().unwrap();
    eventually(&app, id, |p| transaction(p, "Authorization", 0)["state"] == "Failure").await;
    let failed = eventually(&app, id, |p| transaction(p, "Charge", 0)["state"] == "Failure").await;
    let retried = app
        .update(
            &failed,
            json!([
                {"action": "setMethodInfoToken", "token": {"value": "pm_card_visa"}},
                {"action": "addTransaction", "transaction": {"type": "Authorization", "amount": money(4000)}},
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(4000)}}
            ]),
        )
        .await;
    let settled = eventually(&app, id, |p| transaction(p, "Charge", 1)["state"] != "Initial").await;
    assert_eq!(transaction(&settled, "Charge", 1)["state"], "Success", "{settled} after {retried}");
    assert_eq!(transaction(&settled, "Charge", 1)["amount"]["centAmount"], 4000);
    assert_eq!(transaction(&settled, "Charge", 0)["state"], "Failure", "the old one never captures");
}

#[tokio::test]
async fn a_failed_three_d_secure_fails_the_transaction_and_releases_its_payment_intent() {
    let app = spawn_stripe_app().await;
    let (pending, client_secret) = awaiting_three_d_secure(&app).await;

    // The customer fails 3-D Secure: the transaction fails, and its PaymentIntent is cancelled
    // at Stripe, so that it cannot be completed later beside another authorization.
    let intent = transaction(&pending, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    authenticate(&intent, &client_secret, false).await;
    let id = pending["id"].as_str().unwrap();
    let mut at_stripe = Value::Null;
    for _ in 0..100 {
        at_stripe = stripe_intent(&intent).await;
        if at_stripe["status"] == "canceled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let current = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(transaction(&current, "Authorization", 0)["state"], "Failure", "{current}");
    assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");
}

#[tokio::test]
async fn without_a_payment_method_the_intent_waits_for_the_customer_to_confirm() {
    let app = spawn_stripe_app().await;
    let draft = json!({
        "amountPlanned": money(2500),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "method": "CREDIT_CARD"},
        "transactions": [{"type": "Authorization", "amount": money(2500)}]
    });
    let waiting = app.create_payment(draft).await;
    assert_eq!(transaction(&waiting, "Authorization", 0)["state"], "Pending", "{waiting}");
    assert_eq!(waiting["paymentStatus"]["interfaceCode"], "requires_payment_method");
    let client_secret = waiting["interfaceInteractions"][0]["fields"]["clientSecret"].as_str().unwrap();
    assert!(client_secret.contains("_secret_"), "the browser needs the client secret");

    let intent = transaction(&waiting, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    pay_in_browser(&intent).await;
    let settled = authorization_settled(&app, &waiting).await;
    assert_eq!(settled["paymentStatus"]["interfaceCode"], "requires_capture");
}

/// A token the shop sets while the customer confirms in the browser (say, the card Stripe.js
/// used) does not make a decline there final: the PaymentIntent was made for the browser.
#[tokio::test]
async fn a_decline_in_the_browser_stays_pending_after_a_token_is_set() {
    let app = spawn_stripe_app().await;
    let waiting = app.create_payment(browser_payment(1500)).await;
    assert_eq!(transaction(&waiting, "Authorization", 0)["state"], "Pending", "{waiting}");
    let intent = transaction(&waiting, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    let id = waiting["id"].as_str().unwrap();
    let tokened = app
        .update(&waiting, json!([{"action": "setMethodInfoToken", "token": {"value": "pm_card_visa"}}]))
        .await;
    let failed = json!({"id": "evt_browser_decline", "object": "event", "type": "payment_intent.payment_failed",
        "created": chrono::Utc::now().timestamp(), "data": {"object": {"id": intent, "object": "payment_intent",
        "metadata": {"ct_payment_id": id}, "last_payment_error": {"code": "card_declined", "message": "declined"}}}});
    assert_eq!(app.send_event(&failed).await.status, StatusCode::OK);
    app.event_processed("evt_browser_decline").await;
    let current = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(transaction(&current, "Authorization", 0)["state"], "Pending", "{current}");
    assert_ne!(stripe_intent(&intent).await["status"], "canceled", "the customer may still pay");
    pay_in_browser(&intent).await;
    let settled = authorization_settled(&app, &tokened).await;
    assert_eq!(transaction(&settled, "Authorization", 0)["state"], "Success", "{settled}");
}

/// The customer pays in the browser just before the shop abandons the payment: the cancel is
/// refused with what Stripe has (succeeded), the Charge is recorded as paid, and the shop
/// refunds it.
#[tokio::test]
async fn a_direct_charge_paid_before_its_cancel_is_refunded_not_cancelled() {
    let app = spawn_stripe_app().await;
    let mut draft = browser_payment(1800);
    draft["transactions"][0]["type"] = json!("Charge");
    let waiting = app.create_payment(draft).await;
    let intent = transaction(&waiting, "Charge", 0)["interactionId"].as_str().unwrap().to_owned();
    pay_in_browser(&intent).await;
    assert_eq!(stripe_intent(&intent).await["status"], "succeeded");

    let refused = add(&app, &waiting, "CancelAuthorization", 1800).await;
    assert_eq!(refused.status, StatusCode::OK, "{}", refused.body);
    let cancel = transaction(&refused.body, "CancelAuthorization", 0);
    assert_eq!(cancel["state"], "Failure", "{}", refused.body);
    assert_eq!(refused.body["paymentStatus"]["interfaceCode"], "succeeded");
    assert!(
        refused.body["paymentStatus"]["interfaceText"].as_str().is_some_and(|t| t.contains("refund")),
        "{}",
        refused.body
    );
    let id = waiting["id"].as_str().unwrap();
    let paid = eventually(&app, id, |p| transaction(p, "Charge", 0)["state"] == "Success").await;
    let refunded = add(&app, &paid, "Refund", 1800).await;
    assert_eq!(transaction(&refunded.body, "Refund", 0)["state"], "Success", "{}", refunded.body);
}

#[tokio::test]
async fn a_customers_payments_share_one_stripe_customer() {
    let app = spawn_stripe_app().await;
    let customer = app.create_customer("ada@example.com", "ada").await;
    let intent_of = |payment: &Value| {
        transaction(payment, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned()
    };
    let mut intents = Vec::new();
    for cents in [1200, 3400] {
        let mut draft =
            stripe_payment("pm_card_visa", json!([{"type": "Authorization", "amount": money(cents)}]));
        draft["customer"] = json!({"typeId": "customer", "key": "ada"});
        let payment = app.create_payment(draft).await;
        assert_eq!(transaction(&payment, "Authorization", 0)["state"], "Success", "{payment}");
        intents.push(intent_of(&payment));
    }
    let first = stripe_intent(&intents[0]).await;
    let second = stripe_intent(&intents[1]).await;
    let stripe_customer =
        first["customer"].as_str().expect("the intent belongs to a Stripe customer").to_owned();
    assert_eq!(second["customer"], stripe_customer, "one Stripe customer per customer");
    let created = stripe_get(&format!("/v1/customers/{stripe_customer}")).await;
    assert_eq!(created["email"], "ada@example.com");
    assert_eq!(created["metadata"]["ct_customer_id"], customer["id"]);
}

#[tokio::test]
async fn an_unreachable_stripe_leaves_transactions_pending_never_failed() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_stripe_app_at(base, 3_000).await;
    let payment = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(100)}]),
        ))
        .await;
    assert_eq!(
        transaction(&payment, "Authorization", 0)["state"],
        "Pending",
        "unknown is not a decline: {payment}"
    );
}

#[tokio::test]
async fn work_not_finished_in_time_is_finished_in_the_background() {
    let app = spawn_stripe_app_at(stripe_api_base(), 0).await;
    let created = app
        .create_payment(stripe_payment("pm_card_visa", json!([{"type": "Charge", "amount": money(300)}])))
        .await;
    let id = created["id"].as_str().unwrap();
    for _ in 0..100 {
        let current = app.get(&format!("/payments/{id}")).await.body;
        if transaction(&current, "Charge", 0)["state"] == "Success" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the charge was not executed in the background");
}

#[tokio::test]
async fn payments_of_other_interfaces_are_left_alone() {
    let app = spawn_stripe_app().await;
    let other = app
        .create_payment(json!({
            "amountPlanned": money(100),
            "paymentMethodInfo": {"paymentInterface": "ADYEN", "token": {"value": "pm_card_visa"}},
            "transactions": [{"type": "Authorization", "amount": money(100)}]
        }))
        .await;
    assert_eq!(transaction(&other, "Authorization", 0)["state"], "Initial");
    assert_eq!(other["interfaceInteractions"], json!([]));
}

/// A client may set any interactionId; the adapter still acts only on PaymentIntents it created
/// for the same payment, so no payment can capture, refund or cancel another one's money.
#[tokio::test]
async fn another_payments_payment_intent_is_never_acted_on() {
    let app = spawn_stripe_app().await;
    let other_app = app.in_project("other-project").await;
    let victim = other_app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000)}]),
        ))
        .await;
    let victim_intent =
        transaction(&victim, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    let own = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000)}]),
        ))
        .await;
    let authorization = transaction(&own, "Authorization", 0)["id"].as_str().unwrap().to_owned();
    let redirect = json!([{"action": "changeTransactionInteractionId", "transactionId": authorization, "interactionId": victim_intent}]);
    let refused = app.try_update(&own, redirect).await;
    assert_eq!(
        refused.error_code(),
        "InvalidOperation",
        "the PaymentIntent of an executed transaction is Stripe's answer"
    );
    // A transaction the client records itself may name any PaymentIntent, but nothing is sent
    // for another payment's.
    let redirected = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000), "state": "Success", "interactionId": victim_intent}]),
        ))
        .await;
    let capture = add(&app, &redirected, "Charge", 5000).await;
    assert_eq!(capture.status, StatusCode::OK, "{}", capture.body);
    let charge = transaction(&capture.body, "Charge", 0);
    assert_eq!(charge["state"], "Failure", "{}", capture.body);
    assert!(
        capture.body["paymentStatus"]["interfaceText"]
            .as_str()
            .unwrap_or_default()
            .contains("was not created for this payment"),
        "{}",
        capture.body
    );
    let captured_by_owner = add(&other_app, &victim, "Charge", 5000).await;
    assert_eq!(
        transaction(&captured_by_owner.body, "Charge", 0)["state"],
        "Success",
        "the other project's authorization is untouched: {}",
        captured_by_owner.body
    );
}

/// Stripe counts some currencies differently from ISO 4217: ISK with two decimals (always 00),
/// MGA in whole units, three-decimal currencies in steps of ten. Amounts are converted, and one
/// Stripe cannot take exactly is refused before anything is sent.
#[tokio::test]
async fn amounts_are_sent_in_stripes_units() {
    let app = spawn_stripe_app().await;
    let in_isk = |cents: i64| json!({"currencyCode": "ISK", "centAmount": cents});
    let isk = app
        .create_payment(json!({
            "amountPlanned": in_isk(500),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
            "transactions": [{"type": "Authorization", "amount": in_isk(500)}]
        }))
        .await;
    let intent = transaction(&isk, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    let at_stripe = stripe_intent(&intent).await;
    assert_eq!(at_stripe["amount"], 50_000, "500 krónur are 50000 at Stripe: {at_stripe}");
    assert_eq!(at_stripe["currency"], "isk");

    for (currency, cents) in [("MGA", 50_050), ("KWD", 1_235), ("EUR", 0)] {
        let amount = json!({"currencyCode": currency, "centAmount": cents});
        let refused = app
            .post(
                "/payments",
                json!({
                    "amountPlanned": amount,
                    "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
                    "transactions": [{"type": "Authorization", "amount": amount}]
                }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{currency}: {}", refused.body);
        assert_eq!(refused.error_code(), "InvalidOperation", "{currency}");
    }
}

/// A shop abandons a payment the customer never confirmed: the cancel reaches Stripe (the
/// customer can no longer pay it), the Authorization becomes Failure, and the payment can be
/// deleted.
#[tokio::test]
async fn an_authorization_awaiting_the_customer_can_be_abandoned() {
    let app = spawn_stripe_app().await;
    let waiting = app.create_payment(browser_payment(2500)).await;
    assert_eq!(transaction(&waiting, "Authorization", 0)["state"], "Pending", "{waiting}");
    let intent = transaction(&waiting, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    let early = app
        .delete(&format!("/payments/{}?version={}", waiting["id"].as_str().unwrap(), waiting["version"]))
        .await;
    assert_eq!(early.error_code(), "InvalidOperation");
    assert!(
        early.body["message"].as_str().unwrap().contains("add a CancelAuthorization to abandon it"),
        "the deletion names the way out: {}",
        early.body
    );
    let cancelled = add(&app, &waiting, "CancelAuthorization", 2500).await;
    assert_eq!(
        transaction(&cancelled.body, "CancelAuthorization", 0)["state"],
        "Success",
        "{}",
        cancelled.body
    );
    let at_stripe = stripe_intent(&intent).await;
    assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");
    let id = waiting["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| transaction(p, "Authorization", 0)["state"] == "Failure").await;
    let deleted = app.delete(&format!("/payments/{id}?version={}", current["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
}

/// The same for a direct Charge the customer was to pay in the browser (the usual Payment
/// Element flow): a CancelAuthorization abandons its PaymentIntent, the Charge becomes Failure,
/// and the payment can be deleted.
#[tokio::test]
async fn a_direct_charge_awaiting_the_customer_can_be_abandoned() {
    let app = spawn_stripe_app().await;
    let mut draft = browser_payment(1800);
    draft["transactions"][0]["type"] = json!("Charge");
    let waiting = app.create_payment(draft).await;
    let charge = transaction(&waiting, "Charge", 0);
    assert_eq!(charge["state"], "Pending", "{waiting}");
    let intent = charge["interactionId"].as_str().unwrap().to_owned();
    let partial = add(&app, &waiting, "CancelAuthorization", 1000).await;
    assert_eq!(partial.error_code(), "InvalidOperation", "the whole payment is abandoned");
    let cancelled = add(&app, &waiting, "CancelAuthorization", 1800).await;
    assert_eq!(
        transaction(&cancelled.body, "CancelAuthorization", 0)["state"],
        "Success",
        "{}",
        cancelled.body
    );
    assert_eq!(stripe_intent(&intent).await["status"], "canceled");
    let id = waiting["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| transaction(p, "Charge", 0)["state"] == "Failure").await;
    let deleted = app.delete(&format!("/payments/{id}?version={}", current["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

    let paid = app
        .create_payment(stripe_payment("pm_card_visa", json!([{"type": "Charge", "amount": money(500)}])))
        .await;
    let refused = add(&app, &paid, "CancelAuthorization", 500).await;
    assert_eq!(refused.error_code(), "InvalidOperation", "a paid charge is refunded, not cancelled");
}

/// An authorization sent with its capture in one request, which the customer then never
/// confirms, is abandoned as well: the queued Charge fails with it, and the payment can be
/// deleted.
#[tokio::test]
async fn an_authorization_with_a_queued_capture_can_be_abandoned() {
    let app = spawn_stripe_app().await;
    let mut draft = browser_payment(2500);
    draft["transactions"] =
        json!([{"type": "Authorization", "amount": money(2500)}, {"type": "Charge", "amount": money(2500)}]);
    let waiting = app.create_payment(draft).await;
    assert_eq!(transaction(&waiting, "Authorization", 0)["state"], "Pending", "{waiting}");
    assert_eq!(transaction(&waiting, "Charge", 0)["state"], "Initial", "it waits for the authorization");
    let cancelled = add(&app, &waiting, "CancelAuthorization", 2500).await;
    assert_eq!(
        transaction(&cancelled.body, "CancelAuthorization", 0)["state"],
        "Success",
        "{}",
        cancelled.body
    );
    let id = waiting["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| {
        transaction(p, "Authorization", 0)["state"] == "Failure"
            && transaction(p, "Charge", 0)["state"] == "Failure"
    })
    .await;
    let deleted = app.delete(&format!("/payments/{id}?version={}", current["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);

    let mut with_id = stripe_payment(
        "pm_card_visa",
        json!([{"type": "Authorization", "amount": money(100), "interactionId": "pi_mine"}]),
    );
    with_id["amountPlanned"] = money(100);
    let refused = app.post("/payments", with_id).await;
    assert_eq!(refused.error_code(), "InvalidOperation", "Stripe sets the interactionId of what it is sent");

    // Nor when the payment names Stripe only later: the transaction would be sent then.
    let unrouted = app
        .create_payment(json!({"amountPlanned": money(100), "transactions": [
            {"type": "Charge", "amount": money(100), "interactionId": "pi_someone_elses"}]}))
        .await;
    let routed =
        app.try_update(&unrouted, json!([{"action": "setMethodInfoInterface", "interface": "STRIPE"}])).await;
    assert_eq!(routed.error_code(), "InvalidOperation", "{}", routed.body);
}

/// A customer who never confirmed, a week ago: the authorization's lookups have ended (only
/// webhooks could still settle it). Abandoning it still makes it Failure, so that the payment
/// can be authorized again.
#[tokio::test]
async fn an_authorization_no_longer_looked_up_is_abandoned_by_its_cancel() {
    let app = spawn_stripe_app().await;
    let waiting = app.create_payment(browser_payment(2500)).await;
    let authorization = transaction(&waiting, "Authorization", 0)["id"].as_str().unwrap().to_owned();
    execute_sql(
        &app,
        &format!("UPDATE psp_operations SET done = TRUE WHERE transaction_id = '{authorization}'"),
    );
    let cancelled = add(&app, &waiting, "CancelAuthorization", 2500).await;
    assert_eq!(
        transaction(&cancelled.body, "CancelAuthorization", 0)["state"],
        "Success",
        "{}",
        cancelled.body
    );
    let id = waiting["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| transaction(p, "Authorization", 0)["state"] == "Failure").await;
    let again = app
        .update(
            &current,
            json!([
                {"action": "setMethodInfoToken", "token": {"value": "pm_card_visa"}},
                {"action": "addTransaction", "transaction": {"type": "Authorization", "amount": money(2500)}}
            ]),
        )
        .await;
    assert_eq!(transaction(&again, "Authorization", 1)["state"], "Success", "{again}");
}

/// Deleting a payment whose customer never paid, once its lookups have ended, cancels the
/// PaymentIntent: the customer can no longer pay for a payment that is gone.
#[tokio::test]
async fn deleting_a_payment_the_customer_never_paid_cancels_its_payment_intent() {
    let app = spawn_stripe_app().await;
    let waiting = created_at_stripe(&app, browser_payment(2500)).await;
    let authorization = transaction(&waiting, "Authorization", 0);
    let intent = authorization["interactionId"].as_str().unwrap().to_owned();
    execute_sql(
        &app,
        &format!(
            "UPDATE psp_operations SET done = TRUE WHERE transaction_id = '{}'",
            authorization["id"].as_str().unwrap()
        ),
    );
    let id = waiting["id"].as_str().unwrap();
    let deleted = app.delete(&format!("/payments/{id}?version={}", waiting["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let mut status = Value::Null;
    for _ in 0..100 {
        status = stripe_intent(&intent).await["status"].clone();
        if status == "canceled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "canceled", "the unpaid PaymentIntent is no longer payable");

    // One the customer paid meanwhile (no webhook came) is recorded instead of deleted with
    // the payment: the deletion meets the new version.
    let waiting = created_at_stripe(&app, browser_payment(1500)).await;
    let authorization = transaction(&waiting, "Authorization", 0);
    let intent = authorization["interactionId"].as_str().unwrap().to_owned();
    let done = format!(
        "UPDATE psp_operations SET done = TRUE WHERE transaction_id = '{}'",
        authorization["id"].as_str().unwrap()
    );
    execute_sql(&app, &done);
    pay_in_browser(&intent).await;
    let id = waiting["id"].as_str().unwrap();
    let refused = app.delete(&format!("/payments/{id}?version={}", waiting["version"])).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let current = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(transaction(&current, "Authorization", 0)["state"], "Success", "{current}");
    assert_eq!(
        stripe_intent(&intent).await["status"],
        "requires_capture",
        "held, not released behind the shop's back"
    );
}

/// Transactions written while the adapter was off are not sent when it is turned on, not even
/// by a later, unrelated update; one added then is.
#[tokio::test]
async fn transactions_written_while_the_adapter_was_off_are_not_sent_later() {
    let off = spawn_app().await;
    let old = off
        .create_payment(stripe_payment("pm_card_visa", json!([{"type": "Charge", "amount": money(2500)}])))
        .await;
    let on = spawn_app_on(off.scratch_database(), |settings| {
        settings.psp.stripe_api_base = stripe_api_base();
        settings.psp.stripe_secret_key =
            Some(payments_api::auth::credentials::Secret::new("sk_test_fake".into()));
    })
    .await;
    let touched =
        on.update(&old, json!([{"action": "setStatusInterfaceText", "interfaceText": "looked at"}])).await;
    assert_eq!(transaction(&touched, "Charge", 0)["state"], "Initial", "{touched}");
    // A person re-adds it: the old one set aside, a new one sent.
    let old_charge = transaction(&touched, "Charge", 0)["id"].clone();
    let charged = on
        .update(
            &touched,
            json!([
                {"action": "changeTransactionState", "transactionId": old_charge, "state": "Failure"},
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1000)}}
            ]),
        )
        .await;
    assert_eq!(transaction(&charged, "Charge", 1)["state"], "Success", "{charged}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let later = on.get(&format!("/payments/{}", old["id"].as_str().unwrap())).await.body;
    assert_eq!(transaction(&later, "Charge", 0)["interactionId"], Value::Null, "never sent: {later}");
}

/// After abandoning what the customer did not confirm, the shop authorizes again (say, with a
/// card the customer gave otherwise): the earlier cancel does not count against the new
/// authorization, which is captured.
#[tokio::test]
async fn a_payment_is_authorized_again_after_an_abandoned_attempt() {
    let app = spawn_stripe_app().await;
    let waiting = app.create_payment(browser_payment(2500)).await;
    add(&app, &waiting, "CancelAuthorization", 2500).await;
    let id = waiting["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| transaction(p, "Authorization", 0)["state"] == "Failure").await;
    let again = app
        .update(
            &current,
            json!([
                {"action": "setMethodInfoToken", "token": {"value": "pm_card_visa"}},
                {"action": "addTransaction", "transaction": {"type": "Authorization", "amount": money(2500)}}
            ]),
        )
        .await;
    assert_eq!(transaction(&again, "Authorization", 1)["state"], "Success", "{again}");
    let captured = add(&app, &again, "Charge", 2500).await;
    assert_eq!(captured.status, StatusCode::OK, "{}", captured.body);
    assert_eq!(transaction(&captured.body, "Charge", 0)["state"], "Success", "{}", captured.body);
}

/// An Authorization and its Charge in one request: the capture is sent once the authorization
/// has succeeded, not refused because it has not yet.
#[tokio::test]
async fn authorizing_and_capturing_in_one_request() {
    let app = spawn_stripe_app().await;
    let created = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(5000)}, {"type": "Charge", "amount": money(5000)}]),
        ))
        .await;
    let id = created["id"].as_str().unwrap();
    let current = eventually(&app, id, |p| transaction(p, "Charge", 0)["state"] != "Initial").await;
    assert_eq!(transaction(&current, "Authorization", 0)["state"], "Success", "{current}");
    assert_eq!(transaction(&current, "Charge", 0)["state"], "Success", "{current}");
    assert_eq!(
        transaction(&current, "Charge", 0)["interactionId"],
        transaction(&current, "Authorization", 0)["interactionId"],
        "the capture of the authorization, not a second PaymentIntent"
    );
}

/// What Stripe answered is not the client's to change: the state and interactionId of a
/// transaction the adapter executes (marking a refund still under way Failure and refunding
/// again would pay twice), and the connected account its PaymentIntent lives on. Transactions
/// the client records itself stay its own.
#[tokio::test]
async fn a_client_cannot_rewrite_what_stripe_answered() {
    let app = spawn_stripe_app().await;
    let mut draft = stripe_payment("pm_card_visa", json!([{"type": "Authorization", "amount": money(5000)}]));
    draft["paymentMethodInfo"]["interfaceAccount"] = json!("acct_1AAA");
    let authorized = app.create_payment(draft).await;
    let authorization = transaction(&authorized, "Authorization", 0);
    assert_eq!(authorization["state"], "Success", "{authorized}");
    let id = authorization["id"].as_str().unwrap();
    for action in [
        json!({"action": "changeTransactionState", "transactionId": id, "state": "Failure"}),
        json!({"action": "changeTransactionState", "transactionId": id, "state": "Initial"}),
        json!({"action": "changeTransactionInteractionId", "transactionId": id, "interactionId": "pi_other"}),
        json!({"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_2BBB"}),
        json!({"action": "setMethodInfoInterfaceAccount"}),
        json!({"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(5000),
            "state": "Success", "interactionId": authorization["interactionId"]}}),
        json!({"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(100),
            "interactionId": authorization["interactionId"]}}),
    ] {
        let refused = app.try_update(&authorized, json!([action])).await;
        assert_eq!(refused.error_code(), "InvalidOperation", "{action}: {}", refused.body);
    }
    let unchanged = app.get(&format!("/payments/{}", authorized["id"].as_str().unwrap())).await.body;
    assert_eq!(unchanged["version"], authorized["version"], "nothing was changed");

    let recorded = app
        .create_payment(json!({
            "amountPlanned": money(5000),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "interfaceAccount": "acct_1AAA"},
            "transactions": [{"type": "Charge", "amount": money(5000), "state": "Pending", "interactionId": "pi_elsewhere"}]
        }))
        .await;
    let charge = transaction(&recorded, "Charge", 0)["id"].as_str().unwrap().to_owned();
    let settled = app
        .update(
            &recorded,
            json!([
                {"action": "changeTransactionState", "transactionId": charge, "state": "Success"},
                {"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_2BBB"}
            ]),
        )
        .await;
    assert_eq!(
        transaction(&settled, "Charge", 0)["state"],
        "Success",
        "a recorded transaction is the client's"
    );
}

/// A cancel that reaches Stripe after the PaymentIntent was cancelled there (its expiry, the
/// dashboard) did what it was for: it succeeds, and the payment can be authorized again.
#[tokio::test]
async fn a_cancel_of_a_payment_intent_cancelled_at_stripe_succeeds() {
    let app = spawn_stripe_app().await;
    let authorized = app
        .create_payment(stripe_payment(
            "pm_card_visa",
            json!([{"type": "Authorization", "amount": money(2500)}]),
        ))
        .await;
    let intent = transaction(&authorized, "Authorization", 0)["interactionId"].as_str().unwrap().to_owned();
    let cancelled_at_stripe = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{intent}/cancel", stripe_api_base()))
        .bearer_auth("sk_test_fake")
        .send()
        .await
        .unwrap();
    assert!(cancelled_at_stripe.status().is_success());
    let cancelled = add(&app, &authorized, "CancelAuthorization", 2500).await;
    let cancel = transaction(&cancelled.body, "CancelAuthorization", 0);
    assert_eq!(cancel["state"], "Success", "{}", cancelled.body);
    assert_eq!(cancel["interactionId"], intent.as_str());
    let again = add(&app, &cancelled.body, "Authorization", 2500).await;
    assert_eq!(transaction(&again.body, "Authorization", 1)["state"], "Success", "{}", again.body);
}
