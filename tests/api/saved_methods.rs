//! A customer's payment methods saved with Stripe (against localstripe): saved, listed, paid
//! with, removed; and what the endpoints refuse.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_customer_saves_a_card_pays_with_it_and_removes_it() {
    let app = spawn_stripe_app().await;
    let customer = app.create_customer("wallet@example.com", "wallet").await;
    let id = customer["id"].as_str().unwrap();
    let path = format!("/customers/{id}/payment-methods");
    let empty = app.get(&path).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!(empty.body, json!({"count": 0, "results": []}), "no Stripe customer yet");

    let saved = app.post(&path, json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    assert_eq!(saved.body["type"], "card");
    assert_eq!(saved.body["card"]["brand"], "visa");
    assert_eq!(saved.body["card"]["last4"], "4242");
    let method = saved.body["id"].as_str().unwrap().to_owned();
    let listed = app.get(&path).await.body;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["id"], method.as_str());

    let payment = app
        .create_payment(json!({
            "amountPlanned": money(1500),
            "customer": {"typeId": "customer", "id": id},
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": method}},
            "transactions": [{"type": "Authorization", "amount": money(1500)}]
        }))
        .await;
    assert_eq!(
        payment["transactions"][0]["state"], "Success",
        "a saved card pays for its customer: {payment}"
    );

    let other = app.create_customer("someone-else@example.com", "someone-else").await;
    let foreign =
        app.delete(&format!("/customers/{}/payment-methods/{method}", other["id"].as_str().unwrap())).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "another customer's card");
    let removed = app.delete(&format!("{path}/{method}")).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["id"], method.as_str());
    assert_eq!(app.get(&path).await.body["count"], 0);
}

#[tokio::test]
async fn saved_methods_need_the_adapter_a_known_customer_and_customer_scopes() {
    let off = spawn_app().await;
    let customer = off.create_customer("nostripe@example.com", "nostripe").await;
    let without = off.get(&format!("/customers/{}/payment-methods", customer["id"].as_str().unwrap())).await;
    assert_eq!(without.error_code(), "InvalidOperation", "{}", without.body);

    let app = spawn_stripe_app().await;
    assert_eq!(app.get("/customers/no-such-customer/payment-methods").await.status, StatusCode::NOT_FOUND);
    let customer = app.create_customer("scopes@example.com", "scopes").await;
    let path = format!("/customers/{}/payment-methods", customer["id"].as_str().unwrap());
    let bad_body = app.post(&path, json!({"paymentMethod": 7})).await;
    assert_eq!(bad_body.error_code(), "InvalidJsonInput");
    let empty = app.post(&path, json!({"paymentMethod": " "})).await;
    assert_eq!(empty.error_code(), "InvalidInput", "refused before Stripe is called: {}", empty.body);
    let token = |scope: &str| {
        let (id, secret) = app.create_client(scope);
        let app = &app;
        async move { app.token_for(&id, &secret, None).await }
    };
    let payments_only = token("manage_payments:test-project").await;
    let view_customers = token("view_customers:test-project").await;
    let get = |token: String| {
        let (app, path) = (&app, path.clone());
        async move { app.request_with_token(Method::GET, &path, None, Some(&token)).await }
    };
    assert_eq!(get(payments_only).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(view_customers.clone()).await.status, StatusCode::OK);
    let save = app
        .request_with_token(
            Method::POST,
            &path,
            Some(json!({"paymentMethod": "pm_card_visa"})),
            Some(&view_customers),
        )
        .await;
    assert_eq!(save.status, StatusCode::FORBIDDEN, "saving needs manage_customers");
}

#[tokio::test]
async fn an_unreachable_stripe_is_a_503_that_says_so() {
    let app = spawn_stripe_app_at(format!("http://127.0.0.1:{}", free_port()), 1_000).await;
    let customer = app.create_customer("unreachable@example.com", "unreachable").await;
    let path = format!("/customers/{}/payment-methods", customer["id"].as_str().unwrap());
    let refused = app.post(&path, json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.body);
    assert_eq!(refused.error_code(), "OverCapacity");
    assert_eq!(
        refused.body["message"],
        "The payment service provider could not be reached. Please retry with backoff."
    );
}
