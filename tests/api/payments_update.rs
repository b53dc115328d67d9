use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn payment_with_transaction(app: &TestApp) -> Value {
    app.create_payment(json!({
        "amountPlanned": money(1000),
        "transactions": [{"type": "Authorization", "amount": money(1000)}]
    }))
    .await
}

fn transaction_id(payment: &Value) -> String {
    payment["transactions"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_update_action_applies_through_http() {
    let app = spawn_app().await;
    let custom_type = app.create_open_type("t-all").await;
    let type_id = custom_type["id"].as_str().unwrap();
    app.create_customer("c@example.com", "cust-1").await;
    let state = app.create_state("state-1", true, None).await;
    let payment = payment_with_transaction(&app).await;
    let tx = transaction_id(&payment);
    let updated = app
        .update(
            &payment,
            json!([
                {"action": "setKey", "key": "order-1"},
                {"action": "changeAmountPlanned", "amount": money(1500)},
                {"action": "setCustomer", "customer": {"typeId": "customer", "key": "cust-1"}},
                {"action": "setCustomer"},
                {"action": "setAnonymousId", "anonymousId": "anon-1"},
                {"action": "setInterfaceId", "interfaceId": "psp-1"},
                {"action": "setMethodInfoInterface", "interface": "STRIPE"},
                {"action": "setMethodInfoMethod", "method": "CREDIT_CARD"},
                {"action": "setMethodInfoName", "name": {"en": "Card", "de": "Karte"}},
                {"action": "setMethodInfoToken", "token": {"value": "pm_1"}},
                {"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1"},
                {"action": "setMethodInfoCustomType", "type": {"typeId": "type", "key": "t-all"}, "fields": {"last4": "4242"}},
                {"action": "setMethodInfoCustomField", "name": "brand", "value": "visa"},
                {"action": "setMethodInfo", "method": "SEPA"},
                {"action": "setStatusInterfaceCode", "interfaceCode": "20000"},
                {"action": "setStatusInterfaceText", "interfaceText": "Authorized"},
                {"action": "transitionState", "state": {"typeId": "state", "key": "state-1"}},
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1500), "state": "Pending"}},
                {"action": "changeTransactionState", "transactionId": tx, "state": "Success"},
                {"action": "changeTransactionTimestamp", "transactionId": tx, "timestamp": "2018-10-12T14:00:00.000Z"},
                {"action": "changeTransactionInteractionId", "transactionId": tx, "interactionId": "pi_1"},
                {"action": "setTransactionInterfaceId", "transactionId": tx, "interfaceId": "ch_1"},
                {"action": "addInterfaceInteraction", "type": {"typeId": "type", "id": type_id}, "fields": {"status": "ok"}},
                {"action": "setCustomType", "type": {"typeId": "type", "key": "t-all"}, "fields": {"na": 1}},
                {"action": "setCustomField", "name": "nb", "value": true},
                {"action": "setTransactionCustomType", "transactionId": tx, "type": {"key": "t-all"}},
                {"action": "setTransactionCustomField", "transactionId": tx, "name": "nc", "value": "x"}
            ]),
        )
        .await;
    assert_eq!(updated["version"], 1 + 27);
    assert_eq!(updated["key"], "order-1");
    assert_eq!(updated["amountPlanned"]["centAmount"], 1500);
    assert!(updated.get("customer").is_none());
    assert_eq!(updated["anonymousId"], "anon-1");
    assert_eq!(updated["interfaceId"], "psp-1");
    assert_eq!(
        updated["paymentMethodInfo"],
        json!({
            "paymentInterface": "STRIPE",
            "method": "SEPA",
            "name": {"de": "Karte", "en": "Card"},
            "token": {"value": "pm_1"},
            "interfaceAccount": "acct_1",
            "custom": {"type": {"typeId": "type", "id": type_id}, "fields": {"last4": "4242", "brand": "visa"}}
        })
    );
    assert_eq!(
        updated["paymentStatus"],
        json!({"interfaceCode": "20000", "interfaceText": "Authorized", "state": {"typeId": "state", "id": state["id"]}})
    );
    let first = &updated["transactions"][0];
    assert_eq!(first["state"], "Success");
    assert_eq!(first["timestamp"], "2018-10-12T14:00:00.000Z");
    assert_eq!(first["interactionId"], "pi_1");
    assert_eq!(first["interfaceId"], "ch_1");
    assert_eq!(first["custom"], json!({"type": {"typeId": "type", "id": type_id}, "fields": {"nc": "x"}}));
    assert_eq!(updated["transactions"][1]["type"], "Charge");
    assert_eq!(updated["interfaceInteractions"][0]["fields"]["status"], "ok");
    assert_eq!(updated["custom"]["fields"], json!({"na": 1, "nb": true}));
    assert_ne!(updated["lastModifiedAt"], updated["createdAt"]);
    assert_eq!(app.get(&format!("/payments/{}", updated["id"].as_str().unwrap())).await.body, updated);
}

#[tokio::test]
async fn updates_by_key_work_like_updates_by_id() {
    let app = spawn_app().await;
    app.create_payment(json!({"key": "by-key", "amountPlanned": money(1)})).await;
    let reply = app
        .post(
            "/payments/key=by-key",
            json!({"version": 1, "actions": [{"action": "setAnonymousId", "anonymousId": "a"}]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.body["anonymousId"], "a");
}

#[tokio::test]
async fn omitted_values_remove_fields() {
    let app = spawn_app().await;
    let payment = app
        .create_payment(json!({"key": "k-1", "anonymousId": "a", "amountPlanned": money(1), "paymentStatus": {"interfaceCode": "c"}}))
        .await;
    let updated = app
        .update(
            &payment,
            json!([{"action": "setKey"}, {"action": "setAnonymousId"}, {"action": "setStatusInterfaceCode"}]),
        )
        .await;
    assert!(updated.get("key").is_none());
    assert!(updated.get("anonymousId").is_none());
    assert_eq!(updated["paymentStatus"], json!({}));
    assert_eq!(updated["version"], 4);
}

#[tokio::test]
async fn actions_that_change_nothing_do_not_raise_the_version() {
    let app = spawn_app().await;
    let payment = app.create_payment(json!({"key": "same", "amountPlanned": money(1)})).await;
    let unchanged = app
        .update(&payment, json!([{"action": "setKey", "key": "same"}, {"action": "setAnonymousId"}]))
        .await;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["lastModifiedAt"], payment["lastModifiedAt"]);
    let empty = app.update(&payment, json!([])).await;
    assert_eq!(empty, payment);
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_with_the_current_version() {
    let app = spawn_app().await;
    let payment = app.create_payment(draft()).await;
    let updated = app.update(&payment, json!([{"action": "setAnonymousId", "anonymousId": "a"}])).await;
    let stale = app.try_update(&payment, json!([{"action": "setAnonymousId", "anonymousId": "b"}])).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "ConcurrentModification");
    assert_eq!(stale.body["errors"][0]["currentVersion"], 2);
    let stale_noop = app.try_update(&payment, json!([])).await;
    assert_eq!(stale_noop.status, StatusCode::CONFLICT, "the version is checked even when nothing changes");
    assert_eq!(app.get(&format!("/payments/{}", payment["id"].as_str().unwrap())).await.body, updated);
}

#[tokio::test]
async fn a_failing_action_leaves_the_payment_untouched() {
    let app = spawn_app().await;
    let payment = payment_with_transaction(&app).await;
    let reply = app
        .try_update(
            &payment,
            json!([
                {"action": "setKey", "key": "would-be"},
                {"action": "changeTransactionState", "transactionId": "unknown", "state": "Success"}
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "InvalidOperation");
    let stored = app.get(&format!("/payments/{}", payment["id"].as_str().unwrap())).await.body;
    assert_eq!(stored, payment);
    assert_eq!(app.get("/payments/key=would-be").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_update_requests_are_refused() {
    let app = spawn_app().await;
    let payment = payment_with_transaction(&app).await;
    let path = format!("/payments/{}", payment["id"].as_str().unwrap());
    let cases = [
        (json!({"actions": []}), "InvalidJsonInput"),
        (json!({"version": 1}), "InvalidJsonInput"),
        (json!({"version": "one", "actions": []}), "InvalidJsonInput"),
        (json!({"version": 1, "actions": [{"action": "fly"}]}), "InvalidJsonInput"),
        (json!({"version": 1, "actions": [{"action": "setKey", "key": "a b"}]}), "InvalidJsonInput"),
        (json!({"version": 1, "actions": [{"action": "changeAmountPlanned"}]}), "InvalidJsonInput"),
        (json!({"version": 1, "actions": [{"action": "setInterfaceId"}]}), "InvalidJsonInput"),
        (
            json!({"version": 1, "actions": [{"action": "changeTransactionState", "transactionId": "x", "state": "Paid"}]}),
            "InvalidJsonInput",
        ),
        (
            json!({"version": 1, "actions": [{"action": "setCustomField", "name": "n", "value": 1}]}),
            "InvalidOperation",
        ),
        (
            json!({"version": 1, "actions": [{"action": "setCustomer", "customer": {"typeId": "customer", "key": "k"}}]}),
            "ReferencedResourceNotFound",
        ),
    ];
    for (body, code) in cases {
        let reply = app.post(&path, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), code, "{body}");
    }
    let too_many: Vec<Value> = (0..501).map(|_| json!({"action": "setAnonymousId"})).collect();
    let reply = app.post(&path, json!({"version": 1, "actions": too_many})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "InvalidInput");
    assert_eq!(reply.body["message"], "The update actions count of 501 exceeds the limit of 500.");
    let stale = app.post(&path, json!({"version": 7, "actions": too_many})).await;
    assert_eq!(stale.error_code(), "InvalidInput", "the limit is checked before the version");
    assert_eq!(app.get(&path).await.body, payment);
}

/// commercetools names the field inside an action (`actions -> customerId: Invalid UUID`), with
/// neither the action's position nor its name.
#[tokio::test]
async fn a_malformed_action_is_named_by_the_path_of_its_field() {
    let app = spawn_app().await;
    let payment = payment_with_transaction(&app).await;
    let path = format!("/payments/{}", payment["id"].as_str().unwrap());
    let cases = [
        (
            json!({"action": "setCustomer", "customer": {"typeId": "customer", "id": 7}}),
            "actions -> customer -> id: JSON string expected.",
        ),
        (
            json!({"action": "changeAmountPlanned", "amount": {"currencyCode": "EUR"}}),
            "actions -> amount -> centAmount: Missing required value",
        ),
        (
            json!({"action": "setKey", "key": "a b"}),
            "actions -> key: Invalid key 'a b'. A key may only contain [A-Za-z0-9_-].",
        ),
        (
            json!({"action": "fly"}),
            "actions -> action: Invalid enum value 'fly'. Expected one of: 'setKey', ",
        ),
    ];
    for (action, detail) in cases {
        let body =
            json!({"version": 1, "actions": [{"action": "setAnonymousId", "anonymousId": "a"}, action]});
        let reply = app.post(&path, body).await;
        assert_eq!(reply.error_code(), "InvalidJsonInput");
        let got = reply.body["errors"][0]["detailedErrorMessage"].as_str().unwrap();
        assert!(got.starts_with(detail), "{got}");
    }
    let type_reply =
        app.post("/types", json!({"key": "t-1", "name": {"en": "T"}, "resourceTypeIds": ["payment"]})).await;
    let renamed = app
        .post(
            &format!("/types/{}", type_reply.body["id"].as_str().unwrap()),
            json!({"version": 1, "actions": [{"action": "changeName", "name": "T2"}]}),
        )
        .await;
    assert_eq!(renamed.body["errors"][0]["detailedErrorMessage"], "actions -> name: JSON object expected.");
    assert_eq!(app.get(&path).await.body, payment);
}

#[tokio::test]
async fn immutable_fields_cannot_change_once_set() {
    let app = spawn_app().await;
    let payment = app
        .create_payment(json!({"interfaceId": "psp-1", "amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": "STRIPE"}}))
        .await;
    for action in [
        json!({"action": "setInterfaceId", "interfaceId": "psp-2"}),
        json!({"action": "setMethodInfoInterface", "interface": "ADYEN"}),
        json!({"action": "setMethodInfo", "paymentInterface": "ADYEN"}),
    ] {
        let reply = app.try_update(&payment, json!([action])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{action}");
        assert_eq!(reply.error_code(), "InvalidOperation");
    }
    let same = app.update(&payment, json!([{"action": "setInterfaceId", "interfaceId": "psp-1"}])).await;
    assert_eq!(same["version"], 1);
}

#[tokio::test]
async fn updates_keep_keys_and_interface_ids_unique() {
    let app = spawn_app().await;
    app.create_payment(json!({"key": "taken", "interfaceId": "psp-1", "amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": "STRIPE"}}))
        .await;
    let other = app
        .create_payment(
            json!({"amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": "STRIPE"}}),
        )
        .await;
    let reply = app.try_update(&other, json!([{"action": "setKey", "key": "taken"}])).await;
    assert_eq!(reply.error_code(), "DuplicateField");
    assert_eq!(reply.body["errors"][0]["field"], "key");
    let reply = app.try_update(&other, json!([{"action": "setInterfaceId", "interfaceId": "psp-1"}])).await;
    assert_eq!(reply.error_code(), "DuplicateField");
    assert_eq!(reply.body["errors"][0]["field"], "interfaceId");
}

#[tokio::test]
async fn deprecated_actions_are_applied_with_a_notice() {
    let app = spawn_app().await;
    let payment = app.create_payment(draft()).await;
    let reply = app
        .try_update(
            &payment,
            json!([
                {"action": "setAuthorization", "amount": money(1000), "until": "2030-01-01T00:00:00Z"},
                {"action": "setAmountPaid", "amount": money(1000)},
                {"action": "setAmountRefunded", "amount": money(100)},
                {"action": "setExternalId", "externalId": "ext-1"}
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.contains_key("x-deprecation-notice"));
    assert_eq!(reply.body["amountAuthorized"]["centAmount"], 1000);
    assert_eq!(reply.body["authorizedUntil"], "2030-01-01T00:00:00.000Z");
    assert_eq!(reply.body["amountRefunded"]["centAmount"], 100);
    assert_eq!(reply.body["externalId"], "ext-1");
    assert_eq!(reply.body["version"], 5);
}

#[tokio::test]
async fn updates_of_missing_payments_are_404() {
    let app = spawn_app().await;
    let reply = app
        .post("/payments/00000000-0000-0000-0000-000000000000", json!({"version": 1, "actions": []}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "ResourceNotFound");
    let reply = app.post("/payments/key=missing", json!({"version": 1, "actions": []})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_checks_the_version_and_returns_the_payment() {
    let app = spawn_app().await;
    let payment = app.create_payment(json!({"key": "to-delete", "amountPlanned": money(1)})).await;
    let id = payment["id"].as_str().unwrap();
    let missing_version = app.delete(&format!("/payments/{id}")).await;
    assert_eq!(missing_version.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing_version.error_code(), "InvalidInput");
    let stale = app.delete(&format!("/payments/{id}?version=2")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["errors"][0]["currentVersion"], 1);
    let deleted = app.delete(&format!("/payments/{id}?version=1&dataErasure=True")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, payment);
    assert_eq!(app.get(&format!("/payments/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/payments/{id}?version=1")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_by_key() {
    let app = spawn_app().await;
    app.create_payment(json!({"key": "gone", "amountPlanned": money(1)})).await;
    let deleted = app.delete("/payments/key=gone?version=1").await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(app.head("/payments/key=gone").await.status, StatusCode::NOT_FOUND);
    let recreated = app.post("/payments", json!({"key": "gone", "amountPlanned": money(1)})).await;
    assert_eq!(recreated.status, StatusCode::CREATED, "the key is free again");
}

#[tokio::test]
async fn every_change_records_its_messages_in_order() {
    let app = spawn_app().await;
    let payment = payment_with_transaction(&app).await;
    let tx = transaction_id(&payment);
    let updated = app
        .update(
            &payment,
            json!([
                {"action": "setKey", "key": "with-messages"},
                {"action": "changeTransactionState", "transactionId": tx, "state": "Pending"},
                {"action": "setStatusInterfaceCode", "interfaceCode": "authorized"},
                {"action": "setMethodInfoToken", "token": {"value": "pm_secret"}}
            ]),
        )
        .await;
    assert_eq!(payment["lastMessageSequenceNumber"], 1, "PaymentCreated is the first");
    assert_eq!(updated["lastMessageSequenceNumber"], 4, "setKey writes no Message");
    let db = app.database();
    let id = updated["id"].as_str().unwrap();
    let messages: Vec<Value> = payments_api::service::payments::messages_of(&db, &app.project, id)
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    let summary: Vec<(i64, i64, &str)> = messages
        .iter()
        .map(|m| {
            (
                m["sequenceNumber"].as_i64().unwrap(),
                m["resourceVersion"].as_i64().unwrap(),
                m["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, 1, "PaymentCreated"),
            (2, 3, "PaymentTransactionStateChanged"),
            (3, 4, "PaymentStatusInterfaceCodeSet"),
            (4, 5, "PaymentMethodInfoTokenSet"),
        ]
    );
    assert_eq!(messages[0]["resource"], json!({"typeId": "payment", "id": id}));
    assert_eq!(messages[0]["payment"]["id"], id);
    assert_eq!(messages[0]["payment"]["lastMessageSequenceNumber"], 1, "as the payment it created");
    assert_eq!(messages[1]["transactionId"], tx.as_str());
    assert_eq!(messages[1]["state"], "Pending");
    assert_eq!(messages[3]["token"]["value"], "***", "token values are masked in messages");
    assert_eq!(messages[3]["resourceUserProvidedIdentifiers"]["key"], "with-messages");
}
