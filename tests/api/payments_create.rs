use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_full_draft_becomes_version_1_in_commercetools_representation() {
    let app = spawn_app().await;
    let type_1 = app.create_open_type("type-1").await;
    let type_2 = app.create_open_type("type-2").await;
    let payment = app
        .create_payment(json!({
            "key": "order-123",
            "interfaceId": "psp-789",
            "anonymousId": "anon-1",
            "amountPlanned": {"currencyCode": "USD", "centAmount": 1000},
            "paymentMethodInfo": {
                "paymentInterface": "STRIPE",
                "method": "CREDIT_CARD",
                "name": {"en": "Credit Card"},
                "token": {"value": "pm_card_visa"},
                "interfaceAccount": "acct_1"
            },
            "paymentStatus": {"interfaceCode": "open", "interfaceText": "Open"},
            "transactions": [
                {"timestamp": "2015-10-20T10:54:24+02:00", "type": "Charge", "amount": {"currencyCode": "USD", "centAmount": 1000}, "state": "Pending", "interactionId": "ch_1"},
                {"type": "Authorization", "amount": {"currencyCode": "USD", "centAmount": 500}}
            ],
            "interfaceInteractions": [{"type": {"typeId": "type", "key": "type-1"}, "fields": {"raw": "x"}}],
            "custom": {"type": {"id": type_2["id"]}, "fields": {"orderId": "o-1"}}
        }))
        .await;
    assert_eq!(payment["version"], 1);
    assert_eq!(payment["key"], "order-123");
    assert_eq!(
        payment["amountPlanned"],
        json!({"type": "centPrecision", "currencyCode": "USD", "centAmount": 1000, "fractionDigits": 2})
    );
    assert_eq!(payment["paymentMethodInfo"]["token"], json!({"value": "pm_card_visa"}));
    assert_eq!(payment["paymentStatus"], json!({"interfaceCode": "open", "interfaceText": "Open"}));
    let transactions = payment["transactions"].as_array().unwrap();
    assert_eq!(transactions[0]["timestamp"], "2015-10-20T08:54:24.000Z");
    assert_eq!(transactions[0]["state"], "Pending");
    assert_eq!(transactions[1]["state"], "Initial", "state defaults to Initial");
    assert!(transactions[1].get("timestamp").is_none(), "timestamp is not defaulted");
    assert!(uuid::Uuid::parse_str(transactions[0]["id"].as_str().unwrap()).is_ok());
    assert_eq!(
        payment["interfaceInteractions"][0]["type"],
        json!({"typeId": "type", "id": type_1["id"]}),
        "a key resolves to the id"
    );
    assert_eq!(
        payment["custom"],
        json!({"type": {"typeId": "type", "id": type_2["id"]}, "fields": {"orderId": "o-1"}})
    );
    let created_at = payment["createdAt"].as_str().unwrap();
    assert_eq!(created_at.len(), 24, "millisecond UTC timestamp: {created_at}");
    assert!(created_at.ends_with('Z'));
    assert_eq!(payment["createdAt"], payment["lastModifiedAt"]);
}

#[tokio::test]
async fn a_minimal_draft_has_an_empty_status_and_empty_arrays() {
    let app = spawn_app().await;
    let payment = app.create_payment(draft()).await;
    assert_eq!(payment["paymentStatus"], json!({}));
    assert_eq!(payment["paymentMethodInfo"], json!({}));
    assert_eq!(payment["transactions"], json!([]));
    assert_eq!(payment["interfaceInteractions"], json!([]));
    for absent in ["key", "customer", "anonymousId", "interfaceId", "custom"] {
        assert!(payment.get(absent).is_none(), "{absent} is omitted");
    }
}

#[tokio::test]
async fn fraction_digits_follow_the_currency() {
    let app = spawn_app().await;
    for (currency, digits) in [("JPY", 0), ("KWD", 3), ("EUR", 2), ("HUF0", 0)] {
        let payment =
            app.create_payment(json!({"amountPlanned": {"currencyCode": currency, "centAmount": 5}})).await;
        assert_eq!(payment["amountPlanned"]["fractionDigits"], digits, "{currency}");
    }
}

/// A Payment's amounts are CentPrecisionMoney in commercetools: a high-precision draft is
/// accepted and rounded half-even to the currency's minor units.
#[tokio::test]
async fn high_precision_drafts_are_stored_in_cents() {
    let app = spawn_app().await;
    let high =
        json!({"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 10125, "fractionDigits": 3});
    let in_cents =
        json!({"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1012, "fractionDigits": 2});
    let payment = app
        .create_payment(json!({"amountPlanned": high, "transactions": [{"type": "Charge", "amount": high}]}))
        .await;
    assert_eq!(payment["amountPlanned"], in_cents);
    assert_eq!(payment["transactions"][0]["amount"], in_cents);
    let changed = app
        .update(
            &payment,
            json!([
                {"action": "changeAmountPlanned", "amount": {"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 20135, "fractionDigits": 3}},
                {"action": "addTransaction", "transaction": {"type": "Refund", "amount": high}}
            ]),
        )
        .await;
    assert_eq!(changed["amountPlanned"]["centAmount"], 2014);
    assert_eq!(changed["amountPlanned"]["type"], "centPrecision");
    assert_eq!(changed["transactions"][1]["amount"], in_cents);
}

#[tokio::test]
async fn invalid_drafts_are_refused_with_the_path_of_the_problem() {
    let app = spawn_app().await;
    let cases = [
        (json!({}), "amountPlanned"),
        (json!({"amountPlanned": {"currencyCode": "XYZ", "centAmount": 1}}), "amountPlanned"),
        (json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": -5}}), "amountPlanned"),
        (json!({"amountPlanned": {"currencyCode": "EUR", "centAmount": "ten"}}), "amountPlanned"),
        (json!({"amountPlanned": money(1), "key": "has space"}), "key"),
        (json!({"amountPlanned": money(1), "key": "x"}), "key"),
        (
            json!({"amountPlanned": money(1), "transactions": [{"type": "Payout", "amount": money(1)}]}),
            "transactions",
        ),
        (
            json!({"amountPlanned": money(1), "transactions": [{"type": "Charge", "amount": money(1), "state": "Done"}]}),
            "transactions",
        ),
        (
            json!({"amountPlanned": money(1), "transactions": [{"type": "Charge", "amount": money(1), "timestamp": "yesterday"}]}),
            "transactions",
        ),
        (
            json!({"amountPlanned": money(1), "customer": {"typeId": "customer", "id": "a", "key": "b"}}),
            "customer",
        ),
        (json!({"amountPlanned": money(1), "customer": {"typeId": "customer"}}), "customer"),
    ];
    for (body, path) in cases {
        let reply = app.post("/payments", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "InvalidJsonInput", "{body}");
        let detail = reply.body["errors"][0]["detailedErrorMessage"].as_str().unwrap();
        assert!(detail.starts_with(path) || detail.contains(path), "{detail} names {path}");
    }
    let listed = app.get("/payments").await;
    assert_eq!(listed.body["total"], 0, "nothing was stored");
}

#[tokio::test]
async fn malformed_json_and_wrong_shapes_are_invalid_json_input() {
    let app = spawn_app().await;
    for body in [
        "{",
        "[]",
        "not json",
        "",
        "{\"amountPlanned\": {\"currencyCode\": \"EUR\", \"centAmount\": 1}} trailing",
    ] {
        let reply = app
            .raw(app.client.post(app.url("/payments")).header("content-type", "application/json").body(body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error_code(), "InvalidJsonInput", "{body}");
    }
}

#[tokio::test]
async fn references_by_unknown_key_are_not_found() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/payments",
            json!({"amountPlanned": money(1), "customer": {"typeId": "customer", "key": "nobody"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "ReferencedResourceNotFound");
    assert_eq!(reply.body["errors"][0]["typeId"], "customer");
    assert_eq!(reply.body["errors"][0]["key"], "nobody");
}

#[tokio::test]
async fn keys_are_unique_per_project() {
    let app = spawn_app().await;
    app.create_payment(json!({"key": "dup-key", "amountPlanned": money(1)})).await;
    let reply = app.post("/payments", json!({"key": "dup-key", "amountPlanned": money(2)})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "DuplicateField");
    assert_eq!(reply.body["errors"][0]["field"], "key");
    assert_eq!(reply.body["errors"][0]["duplicateValue"], "dup-key");

    let other_project = app.in_project("other-project").await;
    let elsewhere =
        other_project.post("/payments", json!({"key": "dup-key", "amountPlanned": money(2)})).await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "keys are scoped to the project");
}

#[tokio::test]
async fn interface_id_is_unique_per_payment_interface() {
    let app = spawn_app().await;
    let with = |interface: &str| json!({"interfaceId": "psp-1", "amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": interface}});
    app.create_payment(with("STRIPE")).await;
    let reply = app.post("/payments", with("STRIPE")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "DuplicateField");
    assert_eq!(reply.body["errors"][0]["field"], "interfaceId");
    let other_interface = app.post("/payments", with("ADYEN")).await;
    assert_eq!(other_interface.status, StatusCode::CREATED);
    let empty_interface = app.post("/payments", with("")).await;
    assert_eq!(empty_interface.status, StatusCode::CREATED, "an empty name is a name");
}

/// A missing paymentInterface counts as one: two payments without one cannot share an
/// interfaceId, by create or by setInterfaceId, and the wording is the one connectors retry on.
#[tokio::test]
async fn interface_id_is_unique_among_payments_without_an_interface() {
    let app = spawn_app().await;
    let draft = json!({"interfaceId": "psp-1", "amountPlanned": money(1)});
    app.create_payment(draft.clone()).await;
    let reply = app.post("/payments", draft).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "DuplicateField");
    assert_eq!(reply.body["errors"][0]["field"], "interfaceId");
    assert_eq!(reply.body["errors"][0]["duplicateValue"], "psp-1");
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.contains("already used without setting a payment interface"), "{message}");

    let other = app.create_payment(json!({"amountPlanned": money(1)})).await;
    let reply = app.try_update(&other, json!([{"action": "setInterfaceId", "interfaceId": "psp-1"}])).await;
    assert_eq!(reply.error_code(), "DuplicateField");
    let with_interface = app
        .post("/payments", json!({"interfaceId": "psp-1", "amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": "STRIPE"}}))
        .await;
    assert_eq!(with_interface.status, StatusCode::CREATED, "a named interface is another pair");
}

#[tokio::test]
async fn deprecated_draft_fields_are_accepted_with_a_notice() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/payments",
            json!({"amountPlanned": money(100), "amountPaid": money(100), "externalId": "ext"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert!(reply.headers.contains_key("x-deprecation-notice"));
    assert_eq!(reply.body["amountPaid"]["type"], "centPrecision");
    assert_eq!(reply.body["externalId"], "ext");
    let plain = app.post("/payments", draft()).await;
    assert!(!plain.headers.contains_key("x-deprecation-notice"));
}

/// commercetools answers 400 ResourceSizeLimitExceeded for a resource over 16 MB, whether the
/// request itself is too large or the change would make the stored payment so.
#[tokio::test]
async fn resources_over_16_mib_are_refused() {
    let app = spawn_app().await;
    let huge = format!(
        "{{\"amountPlanned\": {{\"currencyCode\": \"EUR\", \"centAmount\": 1}}, \"anonymousId\": \"{}\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    let reply = app
        .raw(app.client.post(app.url("/payments")).header("content-type", "application/json").body(huge))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "ResourceSizeLimitExceeded");
    // Bodies that are not JSON documents (a token request's form, a signed webhook) too.
    let big = "z".repeat(17 * 1024 * 1024);
    for url in [format!("{}/oauth/token", app.address), app.url("/stripe/webhooks")] {
        let reply = app.raw_unauthenticated(app.client.post(url).body(big.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.error_code(), "ResourceSizeLimitExceeded");
    }

    let nine_mib = "y".repeat(9 * 1024 * 1024);
    let payment = app.create_payment(json!({"amountPlanned": money(1), "anonymousId": nine_mib})).await;
    let grown = app
        .try_update(&payment, json!([{"action": "setStatusInterfaceText", "interfaceText": nine_mib}]))
        .await;
    assert_eq!(grown.status, StatusCode::BAD_REQUEST);
    assert_eq!(grown.error_code(), "ResourceSizeLimitExceeded");
    let stored = app.get(&format!("/payments/{}", payment["id"].as_str().unwrap())).await;
    assert_eq!(stored.body["version"], 1);
    assert!(stored.body["paymentStatus"].get("interfaceText").is_none());
}

#[tokio::test]
async fn strings_with_nul_are_refused_on_both_backends() {
    let app = spawn_app().await;
    let reply = app.post("/payments", json!({"amountPlanned": money(1), "anonymousId": "a\u{0}b"})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "InvalidJsonInput");
    let escaped_backslash =
        app.post("/payments", json!({"amountPlanned": money(1), "anonymousId": "a\\u0000b"})).await;
    assert_eq!(escaped_backslash.status, StatusCode::CREATED, "a literal backslash-u is fine");
}

/// PostgreSQL refuses index entries over about 2.7 KB: a value the database indexes is held to
/// 1 KB on both backends, and a longer one is the client's error, not a failed write.
#[tokio::test]
async fn values_too_long_to_index_are_refused_on_both_backends() {
    let app = spawn_app().await;
    // Random text does not compress, as PostgreSQL's index entries otherwise would.
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    let long: String =
        (0..3000usize).map(|i| char::from(letters[(i * 7919 + i / 13) % letters.len()])).collect();
    let fits = &long[..1024];
    for draft in [
        json!({"amountPlanned": money(1), "interfaceId": long}),
        json!({"amountPlanned": money(1), "paymentMethodInfo": {"paymentInterface": long}}),
        json!({"amountPlanned": money(1), "transactions": [{"type": "Charge", "amount": money(1), "interactionId": long}]}),
    ] {
        let reply = app.post("/payments", draft.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.error_code(), "InvalidInput");
    }
    let payment = app
        .create_payment(json!({"amountPlanned": money(1), "interfaceId": fits, "paymentMethodInfo": {"paymentInterface": fits}}))
        .await;
    let longer = app.try_update(&payment, json!([{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(1), "interactionId": long}}])).await;
    assert_eq!(longer.error_code(), "InvalidInput", "{}", longer.body);
    let customer = app
        .post("/customers", json!({"email": "long@example.com", "password": "p", "customerNumber": long}))
        .await;
    assert_eq!(customer.error_code(), "InvalidInput", "{}", customer.body);
}
