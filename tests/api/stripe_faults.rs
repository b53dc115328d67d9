//! The adapter against our own fault-injecting Stripe stand-in: the headers it sends, one
//! Idempotency-Key per transaction on every retry, and exactly one Stripe-side operation through
//! 500s, 429s, timeouts, dropped connections, a crash between the call and the write-back, and
//! two server processes sharing one database.

use crate::db_proxy::DbProxy;
use crate::fake_stripe::{FakeStripe, Fault};
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

fn draft(kind: &str, account: Option<&str>) -> Value {
    let mut info = json!({"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}});
    if let Some(account) = account {
        info["interfaceAccount"] = json!(account);
    }
    json!({
        "amountPlanned": {"currencyCode": "EUR", "centAmount": 1200},
        "paymentMethodInfo": info,
        "transactions": [{"type": kind, "amount": {"currencyCode": "EUR", "centAmount": 1200}}]
    })
}

/// The idempotency keys of the Stripe customers created, in order.
fn customer_creation_keys(fake: &FakeStripe) -> Vec<String> {
    let received = fake.received();
    received
        .iter()
        .filter(|r| r.path == "/v1/customers")
        .map(|r| r.headers["idempotency-key"].clone())
        .collect()
}

async fn app_against(fake: &FakeStripe, wait_ms: u64) -> TestApp {
    spawn_stripe_app_with(fake.base.clone(), |settings| {
        settings.psp.timeout_ms = 500;
        settings.psp.wait_ms = wait_ms;
        settings.psp.worker_interval_ms = 100;
    })
    .await
}

async fn state_of(base: &str, token: &str, project: &str, id: &str) -> String {
    let payment: Value = reqwest::Client::new()
        .get(format!("{base}/{project}/payments/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    payment["transactions"][0]["state"].as_str().unwrap_or_default().to_owned()
}

async fn eventually_success(base: &str, token: &str, project: &str, id: &str) {
    for _ in 0..150 {
        if state_of(base, token, project, id).await == "Success" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("transaction of payment {id} never succeeded (now {})", state_of(base, token, project, id).await);
}

#[tokio::test]
async fn the_adapter_sends_the_account_the_key_and_our_ids() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, 3_000).await;
    let payment = app.create_payment(draft("Authorization", Some("acct_connected_1"))).await;
    assert_eq!(payment["transactions"][0]["state"], "Success", "{payment}");
    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let transaction_id = payment["transactions"][0]["id"].as_str().unwrap();
    assert_eq!(request.path, "/v1/payment_intents");
    assert_eq!(request.headers["stripe-account"], "acct_connected_1");
    assert_eq!(request.headers["idempotency-key"], format!("ct-transaction-{transaction_id}"));
    assert_eq!(request.headers["authorization"], "Bearer sk_test_fake");
    assert_eq!(request.headers["stripe-version"], "2024-10-28.acacia", "the API version the adapter reads");
    let body: Vec<(String, String)> = form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
    let field = |name: &str| body.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(field("amount"), Some("1200"));
    assert_eq!(field("currency"), Some("eur"));
    assert_eq!(field("capture_method"), Some("manual"));
    assert_eq!(field("payment_method"), Some("pm_card_visa"));
    assert_eq!(field("metadata[ct_payment_id]"), payment["id"].as_str());
    assert_eq!(field("metadata[ct_transaction_id]"), Some(transaction_id));
    assert_eq!(field("metadata[ct_project_key]"), Some("test-project"));
}

#[tokio::test]
async fn a_retry_sends_what_the_first_attempt_sent_even_if_the_payment_changed() {
    // Two failed attempts: the third comes well after the change below.
    let fake = FakeStripe::start(vec![Fault::ServerError, Fault::ServerError]).await;
    let app = app_against(&fake, 1_000).await;
    app.create_customer("late@example.com", "late").await;
    let payment = app.create_payment(draft("Authorization", None)).await;
    assert_eq!(payment["transactions"][0]["state"], "Pending", "{payment}");
    // The customer is set after the first (unknown) attempt; Stripe would refuse the key if a
    // retry came with a customer now.
    let payment = app
        .update(
            &payment,
            json!([{"action": "setCustomer", "customer": {"typeId": "customer", "key": "late"}}]),
        )
        .await;
    eventually_success(&app.address, &app.token, &app.project, payment["id"].as_str().unwrap()).await;
    let attempts: Vec<_> = fake.received().into_iter().filter(|r| r.path == "/v1/payment_intents").collect();
    assert!(attempts.len() >= 2, "retried");
    assert!(attempts.iter().all(|a| a.body == attempts[0].body), "every attempt sends the same parameters");
    assert!(!attempts[0].body.contains("customer="), "{}", attempts[0].body);
}

#[tokio::test]
async fn faults_are_retried_with_the_same_key_and_charge_once() {
    // A refused key is ours to fix, not the customer's decline: retried like the others.
    for fault in [
        Fault::ServerError,
        Fault::TooManyRequests,
        Fault::Slow(Duration::from_millis(1_500)),
        Fault::Drop,
        Fault::Unauthorized,
    ] {
        let fake = FakeStripe::start(vec![fault]).await;
        let app = app_against(&fake, 1_000).await;
        let payment = app.create_payment(draft("Charge", None)).await;
        assert_eq!(
            payment["transactions"][0]["state"], "Pending",
            "{fault:?} is unknown, never a decline: {payment}"
        );
        let id = payment["id"].as_str().unwrap();
        eventually_success(&app.address, &app.token, &app.project, id).await;
        let keys: HashSet<String> =
            fake.received().iter().map(|r| r.headers["idempotency-key"].clone()).collect();
        assert!(fake.received().len() >= 2, "{fault:?}: retried");
        assert_eq!(keys.len(), 1, "{fault:?}: every retry sends the same key");
        assert_eq!(fake.intents_created(), 1, "{fault:?}: one Stripe-side operation");
    }
}

/// The database goes away while Stripe is answering a create's authorization: the payment is
/// committed, so the create is answered with it (a 503 would invite a retry, and a second
/// payment), and the operation, whose outcome could not be written, is sent again once the
/// database is back, not only when its lease (a minute) ends.
#[tokio::test]
async fn a_database_outage_during_a_stripe_call_answers_the_payment_and_finishes_it_soon() {
    let Ok(server) = std::env::var("TEST_DATABASE_URL") else { return };
    if server.is_empty() {
        return; // SQLite is a file in the process: there is no connection to lose.
    }
    let proxy = DbProxy::start(&server);
    let fake = FakeStripe::start(vec![Fault::Slow(Duration::from_millis(1_500))]).await;
    let database = std::sync::Arc::new(fresh_database());
    let proxied = proxy.url_for(&database.url);
    let app = spawn_app_on(database, |settings| {
        settings.database.url = payments_api::persistence::DatabaseUrl::parse(&proxied).unwrap();
        settings.psp.stripe_api_base = fake.base.clone();
        settings.psp.stripe_secret_key =
            Some(payments_api::auth::credentials::Secret::new("sk_test_fake".into()));
        settings.psp.timeout_ms = 5_000;
        settings.psp.wait_ms = 3_000;
        settings.psp.worker_interval_ms = 100;
    })
    .await;
    let creating = {
        let app_address = app.address.clone();
        let (token, project) = (app.token.clone(), app.project.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{app_address}/{project}/payments"))
                .bearer_auth(token)
                .json(&draft("Authorization", None))
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    proxy.restore();
    let reply = creating.await.unwrap();
    assert_eq!(reply.status(), reqwest::StatusCode::CREATED);
    let payment: Value = reply.json().await.unwrap();
    let id = payment["id"].as_str().unwrap();
    eventually_success(&app.address, &app.token, &app.project, id).await;
    assert_eq!(fake.intents_created(), 1, "one PaymentIntent, however often it was sent");
}

#[tokio::test]
async fn a_crash_between_the_call_and_the_write_back_is_finished_after_restart() {
    let fake = FakeStripe::start(vec![Fault::Slow(Duration::from_secs(2))]).await;
    let database = fresh_database();
    let database_url = &database.url;
    let port = free_port();
    let env = [
        ("STRIPE_API_BASE", fake.base.as_str()),
        ("STRIPE_SECRET_KEY", "sk_test_fake"),
        ("PSP_WAIT_MS", "0"),
        ("PSP_LEASE_MS", "1000"),
        ("PSP_TIMEOUT_MS", "5000"),
        ("PSP_WORKER_INTERVAL_MS", "100"),
    ];
    let mut server = start_server_process(database_url, port, &env).await;
    let base = format!("http://127.0.0.1:{port}");
    let token = token_from(database_url, &base, "crash-psp").await;
    let created = post_json(&format!("{base}/crash-psp/payments"), &token, &draft("Charge", None)).await;
    let id = created["id"].as_str().unwrap().to_owned();
    // The call is in flight at Stripe (answered after 2 s): the server dies before any answer.
    for _ in 0..50 {
        if !fake.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().await.unwrap();
    let _restarted = start_server_process(database_url, port, &env).await;
    eventually_success(&base, &token, "crash-psp", &id).await;
    // Lookups (GET) carry no key; every call that can create something does, and the same one.
    let keys: HashSet<String> = fake
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.headers["idempotency-key"].clone())
        .collect();
    assert!(fake.received().len() >= 2, "the restarted server called again");
    assert_eq!(keys.len(), 1, "with the same key");
    assert_eq!(fake.intents_created(), 1, "so Stripe did it once");
}

#[tokio::test]
async fn two_processes_on_one_database_execute_each_transaction_once() {
    let fake = FakeStripe::start(vec![]).await;
    let database = fresh_database();
    let database_url = &database.url;
    let env = [
        ("STRIPE_API_BASE", fake.base.as_str()),
        ("STRIPE_SECRET_KEY", "sk_test_fake"),
        ("PSP_WAIT_MS", "0"),
        ("PSP_WORKER_INTERVAL_MS", "20"),
    ];
    let (port_a, port_b) = (free_port(), free_port());
    let _a = start_server_process(database_url, port_a, &env).await;
    let _b = start_server_process(database_url, port_b, &env).await;
    let base_a = format!("http://127.0.0.1:{port_a}");
    let base_b = format!("http://127.0.0.1:{port_b}");
    let token = token_from(database_url, &base_a, "shared").await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let base = if n % 2 == 0 { &base_a } else { &base_b };
        let created = post_json(&format!("{base}/shared/payments"), &token, &draft("Charge", None)).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        eventually_success(&base_a, &token, "shared", id).await;
    }
    let received = fake.received();
    let keys: HashSet<String> = received.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    assert_eq!(keys.len(), 20);
    assert_eq!(received.len(), 20, "each transaction was sent exactly once, by one of the two processes");
}

#[tokio::test]
async fn a_payment_with_money_in_flight_cannot_be_deleted() {
    let fake = FakeStripe::start(vec![Fault::Slow(Duration::from_millis(1_500))]).await;
    let app = app_against(&fake, 0).await;
    let payment = app.create_payment(draft("Charge", None)).await;
    let id = payment["id"].as_str().unwrap();
    let refused = app.delete(&format!("/payments/{id}?version={}", payment["version"])).await;
    assert_eq!(refused.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "InvalidOperation");
    eventually_success(&app.address, &app.token, &app.project, id).await;
    let settled = app.get(&format!("/payments/{id}")).await.body;
    let deleted = app.delete(&format!("/payments/{id}?version={}", settled["version"])).await;
    assert_eq!(deleted.status, reqwest::StatusCode::OK, "once the result is recorded");
}

#[tokio::test]
async fn a_stripe_customer_deleted_at_stripe_is_forgotten() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, 3_000).await;
    let customer = app.create_customer("gone@example.com", "gone").await;
    let mut paid = draft("Authorization", None);
    paid["customer"] = json!({"typeId": "customer", "key": "gone"});
    let first = app.create_payment(paid.clone()).await;
    let first =
        eventually(&app, first["id"].as_str().unwrap(), |p| p["transactions"][0]["state"] != "Initial").await;
    assert_eq!(first["transactions"][0]["state"], "Success", "{first}");
    let customer_id = customer["id"].as_str().unwrap().to_owned();
    let known = |app: &TestApp| {
        let id = customer_id.clone();
        app.database()
            .read(|conn| {
                Ok::<_, payments_api::error::ApiError>(payments_api::persistence::psp::find_customer(
                    conn,
                    "platform",
                    &app.project,
                    &id,
                )?)
            })
            .unwrap()
    };
    let stripe_customer = known(&app).expect("the Stripe customer is recorded");

    fake.delete_customer(&stripe_customer);
    let second = app.create_payment(paid.clone()).await;
    // Waited for, not asserted on the response: on a loaded machine the call may time out and
    // be retried with the same Idempotency-Key after the response's wait is over.
    let second =
        eventually(&app, second["id"].as_str().unwrap(), |p| p["transactions"][0]["state"] != "Initial")
            .await;
    assert_eq!(second["transactions"][0]["state"], "Failure", "{second}");
    assert_eq!(second["paymentStatus"]["interfaceCode"], "resource_missing");
    assert_eq!(known(&app), None, "the next payment creates a new Stripe customer");

    // Stripe replays a key's first answer for a day: the new customer needs a new key, or
    // Stripe would hand back the deleted one.
    let third = app.create_payment(paid).await;
    let third =
        eventually(&app, third["id"].as_str().unwrap(), |p| p["transactions"][0]["state"] != "Initial").await;
    assert_eq!(third["transactions"][0]["state"], "Success", "{third}");
    let renewed = known(&app).expect("a new Stripe customer is recorded");
    assert_ne!(renewed, stripe_customer);
    let keys = customer_creation_keys(&fake);
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[1], format!("{}-1", keys[0]));
}

#[tokio::test]
async fn saved_cards_of_a_stripe_customer_deleted_at_stripe_start_again_with_a_new_one() {
    let fake = FakeStripe::start(vec![]).await;
    let app = app_against(&fake, 3_000).await;
    let customer = app.create_customer("wallet-gone@example.com", "wallet-gone").await;
    let path = format!("/customers/{}/payment-methods", customer["id"].as_str().unwrap());
    let saved = app.post(&path, json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(saved.status, reqwest::StatusCode::CREATED, "{}", saved.body);
    let first_customer = fake
        .received()
        .iter()
        .find(|r| r.path.ends_with("/attach"))
        .map(|r| {
            form_urlencoded::parse(r.body.as_bytes()).find(|(k, _)| k == "customer").unwrap().1.into_owned()
        })
        .unwrap();

    fake.delete_customer(&first_customer);
    let listed = app.get(&path).await;
    assert_eq!(listed.status, reqwest::StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["count"], 0, "the deleted Stripe customer's cards are gone with it");
    let again = app.post(&path, json!({"paymentMethod": "pm_card_visa"})).await;
    assert_eq!(again.status, reqwest::StatusCode::CREATED, "{}", again.body);
    let creations = customer_creation_keys(&fake);
    assert_eq!(creations.len(), 2, "a new Stripe customer, under a new key: {creations:?}");
    assert_eq!(creations[1], format!("{}-1", creations[0]));

    let bad_account = app.get(&format!("{path}?interfaceAccount=acct_zz/../x")).await;
    assert_eq!(bad_account.status, reqwest::StatusCode::BAD_REQUEST, "{}", bad_account.body);
}

/// A payment whose authorization the fake Stripe declined.
async fn declined_payment(app: &TestApp) -> Value {
    let mut declined = draft("Authorization", None);
    declined["paymentMethodInfo"]["token"]["value"] = json!(crate::fake_stripe::DECLINED_CARD);
    let payment = app.create_payment(declined).await;
    assert_eq!(payment["transactions"][0]["state"], "Failure", "{payment}");
    payment
}

/// The requests the fake received for the PaymentIntent the decline left: (lookups, cancels).
fn release_calls(fake: &FakeStripe) -> (usize, usize) {
    let intent = format!("/v1/payment_intents/{}", crate::fake_stripe::DECLINED_INTENT);
    let received = fake.received();
    let lookups = received.iter().filter(|r| r.method == "GET" && r.path.starts_with(&intent)).count();
    let cancels = received.iter().filter(|r| r.path == format!("{intent}/cancel")).count();
    (lookups, cancels)
}

/// A declined PaymentIntent is cancelled at Stripe so that the customer cannot complete it
/// later beside a new authorization; a release that got no answer is tried again until Stripe
/// answers.
#[tokio::test]
async fn the_release_of_a_declined_intent_is_retried_until_stripe_answers() {
    let fake = FakeStripe::start(vec![Fault::ServerError]).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 3_000).await;
    declined_payment(&app).await;
    for _ in 0..100 {
        if release_calls(&fake).1 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(release_calls(&fake), (2, 1), "the first lookup failed (500), the worker's retry cancelled");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(release_calls(&fake), (2, 1), "nothing more once it is cancelled");
}

/// A customer who completes the declined PaymentIntent before the retried release (3-D Secure
/// with another card, say) is not cancelled behind the shop's back: the authorization is
/// recorded as the webhook would have recorded it.
#[tokio::test]
async fn a_declined_intent_paid_before_its_release_is_recorded_not_cancelled() {
    let fake = FakeStripe::start(vec![Fault::ServerError]).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 3_000).await;
    let payment = declined_payment(&app).await;
    fake.set_declined("requires_capture");
    let id = payment["id"].as_str().unwrap();
    let paid = eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
    assert_eq!(paid["paymentStatus"]["interfaceCode"], "requires_capture", "{paid}");
    assert_eq!(release_calls(&fake).1, 0, "never cancelled");
}

/// A declined authorization whose PaymentIntent was completed and captured (in the dashboard)
/// before its release: the authorization and the capture are both recorded, so that the money
/// taken can be refunded through the API.
#[tokio::test]
async fn a_declined_intent_captured_before_its_release_is_recorded_with_its_charge() {
    let fake = FakeStripe::start(vec![Fault::ServerError]).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 3_000).await;
    let payment = declined_payment(&app).await;
    fake.set_declined("succeeded");
    let id = payment["id"].as_str().unwrap();
    let paid = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 2).await;
    assert_eq!(paid["transactions"][0]["state"], "Success", "{paid}");
    assert_eq!(paid["transactions"][1]["type"], "Charge", "{paid}");
    assert_eq!(paid["transactions"][1]["amount"]["centAmount"], 1200);
    assert_eq!(release_calls(&fake).1, 0, "never cancelled");
}

/// The same, captured in part: the rest Stripe released with that capture is recorded too.
#[tokio::test]
async fn a_declined_intent_captured_in_part_before_its_release_records_the_released_rest() {
    let fake = FakeStripe::start(vec![Fault::ServerError]).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 3_000).await;
    let payment = declined_payment(&app).await;
    fake.capture_at_stripe(500);
    let id = payment["id"].as_str().unwrap();
    let paid = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 3).await;
    let transactions = paid["transactions"].as_array().unwrap();
    assert_eq!(transactions[0]["state"], "Success", "{paid}");
    assert_eq!(
        (&transactions[1]["type"], &transactions[1]["amount"]["centAmount"]),
        (&json!("Charge"), &json!(500))
    );
    assert_eq!(
        (&transactions[2]["type"], &transactions[2]["state"], &transactions[2]["amount"]["centAmount"]),
        (&json!("CancelAuthorization"), &json!("Success"), &json!(700)),
        "{paid}"
    );
}

/// A payment deleted while the release of its declined PaymentIntent waits for Stripe: the
/// PaymentIntent is released all the same, so that nobody can pay it without a payment.
#[tokio::test]
async fn a_declined_intent_is_released_after_its_payment_is_deleted() {
    let fake = FakeStripe::start(vec![Fault::ServerError]).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 3_000).await;
    let payment = declined_payment(&app).await;
    let id = payment["id"].as_str().unwrap();
    let version = payment["version"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/payments/{id}?version={version}")).await.status,
        reqwest::StatusCode::OK
    );
    for _ in 0..100 {
        if release_calls(&fake).1 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(release_calls(&fake).1, 1, "cancelled once Stripe answered");
}

/// The worker may take an operation a request just wrote before the request does (here it
/// looks every millisecond): the request then waits for the worker's attempt, and answers
/// with its outcome all the same.
#[tokio::test]
async fn an_answer_shows_the_outcome_when_the_worker_ran_the_operation() {
    let fake = FakeStripe::start(vec![]).await;
    let app = spawn_stripe_app_with(fake.base.clone(), |settings| settings.psp.worker_interval_ms = 1).await;
    for _ in 0..20 {
        let payment = authorized_with_card(&app, 1200).await;
        assert_eq!(payment["transactions"][0]["state"], "Success", "{payment}");
    }
}
