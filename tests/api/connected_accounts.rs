//! The platform's connected accounts, against our Stripe stand-in (localstripe has no
//! Connect): created, read, linked for onboarding and the dashboard, deleted; a project sees
//! only its own.

use crate::fake_stripe::FakeStripe;
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_seller_account_is_created_onboarded_and_deleted() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |_| {}).await;
    let created = app
        .post(
            "/stripe/connected-accounts",
            json!({"type": "express", "email": "seller@example.com", "country": "DE"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("acct_"));
    assert_eq!(created.body["type"], "express");
    assert_eq!(created.body["chargesEnabled"], false);
    let sent = fake.received().into_iter().find(|r| r.path == "/v1/accounts").unwrap();
    assert!(
        sent.body.contains("type=express") && sent.body.contains("seller%40example.com"),
        "{}",
        sent.body
    );
    assert!(sent.headers.contains_key("idempotency-key"));

    let link = app
        .post(
            &format!("/stripe/connected-accounts/{id}/onboarding-links"),
            json!({"refreshUrl": "https://shop.test/onboarding/again", "returnUrl": "https://shop.test/onboarding/done"}),
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    assert!(link.body["url"].as_str().unwrap().contains(&id));
    let asked = fake.received().into_iter().find(|r| r.path == "/v1/account_links").unwrap();
    assert!(
        asked.body.contains("type=account_onboarding") && asked.body.contains("return_url="),
        "{}",
        asked.body
    );
    let login = app.post(&format!("/stripe/connected-accounts/{id}/login-links"), json!({})).await;
    assert_eq!(login.status, StatusCode::CREATED, "{}", login.body);

    let read = app.get(&format!("/stripe/connected-accounts/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["chargesEnabled"], true, "as Stripe has it now");

    let other_project = app.in_project("other-project").await;
    assert_eq!(
        other_project.get(&format!("/stripe/connected-accounts/{id}")).await.status,
        StatusCode::NOT_FOUND,
        "another project's account"
    );
    let deleted = app.delete(&format!("/stripe/connected-accounts/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, json!({"id": id, "deleted": true}));
    assert!(fake.received().iter().any(|r| r.method == "DELETE" && r.path == format!("/v1/accounts/{id}")));
    assert_eq!(app.get(&format!("/stripe/connected-accounts/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accounts_take_manage_project_a_known_type_and_the_adapter() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |_| {}).await;
    let wrong = app.post("/stripe/connected-accounts", json!({"type": "premium"})).await;
    assert_eq!(wrong.error_code(), "InvalidInput", "{}", wrong.body);
    let unknown_field =
        app.post("/stripe/connected-accounts", json!({"type": "express", "color": "red"})).await;
    assert_eq!(unknown_field.error_code(), "InvalidJsonInput");
    let (id, secret) = app.create_client("manage_payments:test-project");
    let token = app.token_for(&id, &secret, None).await;
    let refused = app
        .request_with_token(
            Method::POST,
            "/stripe/connected-accounts",
            Some(json!({"type": "express"})),
            Some(&token),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "platform administration needs manage_project");
    assert!(fake.received().iter().all(|r| r.path != "/v1/accounts"), "nothing was sent");

    let off = spawn_app().await;
    let without = off.post("/stripe/connected-accounts", json!({"type": "express"})).await;
    assert_eq!(without.error_code(), "InvalidOperation");
}

#[tokio::test]
async fn another_projects_account_takes_no_payments_or_cards_of_ours() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |_| {}).await;
    let created = app.post("/stripe/connected-accounts", json!({"type": "express"})).await;
    let account = created.body["id"].as_str().unwrap().to_owned();

    let other = app.in_project("other-project").await;
    let payment = other
        .create_payment(json!({
            "amountPlanned": {"currencyCode": "EUR", "centAmount": 900},
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}, "interfaceAccount": account},
            "transactions": [{"type": "Authorization", "amount": {"currencyCode": "EUR", "centAmount": 900}}]
        }))
        .await;
    assert_eq!(payment["transactions"][0]["state"], "Failure", "{payment}");
    assert!(payment["paymentStatus"]["interfaceText"].as_str().unwrap().contains("another project"));
    assert!(fake.received().iter().all(|r| r.path != "/v1/payment_intents"), "nothing sent to Stripe");

    let customer = other.create_customer("elsewhere@example.com", "elsewhere").await;
    let cards = other
        .get(&format!(
            "/customers/{}/payment-methods?interfaceAccount={account}",
            customer["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(cards.error_code(), "InvalidOperation", "{}", cards.body);
}

/// A client retrying an account creation sends its own `Idempotency-Key`, so that Stripe
/// answers the retry with the account the first attempt created; the key is scoped to the
/// project.
#[tokio::test]
async fn a_client_idempotency_key_makes_account_creation_safe_to_retry() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |_| {}).await;
    let create = |app: &TestApp, key: &str| {
        app.client
            .post(app.url("/stripe/connected-accounts"))
            .header("Idempotency-Key", key)
            .json(&json!({"type": "express"}))
    };
    let created = app.raw(create(&app, "seller-42")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let other_project = app.in_project("other-project").await;
    assert_eq!(other_project.raw(create(&other_project, "seller-42")).await.status, StatusCode::CREATED);
    let keys: Vec<String> = fake
        .received()
        .into_iter()
        .filter(|r| r.path == "/v1/accounts")
        .map(|r| r.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(
        keys,
        vec![
            format!("ct-account:{}:seller-42", app.project),
            "ct-account:other-project:seller-42".to_owned()
        ]
    );

    for bad in ["", &"k".repeat(201), "with space"] {
        let refused = app.raw(create(&app, bad)).await;
        assert_eq!(refused.error_code(), "InvalidInput", "{bad:?}: {}", refused.body);
    }
    assert_eq!(
        fake.received().iter().filter(|r| r.path == "/v1/accounts").count(),
        2,
        "nothing more was sent"
    );
}
