//! Several captures of one authorization (Stripe multicapture), against our own Stripe stand-in:
//! localstripe does not model multicapture. A capture that leaves part of the authorization to
//! capture later is sent with `final_capture=false` only where the card's charge allows it.

use crate::fake_stripe::FakeStripe;
use crate::helpers::*;
use serde_json::{json, Value};

async fn app_against(fake: &FakeStripe, multicapture: bool) -> TestApp {
    spawn_stripe_app_with(fake.base.clone(), |settings| settings.psp.stripe_multicapture = multicapture).await
}

async fn authorized(app: &TestApp) -> Value {
    let payment = authorized_with_card(app, 1000).await;
    assert_eq!(payment["transactions"][0]["state"], "Success", "{payment}");
    payment
}

async fn capture(app: &TestApp, payment: &Value, cents: i64) -> Value {
    let updated = app
        .update(
            payment,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(cents)}}]),
        )
        .await;
    let last = updated["transactions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["state"], "Success", "{updated}");
    updated
}

/// The body of the last request to `path_start`, decoded.
fn last_body(fake: &FakeStripe, path_start: &str) -> Vec<(String, String)> {
    let received = fake.received();
    let request = received.iter().rev().find(|r| r.path.starts_with(path_start)).expect("a request");
    form_urlencoded::parse(request.body.as_bytes()).into_owned().collect()
}

fn has(form: &[(String, String)], name: &str, value: &str) -> bool {
    form.iter().any(|(n, v)| n == name && v == value)
}

#[tokio::test]
async fn an_authorization_is_captured_in_parts_and_the_last_part_is_final() {
    let fake = FakeStripe::start(vec![]).await;
    fake.set_multicapture("available");
    let app = app_against(&fake, true).await;
    let payment = authorized(&app).await;
    let authorize = last_body(&fake, "/v1/payment_intents");
    assert!(
        has(&authorize, "payment_method_options[card][request_multicapture]", "if_available"),
        "{authorize:?}"
    );
    assert!(has(&authorize, "capture_method", "manual"));

    let payment = capture(&app, &payment, 600).await;
    let lookups = fake.received().iter().filter(|r| r.path.contains("expand")).count();
    assert_eq!(lookups, 1, "the card's multicapture status is looked up before a partial capture");
    let first = last_body(&fake, "/v1/payment_intents/pi_fake_1/capture");
    assert!(has(&first, "amount_to_capture", "600") && has(&first, "final_capture", "false"), "{first:?}");

    let payment = capture(&app, &payment, 400).await;
    let last = last_body(&fake, "/v1/payment_intents/pi_fake_1/capture");
    assert!(has(&last, "amount_to_capture", "400"), "{last:?}");
    assert!(
        !last.iter().any(|(name, _)| name == "final_capture"),
        "the capture reaching the authorized amount is final"
    );

    let over = app
        .try_update(
            &payment,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1)}}]),
        )
        .await;
    assert_eq!(over.error_code(), "InvalidOperation", "never more than authorized");
}

#[tokio::test]
async fn where_the_card_allows_no_multicapture_a_partial_capture_is_final() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, true).await;
    let payment = authorized(&app).await;
    capture(&app, &payment, 600).await;
    let sent = last_body(&fake, "/v1/payment_intents/pi_fake_1/capture");
    assert!(!sent.iter().any(|(name, _)| name == "final_capture"), "{sent:?}");
}

#[tokio::test]
async fn without_multicapture_configured_nothing_of_it_is_asked() {
    let fake = FakeStripe::start(vec![]).await;
    fake.set_multicapture("available");
    let app = app_against(&fake, false).await;
    let payment = authorized(&app).await;
    let authorize = last_body(&fake, "/v1/payment_intents");
    assert!(!authorize.iter().any(|(name, _)| name.contains("multicapture")), "{authorize:?}");
    capture(&app, &payment, 600).await;
    assert!(!fake.received().iter().any(|r| r.path.contains("expand")), "no lookup");
    let sent = last_body(&fake, "/v1/payment_intents/pi_fake_1/capture");
    assert!(!sent.iter().any(|(name, _)| name == "final_capture"), "{sent:?}");
}

#[tokio::test]
async fn what_is_left_after_partial_captures_is_released_by_a_cancel() {
    let fake = FakeStripe::start(vec![]).await;
    fake.set_multicapture("available");
    let app = app_against(&fake, true).await;
    let payment = capture(&app, &authorized(&app).await, 600).await;
    let whole = app
        .try_update(
            &payment,
            json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(1000)}}]),
        )
        .await;
    assert_eq!(whole.error_code(), "InvalidOperation", "600 of it were captured");
    let released = app
        .update(
            &payment,
            json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(400)}}]),
        )
        .await;
    let cancel = released["transactions"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(cancel["state"], "Success", "{released}");
    assert!(fake.received().iter().any(|r| r.path == "/v1/payment_intents/pi_fake_1/cancel"));
    let after = app
        .try_update(
            &released,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(100)}}]),
        )
        .await;
    assert_eq!(after.error_code(), "InvalidOperation", "nothing is captured after the cancel");
    assert_eq!(released["transactions"][0]["state"], "Success", "the authorization was used, not abandoned");
    assert_eq!(released["transactions"][1]["state"], "Success");
}

/// A payment whose authorization was captured in part, Stripe holding the rest, is not deleted
/// until the rest is released: nothing could capture or cancel it afterwards.
#[tokio::test]
async fn a_payment_captured_in_part_is_deleted_once_the_rest_is_released() {
    let fake = FakeStripe::start(vec![]).await;
    fake.set_multicapture("available");
    let app = app_against(&fake, true).await;
    let payment = capture(&app, &authorized(&app).await, 600).await;
    let id = payment["id"].as_str().unwrap();
    let refused = app.delete(&format!("/payments/{id}?version={}", payment["version"])).await;
    assert_eq!(refused.error_code(), "InvalidOperation", "{}", refused.body);
    assert!(
        refused.body["message"].as_str().unwrap().contains("CancelAuthorization of 400 cents"),
        "{}",
        refused.body
    );
    let released = app
        .update(
            &payment,
            json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(400)}}]),
        )
        .await;
    let deleted = app.delete(&format!("/payments/{id}?version={}", released["version"])).await;
    assert_eq!(deleted.status, reqwest::StatusCode::OK, "{}", deleted.body);
}

/// A cancel Stripe refuses because part of the PaymentIntent was captured in its dashboard
/// meanwhile (no webhook yet): the lookup that follows the refusal tells what was captured,
/// recorded as a Charge, and the rest as released, so that the payment reads as Stripe has it.
#[tokio::test]
async fn a_cancel_refused_after_a_dashboard_capture_records_that_capture() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, false).await;
    let payment = authorized(&app).await;
    fake.capture_at_stripe(400);
    let cancel = app
        .try_update(
            &payment,
            json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(1000)}}]),
        )
        .await;
    assert_eq!(cancel.status, reqwest::StatusCode::OK, "{}", cancel.body);
    let id = payment["id"].as_str().unwrap();
    let recorded = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 4).await;
    let expected = [
        ("Authorization", "Success", 1000),
        ("CancelAuthorization", "Failure", 1000),
        ("Charge", "Success", 400),
        ("CancelAuthorization", "Success", 600),
    ];
    assert_eq!(summary(&recorded), expected, "{recorded}");
}

/// A capture of ours that Stripe refuses because the PaymentIntent was captured in its
/// dashboard meanwhile (no webhook yet): ours fails, and the lookup after the refusal records
/// the dashboard's capture and the rest it released, so the money taken can be refunded.
#[tokio::test]
async fn a_capture_refused_after_a_dashboard_capture_records_that_capture() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, false).await;
    let payment = authorized(&app).await;
    fake.capture_at_stripe(400);
    app.update(
        &payment,
        json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1000)}}]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    let recorded = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 4).await;
    let expected = [
        ("Authorization", "Success", 1000),
        ("Charge", "Failure", 1000),
        ("Charge", "Success", 400),
        ("CancelAuthorization", "Success", 600),
    ];
    assert_eq!(summary(&recorded), expected, "{recorded}");
    assert_eq!(recorded["transactions"][2]["interactionId"], "pi_fake_1", "{recorded}");
    // The webhook that tells the same, arriving late, records nothing twice.
    let succeeded = json!({"id": "evt_dashboard", "object": "event", "type": "payment_intent.succeeded",
        "created": chrono::Utc::now().timestamp(), "data": {"object": {"id": "pi_fake_1",
        "object": "payment_intent", "status": "succeeded", "amount_received": 400, "currency": "eur",
        "metadata": {"ct_payment_id": id}}}});
    assert_eq!(app.send_event(&succeeded).await.status, reqwest::StatusCode::OK);
    app.event_processed("evt_dashboard").await;
    let recorded = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(summary(&recorded), expected, "{recorded}");
    let refund = app
        .update(
            &recorded,
            json!([{"action": "addTransaction", "transaction": {"type": "Refund", "amount": money(400)}}]),
        )
        .await;
    assert_eq!(
        refund["transactions"][4]["state"], "Success",
        "the dashboard's capture is refundable: {refund}"
    );
}

/// (type, state, centAmount) of each transaction, in order.
fn summary(payment: &Value) -> Vec<(&str, &str, i64)> {
    payment["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap(),
                t["state"].as_str().unwrap(),
                t["amount"]["centAmount"].as_i64().unwrap(),
            )
        })
        .collect()
}
