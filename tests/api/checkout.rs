//! Payments on Stripe's hosted page (Checkout Sessions), against our own Stripe stand-in:
//! localstripe has no Checkout. The session's URL reaches the shop; once the customer has paid,
//! the webhook makes the lookup due, which records the session's PaymentIntent, so that the
//! authorization is captured like any other.

use crate::fake_stripe::{FakeStripe, CHECKOUT_INTENT};
use crate::helpers::*;
use serde_json::{json, Value};
use std::time::Duration;

fn hosted(kind: &str) -> Value {
    json!({
        "amountPlanned": money(2500),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "method": "stripe-checkout"},
        "transactions": [{"type": kind, "amount": money(2500)}]
    })
}

async fn app_with_urls(fake: &FakeStripe) -> TestApp {
    spawn_stripe_app_with(fake.base.clone(), |settings| {
        settings.psp.stripe_checkout_success_url = Some("https://shop.test/paid/{PAYMENT_ID}".into());
        settings.psp.stripe_checkout_cancel_url = Some("https://shop.test/cart/{PAYMENT_ID}".into());
    })
    .await
}

#[tokio::test]
async fn a_checkout_session_is_paid_on_stripes_page_and_then_captured() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_with_urls(&fake).await;
    let payment = app.create_payment(hosted("Authorization")).await;
    let id = payment["id"].as_str().unwrap().to_owned();
    let authorization = &payment["transactions"][0];
    assert_eq!(authorization["state"], "Pending", "{payment}");
    let session = authorization["interactionId"].as_str().unwrap().to_owned();
    assert!(session.starts_with("cs_"), "{session}");
    let next_action: Value =
        serde_json::from_str(payment["interfaceInteractions"][0]["fields"]["nextAction"].as_str().unwrap())
            .unwrap();
    assert_eq!(next_action["type"], "redirect_to_url");
    assert!(next_action["redirect_to_url"]["url"].as_str().unwrap().contains(&session));

    let created = fake.received().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    let form: Vec<(String, String)> = form_urlencoded::parse(created.body.as_bytes()).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field("mode").as_deref(), Some("payment"));
    assert_eq!(field("payment_intent_data[capture_method]").as_deref(), Some("manual"));
    assert_eq!(field("line_items[0][price_data][unit_amount]").as_deref(), Some("2500"));
    assert_eq!(field("line_items[0][price_data][currency]").as_deref(), Some("eur"));
    assert_eq!(field("success_url"), Some(format!("https://shop.test/paid/{id}")));
    assert_eq!(field("cancel_url"), Some(format!("https://shop.test/cart/{id}")));
    assert_eq!(field("metadata[ct_payment_id]"), Some(id.clone()));
    assert_eq!(field("payment_intent_data[metadata][ct_payment_id]"), Some(id.clone()));
    assert_eq!(
        field("payment_intent_data[metadata][ct_transaction_id]"),
        authorization["id"].as_str().map(str::to_owned)
    );

    // The customer pays; Stripe says so by webhook.
    fake.set_checkout("complete");
    let event = json!({"id": "evt_checkout_done", "type": "checkout.session.completed", "data": {"object": {
        "id": session, "object": "checkout.session", "status": "complete", "payment_intent": CHECKOUT_INTENT,
        "metadata": {"ct_payment_id": id, "ct_transaction_id": authorization["id"]}}}});
    assert_eq!(app.send_event(&event).await.status, reqwest::StatusCode::OK);
    let mut paid = Value::Null;
    for _ in 0..100 {
        paid = app.get(&format!("/payments/{id}")).await.body;
        if paid["transactions"][0]["state"] == "Success" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(paid["transactions"][0]["state"], "Success", "{paid}");
    assert_eq!(
        paid["transactions"][0]["interactionId"], CHECKOUT_INTENT,
        "the PaymentIntent stands for it now"
    );
    assert_eq!(paid["paymentStatus"]["interfaceCode"], "requires_capture");

    let captured = app
        .update(
            &paid,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(2500)}}]),
        )
        .await;
    assert_eq!(captured["transactions"][1]["state"], "Success", "{captured}");
    assert!(fake
        .received()
        .iter()
        .any(|r| r.path == format!("/v1/payment_intents/{CHECKOUT_INTENT}/capture")));
}

#[tokio::test]
async fn an_expired_session_fails_and_one_without_urls_is_refused() {
    let fake = FakeStripe::start(vec![]).await;
    fake.set_checkout("expired");
    let app = app_with_urls(&fake).await;
    let expired = app.create_payment(hosted("Charge")).await;
    assert_eq!(expired["transactions"][0]["state"], "Failure", "{expired}");
    let sent = fake.received().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert!(sent.body.contains("capture_method%5D=automatic"), "a Charge collects at once: {}", sent.body);

    let unconfigured = spawn_stripe_app_with(fake.base.clone(), |_| {}).await;
    let refused = unconfigured.create_payment(hosted("Authorization")).await;
    assert_eq!(refused["transactions"][0]["state"], "Failure", "{refused}");
    assert!(refused["paymentStatus"]["interfaceText"]
        .as_str()
        .unwrap()
        .contains("STRIPE_CHECKOUT_SUCCESS_URL"));
}

/// A shop abandons a hosted checkout the customer never finished: the session is expired at
/// Stripe (its page no longer takes a payment) and the Authorization fails.
#[tokio::test]
async fn an_abandoned_checkout_is_expired_at_stripe() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_with_urls(&fake).await;
    let open = app.create_payment(hosted("Authorization")).await;
    assert_eq!(open["transactions"][0]["state"], "Pending", "{open}");
    let session = open["transactions"][0]["interactionId"].as_str().unwrap().to_owned();
    let cancelled = app
        .update(
            &open,
            json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(2500)}}]),
        )
        .await;
    assert_eq!(cancelled["transactions"][1]["state"], "Success", "{cancelled}");
    assert!(fake.received().iter().any(|r| r.path == format!("/v1/checkout/sessions/{session}/expire")));
    let id = open["id"].as_str().unwrap();
    eventually(&app, id, |p| p["transactions"][0]["state"] == "Failure").await;
}

/// An expiry Stripe refuses: the session expired on its own meanwhile (looked up, the cancel
/// did what it was for), or the customer paid (the cancel failed, and the payment can be
/// captured).
#[tokio::test]
async fn a_refused_expiry_is_settled_by_what_the_session_is() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_with_urls(&fake).await;
    let cancel = json!([{"action": "addTransaction", "transaction": {"type": "CancelAuthorization", "amount": money(2500)}}]);

    let lapsed = app.create_payment(hosted("Authorization")).await;
    // Its own lookups are over (they would find it expired before the cancel does).
    let authorization = lapsed["transactions"][0]["id"].as_str().unwrap();
    execute_sql(
        &app,
        &format!("UPDATE psp_operations SET done = TRUE WHERE transaction_id = '{authorization}'"),
    );
    fake.set_checkout("expired");
    let cancelled = app.update(&lapsed, cancel.clone()).await;
    assert_eq!(cancelled["transactions"][1]["state"], "Success", "{cancelled}");

    fake.set_checkout("open");
    let paid = app.create_payment(hosted("Authorization")).await;
    fake.set_checkout("complete");
    let refused = app.update(&paid, cancel).await;
    assert_eq!(refused["transactions"][1]["state"], "Failure", "{refused}");
}

#[tokio::test]
async fn with_multicapture_the_hosted_authorization_asks_for_it() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |settings| {
        settings.psp.stripe_checkout_success_url = Some("https://shop.test/paid/{PAYMENT_ID}".into());
        settings.psp.stripe_checkout_cancel_url = Some("https://shop.test/cart/{PAYMENT_ID}".into());
        settings.psp.stripe_multicapture = true;
    })
    .await;
    app.create_payment(hosted("Authorization")).await;
    let created = fake.received().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    let form: Vec<(String, String)> = form_urlencoded::parse(created.body.as_bytes()).into_owned().collect();
    assert!(
        form.iter()
            .any(|(k, v)| k == "payment_method_options[card][request_multicapture]" && v == "if_available"),
        "{form:?}"
    );
}
