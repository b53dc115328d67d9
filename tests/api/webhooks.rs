//! Stripe webhooks: signatures on the raw body, the inbox, and the transition table.

use crate::fake_stripe::{FakeStripe, Fault};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": chrono::Utc::now().timestamp(), "data": {"object": object}})
}

/// A Stripe payment recorded by the client (nothing left for the adapter to execute).
async fn recorded_payment(app: &TestApp, transactions: Value) -> Value {
    app.create_payment(json!({
        "amountPlanned": money(1000),
        "paymentMethodInfo": {"paymentInterface": "STRIPE"},
        "transactions": transactions
    }))
    .await
}

fn intent(id: &str, payment_id: &str) -> Value {
    json!({"id": id, "object": "payment_intent", "metadata": {"ct_payment_id": payment_id}})
}

#[tokio::test]
async fn bad_signatures_are_refused_and_nothing_is_stored() {
    let app = spawn_stripe_app().await;
    let payment = recorded_payment(&app, json!([{"type": "Authorization", "amount": money(1000), "state": "Pending", "interactionId": "pi_sig"}])).await;
    let id = payment["id"].as_str().unwrap();
    let succeeded = event("evt_sig", "payment_intent.succeeded", intent("pi_sig", id));
    let now = chrono::Utc::now().timestamp();
    for (secret, timestamp) in
        [("whsec_wrong", now), (WEBHOOK_SECRET, now - 301), (WEBHOOK_SECRET, now + 400)]
    {
        let reply = app.send_event_signed(&succeeded, secret, timestamp).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{secret} at {timestamp}");
        assert_eq!(reply.error_code(), "InvalidInput");
    }
    for header in [None, Some("garbage"), Some("t=1,v1=zz")] {
        let mut request = app.client.post(app.url("/stripe/webhooks")).body(succeeded.to_string());
        if let Some(header) = header {
            request = request.header("Stripe-Signature", header);
        }
        assert_eq!(app.raw_unauthenticated(request).await.status, StatusCode::BAD_REQUEST, "{header:?}");
    }
    let nameless = app.send_event(&event("", "payment_intent.succeeded", intent("pi_sig", id))).await;
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST, "an event without an id cannot be told apart");
    assert_eq!(nameless.error_code(), "InvalidJsonInput");
    let nul = app.send_event(&event("evt_\u{0}", "payment_intent.succeeded", intent("pi_sig", id))).await;
    assert_eq!(nul.status, StatusCode::BAD_REQUEST, "no stored string holds NUL");
    assert_eq!(nul.error_code(), "InvalidJsonInput");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.get(&format!("/payments/{id}")).await.body["transactions"][0]["state"], "Pending");
    // An endpoint set up with a wrong project key fails where it shows: at Stripe.
    let body = succeeded.to_string();
    let secret = payments_api::auth::credentials::Secret::new(WEBHOOK_SECRET.into());
    let header = payments_api::psp::signature::sign(&secret, now, body.as_bytes());
    let elsewhere = app
        .raw_unauthenticated(
            app.client
                .post(format!("{}/no-such-project/stripe/webhooks", app.address))
                .header("Stripe-Signature", header)
                .body(body),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);
    assert_eq!(elsewhere.error_code(), "ResourceNotFound");
    let accepted = app.send_event(&succeeded).await;
    assert_eq!(
        accepted.status,
        StatusCode::OK,
        "the same event, correctly signed, is taken: {}",
        accepted.body
    );
    eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
}

#[tokio::test]
async fn the_previous_secret_works_during_a_rotation() {
    let app = spawn_stripe_app().await;
    let payment = recorded_payment(
        &app,
        json!([{"type": "Charge", "amount": money(1000), "state": "Pending", "interactionId": "pi_rot"}]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    let reply = app
        .send_event_signed(
            &event("evt_rot", "payment_intent.succeeded", intent("pi_rot", id)),
            PREVIOUS_WEBHOOK_SECRET,
            chrono::Utc::now().timestamp(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
}

/// A declined authorization's PaymentIntent that the customer completed after the payment was
/// authorized again elsewhere only holds the money twice: it is released, not recorded. One
/// an event reports paid while Stripe has it cancelled stays a Failure.
#[tokio::test]
async fn a_failed_authorization_is_revived_only_when_stripe_confirms_and_the_payment_needs_it() {
    let app = spawn_stripe_app().await;
    let (stray, current) = (stripe_paid_intent(700, true).await, stripe_paid_intent(700, true).await);
    let payment = recorded_payment(
        &app,
        json!([
            {"type": "Authorization", "amount": money(700), "state": "Failure", "interactionId": stray},
            {"type": "Authorization", "amount": money(700), "state": "Success", "interactionId": current}
        ]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    let mut owned = intent(&stray, id);
    owned["metadata"]["ct_transaction_id"] = payment["transactions"][0]["id"].clone();
    app.send_event(&event("evt_stray", "payment_intent.amount_capturable_updated", owned.clone())).await;
    app.event_processed("evt_stray").await;
    for _ in 0..50 {
        if stripe_intent(&stray).await["status"] == "canceled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stripe_intent(&stray).await["status"], "canceled", "the second hold is released");
    assert_eq!(stripe_intent(&current).await["status"], "requires_capture", "the payment's own stays");
    let after = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(after["transactions"][0]["state"], "Failure", "{after}");

    // Cancelled at Stripe now: a late event telling it was capturable changes nothing.
    app.send_event(&event("evt_late", "payment_intent.amount_capturable_updated", owned)).await;
    app.event_processed("evt_late").await;
    assert_eq!(app.get(&format!("/payments/{id}")).await.body["transactions"][0]["state"], "Failure");
}

#[tokio::test]
async fn intent_events_settle_transactions_and_never_move_them_backwards() {
    let app = spawn_stripe_app().await;
    // Stripe has it paid: a correction from Failure is confirmed with Stripe before it is made.
    let paid = stripe_paid_intent(500, false).await;
    let payment = recorded_payment(
        &app,
        json!([
            {"type": "Authorization", "amount": money(1000), "state": "Pending", "interactionId": "pi_a"},
            {"type": "Charge", "amount": money(500), "state": "Failure", "interactionId": paid}
        ]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    app.send_event(&event("evt_a1", "payment_intent.amount_capturable_updated", intent("pi_a", id))).await;
    eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
    app.send_event(&event("evt_a2", "payment_intent.payment_failed", intent("pi_a", id))).await;
    // A failure confirmed later as a success by Stripe is a real correction, of the transaction
    // the PaymentIntent belongs to (our ids travel in its metadata).
    let charge_id = payment["transactions"][1]["id"].as_str().unwrap();
    let mut owned = intent(&paid, id);
    owned["metadata"]["ct_transaction_id"] = json!(charge_id);
    app.send_event(&event("evt_b1", "payment_intent.succeeded", owned)).await;
    let settled = eventually(&app, id, |p| p["transactions"][1]["state"] == "Success").await;
    assert_eq!(settled["transactions"][0]["state"], "Success", "a late failure does not undo a success");
}

#[tokio::test]
async fn cancels_refunds_and_disputes() {
    let app = spawn_stripe_app().await;
    let payment = recorded_payment(
        &app,
        json!([
            {"type": "CancelAuthorization", "amount": money(1000), "state": "Pending", "interactionId": "pi_c"},
            {"type": "Refund", "amount": money(300), "state": "Pending", "interactionId": "re_1"},
            {"type": "Refund", "amount": money(200), "state": "Pending", "interactionId": "re_2"},
            {"type": "Refund", "amount": money(100), "state": "Pending", "interactionId": "re_3"},
            {"type": "Charge", "amount": money(1000), "state": "Success", "interactionId": "pi_d"}
        ]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    app.send_event(&event("evt_c", "payment_intent.canceled", intent("pi_c", id))).await;
    let charge = json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_d", "metadata": {"ct_payment_id": id},
        "refunds": {"data": [{"id": "re_1", "status": "succeeded"}, {"id": "re_2", "status": "failed"}]}});
    app.send_event(&event("evt_r", "charge.refunded", charge)).await;
    let refund = json!({"id": "re_3", "object": "refund", "status": "succeeded", "payment_intent": "pi_d", "metadata": {"ct_payment_id": id}});
    app.send_event(&event("evt_r3", "refund.updated", refund)).await;
    let settled = eventually(&app, id, |p| {
        p["transactions"][2]["state"] != "Pending" && p["transactions"][3]["state"] != "Pending"
    })
    .await;
    assert_eq!(settled["transactions"][3]["state"], "Success", "refund.updated");
    assert_eq!(settled["transactions"][0]["state"], "Success");
    assert_eq!(settled["transactions"][1]["state"], "Success");
    assert_eq!(settled["transactions"][2]["state"], "Failure");

    let dispute = |status: &str| {
        json!({"id": "dp_1", "object": "dispute", "amount": 1000, "currency": "eur", "payment_intent": "pi_d",
        "status": status, "metadata": {"ct_payment_id": id}})
    };
    // Neither an inquiry (no funds withdrawn) nor a dispute of another PaymentIntent that names
    // the payment in its metadata is a Chargeback of it.
    let mut inquiry = dispute("warning_needs_response");
    inquiry["id"] = json!("dp_inquiry");
    app.send_event(&event("evt_i1", "charge.dispute.created", inquiry)).await;
    let mut foreign = dispute("needs_response");
    (foreign["id"], foreign["payment_intent"]) = (json!("dp_foreign"), json!("pi_foreign"));
    app.send_event(&event("evt_f1", "charge.dispute.created", foreign)).await;
    app.event_processed("evt_i1").await;
    app.event_processed("evt_f1").await;
    let created = event("evt_d1", "charge.dispute.created", dispute("needs_response"));
    app.send_event(&created).await;
    app.send_event(&created).await;
    let disputed = eventually(&app, id, |p| {
        p["transactions"].as_array().unwrap().iter().any(|t| t["type"] == "Chargeback")
    })
    .await;
    app.send_event(&event("evt_d1", "charge.dispute.created", dispute("needs_response"))).await;
    let chargebacks: Vec<&Value> =
        disputed["transactions"].as_array().unwrap().iter().filter(|t| t["type"] == "Chargeback").collect();
    assert_eq!(chargebacks.len(), 1, "a repeated event is applied once: {disputed}");
    assert_eq!(chargebacks[0]["interactionId"], "dp_1");
    assert_eq!(chargebacks[0]["state"], "Pending");
    assert_eq!(chargebacks[0]["amount"]["centAmount"], 1000);
    app.send_event(&event("evt_d2", "charge.dispute.closed", dispute("lost"))).await;
    eventually(&app, id, |p| {
        p["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "Chargeback" && t["state"] == "Success")
    })
    .await;
}

#[tokio::test]
async fn events_for_unknown_objects_are_kept_not_dropped() {
    let app = spawn_stripe_app().await;
    let reply = app
        .send_event(&event(
            "evt_unknown",
            "payment_intent.succeeded",
            json!({"id": "pi_nobody", "metadata": {}}),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "acknowledged once stored");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let db = app.database();
    let stored = db
        .read(|conn| {
            Ok::<_, payments_api::error::ApiError>(payments_api::persistence::psp::event(
                conn,
                "evt_unknown",
            )?)
        })
        .unwrap()
        .expect("the event is in the inbox");
    assert!(!stored.processed, "parked for a later retry");
    assert!(stored.attempts >= 1);
}

/// Object ids are unique only per account: an event found by its metadata alone must come from
/// the account the payment's PaymentIntents live in.
#[tokio::test]
async fn an_event_from_another_account_is_not_applied_to_a_payment_it_names() {
    let app = spawn_stripe_app().await;
    let payment = app
        .create_payment(json!({
            "amountPlanned": money(1000),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "interfaceAccount": "acct_seller"},
            "transactions": [{"type": "CancelAuthorization", "amount": money(1000), "state": "Pending", "interactionId": "pi_seller"}]
        }))
        .await;
    let id = payment["id"].as_str().unwrap();
    let from = |account: &str, event_id: &str| {
        let mut event = event(event_id, "payment_intent.canceled", intent("pi_seller", id));
        event["account"] = json!(account);
        event
    };
    app.send_event(&from("acct_intruder", "evt_elsewhere")).await;
    let db = app.database();
    let tried = || {
        let stored = db.read(|conn| {
            Ok::<_, payments_api::error::ApiError>(payments_api::persistence::psp::event(
                conn,
                "evt_elsewhere",
            )?)
        });
        stored.unwrap().is_some_and(|event| event.attempts > 0)
    };
    for _ in 0..100 {
        if tried() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(tried(), "the event was tried");
    let untouched = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(untouched["transactions"][0]["state"], "Pending", "{untouched}");
    app.send_event(&from("acct_seller", "evt_seller")).await;
    let settled = eventually(&app, id, |p| p["transactions"][0]["state"] != "Pending").await;
    assert_eq!(settled["transactions"][0]["state"], "Success", "{settled}");
}

/// Stripe may deliver an event to two processes at the same moment: both acknowledge it, and
/// it is stored once.
#[tokio::test]
async fn the_same_event_delivered_at_once_is_acknowledged_every_time() {
    let app = spawn_stripe_app().await;
    let twice = event("evt_twice", "customer.created", json!({"id": "cus_twice"}));
    let send = || app.send_event(&twice);
    let replies = tokio::join!(send(), send(), send(), send(), send(), send());
    let statuses = [replies.0, replies.1, replies.2, replies.3, replies.4, replies.5].map(|r| r.status);
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
}

#[tokio::test]
async fn one_process_at_a_time_applies_an_event() {
    use payments_api::persistence::psp::{claim_event, store_event, EventRow};
    let app = spawn_app().await;
    let db = app.database();
    let now = 1_000_000;
    let event = EventRow {
        event_id: "evt_claimed".into(),
        project_key: app.project.clone(),
        event_type: "payment_intent.succeeded".into(),
        payload: "{}".into(),
        received_at: now,
        processed: false,
        attempts: 0,
        next_attempt_at: now,
    };
    let claim = |at: i64| {
        db.write(|conn| {
            Ok::<_, payments_api::error::ApiError>(claim_event(conn, "evt_claimed", at, at + 60_000)?)
        })
        .unwrap()
    };
    let store =
        || db.write(|conn| Ok::<_, payments_api::error::ApiError>(store_event(conn, &event)?)).unwrap();
    assert!(store(), "a new event");
    assert!(!store(), "the same event again is no error, and not new");
    assert!(claim(now), "the first process takes it");
    assert!(!claim(now + 1), "a second process does not while the first holds it");
    assert!(claim(now + 60_000), "a process that died leaves it to another once its claim runs out");
}

#[tokio::test]
async fn webhooks_need_no_token_but_a_configured_stripe() {
    let app = spawn_app().await;
    let reply = app.send_event(&event("evt_off", "payment_intent.succeeded", json!({"id": "pi_1"}))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "the adapter is off without a Stripe key");
}

#[tokio::test]
async fn localstripe_delivers_signed_events_to_the_running_service() {
    let app = spawn_stripe_app().await;
    // Register this app as a webhook endpoint of the fake, with our signing secret.
    let endpoint = format!("wh_{}", uuid::Uuid::new_v4().simple());
    let registered = reqwest::Client::new()
        .post(format!("{}/_config/webhooks/{endpoint}", stripe_api_base()))
        .form(&[
            ("url", app.url("/stripe/webhooks").as_str()),
            ("secret", WEBHOOK_SECRET),
            ("events[]", "payment_intent.succeeded"),
        ])
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success());
    let charged = created_at_stripe(
        &app,
        json!({
            "amountPlanned": money(900),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
            "transactions": [{"type": "Charge", "amount": money(900)}]
        }),
    )
    .await;
    let intent = charged["transactions"][0]["interactionId"].as_str().unwrap().to_owned();
    // localstripe sends its events about a second after they happen.
    for _ in 0..100 {
        if has_processed_event(&app, &intent) {
            let applied = app.get(&format!("/payments/{}", charged["id"].as_str().unwrap())).await.body;
            assert_eq!(applied["transactions"][0]["state"], "Success", "the event confirms what is recorded");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("localstripe did not deliver payment_intent.succeeded for {intent}");
}

/// Whether an event about `object_id` was received and applied.
fn has_processed_event(app: &TestApp, object_id: &str) -> bool {
    use diesel::prelude::*;
    let sql = "SELECT payload FROM psp_events WHERE processed = TRUE";
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        payload: String,
    }
    let rows: Vec<Row> = if is_postgres() {
        diesel::sql_query(sql).load(&mut diesel::PgConnection::establish(&app.database_url).unwrap()).unwrap()
    } else {
        let sqlite_sql = "SELECT payload FROM psp_events WHERE processed = 1";
        diesel::sql_query(sqlite_sql)
            .load(&mut diesel::SqliteConnection::establish(&app.database_url).unwrap())
            .unwrap()
    };
    rows.iter().any(|row| row.payload.contains(object_id))
}

/// What happened only at Stripe is recorded: an authorization Stripe cancelled (it expired, or
/// someone cancelled it in the dashboard) and a refund made in the dashboard become
/// transactions, so that the payment's totals match Stripe and nothing more is captured.
#[tokio::test]
async fn changes_made_at_stripe_are_recorded() {
    let app = spawn_stripe_app().await;
    let authorized = recorded_payment(
        &app,
        json!([{"type": "Authorization", "amount": money(1000), "state": "Success", "interactionId": "pi_exp"}]),
    )
    .await;
    let id = authorized["id"].as_str().unwrap();
    app.send_event(&event("evt_exp", "payment_intent.canceled", intent("pi_exp", id))).await;
    let cancelled = eventually(&app, id, |p| {
        p["transactions"].as_array().unwrap().iter().any(|t| t["type"] == "CancelAuthorization")
    })
    .await;
    assert_eq!(cancelled["transactions"][1]["state"], "Success");
    assert_eq!(cancelled["transactions"][1]["amount"]["centAmount"], 1000);
    let capture = app
        .try_update(
            &cancelled,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(100)}}]),
        )
        .await;
    assert_eq!(
        capture.error_code(),
        "InvalidOperation",
        "nothing is captured from a cancelled authorization"
    );

    let charged = recorded_payment(
        &app,
        json!([{"type": "Charge", "amount": money(1000), "state": "Success", "interactionId": "pi_dash"}]),
    )
    .await;
    let id = charged["id"].as_str().unwrap();
    let charge = json!({"id": "ch_dash", "object": "charge", "payment_intent": "pi_dash", "metadata": {"ct_payment_id": id},
        "refunds": {"data": [{"id": "re_dash", "status": "succeeded", "amount": 400, "currency": "eur", "metadata": {}}]}});
    let refunded_event = event("evt_dash", "charge.refunded", charge);
    app.send_event(&refunded_event).await;
    let refunded =
        eventually(&app, id, |p| p["transactions"].as_array().unwrap().iter().any(|t| t["type"] == "Refund"))
            .await;
    assert_eq!(refunded["transactions"][1]["interactionId"], "re_dash");
    assert_eq!(refunded["transactions"][1]["amount"]["centAmount"], 400);
    assert_eq!(refunded["transactions"][1]["state"], "Success");
    let over = app
        .try_update(
            &refunded,
            json!([{"action": "addTransaction", "transaction": {"type": "Refund", "amount": money(700)}}]),
        )
        .await;
    assert_eq!(over.error_code(), "InvalidOperation", "only 600 are left to refund");
}

/// Since API version 2022-11-15 `charge.refunded` lists no refunds: a refund made in the
/// dashboard of a PaymentIntent we created is known from its `refund.*` events, and the same
/// refund told twice is recorded once.
#[tokio::test]
async fn dashboard_refunds_told_by_refund_events_are_recorded_once() {
    let app = spawn_stripe_app().await;
    let charged = app
        .create_payment(json!({
            "amountPlanned": money(900),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
            "transactions": [{"type": "Charge", "amount": money(900)}]
        }))
        .await;
    let id = charged["id"].as_str().unwrap();
    let charged = eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
    let intent = charged["transactions"][0]["interactionId"].as_str().unwrap();
    let refund = |refund_id: &str, amount: i64| {
        json!({"id": refund_id, "object": "refund", "payment_intent": intent, "status": "succeeded",
            "amount": amount, "currency": "eur", "metadata": {}})
    };
    app.send_event(&event("evt_re_a", "refund.created", refund("re_dash_1", 300))).await;
    app.send_event(&event("evt_re_b", "refund.updated", refund("re_dash_1", 300))).await;
    app.send_event(&event("evt_re_c", "refund.created", refund("re_dash_2", 100))).await;
    let refunded = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 3).await;
    let refunds: Vec<(&str, i64)> = refunded["transactions"].as_array().unwrap()[1..]
        .iter()
        .map(|t| (t["interactionId"].as_str().unwrap(), t["amount"]["centAmount"].as_i64().unwrap()))
        .collect();
    assert!(refunds.contains(&("re_dash_1", 300)) && refunds.contains(&("re_dash_2", 100)), "{refunds:?}");
    for _ in 0..100 {
        if ["evt_re_a", "evt_re_b", "evt_re_c"].iter().all(|e| has_processed_event(&app, e)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(["evt_re_a", "evt_re_b", "evt_re_c"].iter().all(|e| has_processed_event(&app, e)));
    let after = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(after["transactions"].as_array().unwrap().len(), 3, "{after}");
}

/// Stripe does not promise the order of events: a dispute closed before it was told opened is
/// recorded as it ended, and the opening told later adds nothing.
#[tokio::test]
async fn a_dispute_closed_before_it_was_opened_is_recorded_once() {
    let app = spawn_stripe_app().await;
    let payment = recorded_payment(
        &app,
        json!([{"type": "Charge", "amount": money(1000), "state": "Success", "interactionId": "pi_late"}]),
    )
    .await;
    let id = payment["id"].as_str().unwrap();
    let dispute = |status: &str| {
        json!({"id": "dp_late", "object": "dispute", "amount": 1000, "currency": "eur", "payment_intent": "pi_late",
        "status": status, "metadata": {"ct_payment_id": id}})
    };
    app.send_event(&event("evt_dl2", "charge.dispute.closed", dispute("lost"))).await;
    let lost = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 2).await;
    assert_eq!(
        (&lost["transactions"][1]["type"], &lost["transactions"][1]["state"]),
        (&json!("Chargeback"), &json!("Success"))
    );
    app.send_event(&event("evt_dl1", "charge.dispute.created", dispute("needs_response"))).await;
    for _ in 0..100 {
        if has_processed_event(&app, "evt_dl1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(has_processed_event(&app, "evt_dl1"));
    let after = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(after["transactions"].as_array().unwrap().len(), 2, "{after}");
    assert_eq!(after["transactions"][1]["state"], "Success", "{after}");
}

/// A capture made in Stripe's dashboard is told by `payment_intent.succeeded`: a Charge
/// records what was captured, so that the payment's totals match Stripe and it can be refunded,
/// and a CancelAuthorization the rest Stripe released with it.
#[tokio::test]
async fn a_capture_made_in_the_dashboard_is_recorded() {
    let app = spawn_stripe_app().await;
    let authorized = authorized_with_card(&app, 2500).await;
    let id = authorized["id"].as_str().unwrap();
    let intent = authorized["transactions"][0]["interactionId"].as_str().unwrap();
    let succeeded = json!({"id": intent, "object": "payment_intent", "status": "succeeded", "amount": 2500,
        "amount_received": 2000, "currency": "eur", "metadata": {}});
    app.send_event(&event("evt_dash_capture", "payment_intent.succeeded", succeeded)).await;
    let captured = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 3).await;
    let charge = &captured["transactions"][1];
    assert_eq!(
        (&charge["type"], &charge["state"], &charge["amount"]["centAmount"]),
        (&json!("Charge"), &json!("Success"), &json!(2000))
    );
    assert_eq!(charge["interactionId"], intent);
    let released = &captured["transactions"][2];
    assert_eq!(
        (&released["type"], &released["state"], &released["amount"]["centAmount"]),
        (&json!("CancelAuthorization"), &json!("Success"), &json!(500)),
        "{captured}"
    );
    let more = app
        .try_update(
            &captured,
            json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(500)}}]),
        )
        .await;
    assert_eq!(more.error_code(), "InvalidOperation", "Stripe holds nothing more to capture");
}

/// An event that does not tell what was captured says nothing about the rest: the
/// authorization is not recorded as released, so that what Stripe captured stays refundable
/// once it is known.
#[tokio::test]
async fn a_success_that_does_not_tell_what_was_captured_releases_nothing() {
    let app = spawn_stripe_app().await;
    let authorized = authorized_with_card(&app, 2500).await;
    let id = authorized["id"].as_str().unwrap();
    let intent = authorized["transactions"][0]["interactionId"].as_str().unwrap();
    let untold = json!({"id": intent, "object": "payment_intent", "status": "succeeded", "amount": 2500,
        "currency": "eur", "metadata": {}});
    app.send_event(&event("evt_untold_capture", "payment_intent.succeeded", untold)).await;
    for _ in 0..100 {
        if has_processed_event(&app, "evt_untold_capture") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(has_processed_event(&app, "evt_untold_capture"));
    let after = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(after["transactions"].as_array().unwrap().len(), 1, "nothing recorded as released: {after}");
    let told = json!({"id": intent, "object": "payment_intent", "status": "succeeded", "amount": 2500,
        "amount_received": 2000, "currency": "eur", "metadata": {}});
    app.send_event(&event("evt_told_capture", "payment_intent.succeeded", told)).await;
    let recorded = eventually(&app, id, |p| p["transactions"].as_array().unwrap().len() == 3).await;
    assert_eq!(recorded["transactions"][1]["amount"]["centAmount"], 2000, "{recorded}");
    assert_eq!(recorded["transactions"][2]["amount"]["centAmount"], 500, "{recorded}");
}

/// A refund made in the dashboard while one of ours has no Stripe id yet may be ours: its event
/// is kept and applied again later, not dropped.
#[tokio::test]
async fn a_dashboard_refund_told_while_ours_is_under_way_is_kept_for_later() {
    // The charge goes through; every call after it fails, so our refund's outcome stays unknown.
    let faults =
        std::iter::once(Fault::Slow(Duration::ZERO)).chain(std::iter::repeat_n(Fault::ServerError, 50));
    let fake = FakeStripe::start(faults.collect()).await;
    let app = spawn_stripe_app_at(fake.base.clone(), 2_000).await;
    let charged = app
        .create_payment(json!({
            "amountPlanned": money(1000),
            "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
            "transactions": [{"type": "Charge", "amount": money(1000)}]
        }))
        .await;
    assert_eq!(charged["transactions"][0]["state"], "Success", "{charged}");
    let intent = charged["transactions"][0]["interactionId"].as_str().unwrap().to_owned();
    let id = charged["id"].as_str().unwrap().to_owned();
    let ours = app
        .update(
            &charged,
            json!([{"action": "addTransaction", "transaction": {"type": "Refund", "amount": money(300)}}]),
        )
        .await;
    let our_refund = &ours["transactions"][1];
    assert!(our_refund["interactionId"].is_null() && our_refund["state"] != "Failure", "under way: {ours}");
    let refund = json!({"id": "re_elsewhere", "object": "refund", "payment_intent": intent, "status": "succeeded",
        "amount": 400, "currency": "eur", "metadata": {}});
    app.send_event(&event("evt_wait", "refund.created", refund)).await;
    let db = app.database();
    let stored = || {
        db.read(|conn| {
            Ok::<_, payments_api::error::ApiError>(payments_api::persistence::psp::event(conn, "evt_wait")?)
        })
        .unwrap()
        .expect("the event is in the inbox")
    };
    for _ in 0..100 {
        if stored().attempts >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let payment = app.get(&format!("/payments/{id}")).await.body;
    assert!(stored().attempts >= 1 && !stored().processed, "kept for a later attempt: {payment}");
    let payment = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(payment["transactions"].as_array().unwrap().len(), 2, "{payment}");
}
