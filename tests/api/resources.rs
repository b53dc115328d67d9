//! Types, States, Customers, reference validation, expansion and Messages through HTTP.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn every_field_type() -> Vec<Value> {
    vec![
        json!({"name": "orderId", "label": {"en": "Order"}, "required": true, "type": {"name": "String"}, "inputHint": "SingleLine"}),
        field("flag", "Boolean"),
        field("count", "Number"),
        field("label", "LocalizedString"),
        json!({"name": "color", "label": {"en": "c"}, "required": false, "type": {"name": "Enum", "values": [{"key": "red", "label": "Red"}]}}),
        json!({"name": "size", "label": {"en": "s"}, "required": false, "type": {"name": "LocalizedEnum", "values": [{"key": "s", "label": {"en": "S"}}]}}),
        field("price", "Money"),
        field("due", "Date"),
        field("clock", "Time"),
        field("at", "DateTime"),
        json!({"name": "buyer", "label": {"en": "b"}, "required": false, "type": {"name": "Reference", "referenceTypeId": "customer"}}),
        json!({"name": "tags", "label": {"en": "t"}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}}),
    ]
}

#[tokio::test]
async fn types_are_created_read_queried_updated_and_deleted() {
    let app = spawn_app().await;
    let created = app.create_type("order-info", &["payment", "transaction"], every_field_type()).await;
    assert_eq!(created["version"], 1);
    assert_eq!(created["fieldDefinitions"].as_array().unwrap().len(), 12);
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/types/{id}")).await.body, created);
    assert_eq!(app.get("/types/key=order-info").await.body, created);
    assert_eq!(app.head("/types/key=order-info").await.status, StatusCode::OK);
    assert_eq!(app.head("/types/key=nope").await.status, StatusCode::NOT_FOUND);
    let found = app
        .raw(
            app.client
                .get(app.url("/types"))
                .query(&[("where", r#"resourceTypeIds contains any ("transaction")"#)]),
        )
        .await;
    assert_eq!(found.body["total"], 1);
    let none = app.raw(app.client.get(app.url("/types")).query(&[("where", r#"key = "other""#)])).await;
    assert_eq!(none.body["count"], 0);

    let updated = app
        .post(
            &format!("/types/{id}"),
            json!({"version": 1, "actions": [
                {"action": "changeName", "name": {"en": "Order information"}},
                {"action": "setDescription", "description": {"en": "What the shop knows"}},
                {"action": "addFieldDefinition", "fieldDefinition": field("note", "String")},
                {"action": "changeLabel", "fieldName": "note", "label": {"en": "Note"}},
                {"action": "addEnumValue", "fieldName": "color", "value": {"key": "blue", "label": "Blue"}},
                {"action": "removeFieldDefinition", "fieldName": "clock"},
                {"action": "changeFieldDefinitionOrder", "fieldNames": ["note", "orderId", "flag", "count", "label", "color", "size", "price", "due", "at", "buyer", "tags"]}
            ]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 8);
    assert_eq!(updated.body["fieldDefinitions"][0]["name"], "note");
    assert_eq!(updated.body["fieldDefinitions"][0]["label"], json!({"en": "Note"}));
    let stale = app.post(&format!("/types/{id}"), json!({"version": 1, "actions": []})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let duplicate = app
        .post("/types", json!({"key": "order-info", "name": {"en": "x"}, "resourceTypeIds": ["payment"]}))
        .await;
    assert_eq!(duplicate.error_code(), "DuplicateField");
    assert_eq!(duplicate.body["errors"][0]["field"], "key");
    let deleted = app.delete(&format!("/types/{id}?version=8")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/types/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_type_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    let custom_type = app.create_open_type("in-use").await;
    let payment = app
        .create_payment(
            json!({"amountPlanned": money(1), "custom": {"type": {"key": "in-use"}, "fields": {}}}),
        )
        .await;
    let refused = app.delete(&format!("/types/{}?version=1", custom_type["id"].as_str().unwrap())).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "ReferenceExists");
    app.update(&payment, json!([{"action": "setCustomType"}])).await;
    let deleted = app.delete(&format!("/types/{}?version=1", custom_type["id"].as_str().unwrap())).await;
    assert_eq!(deleted.status, StatusCode::OK, "no payment uses it any more");
}

#[tokio::test]
async fn customers_carry_checked_custom_fields_and_keep_their_type() {
    let app = spawn_app().await;
    let loyalty = app
        .create_type(
            "loyalty",
            &["customer"],
            vec![json!({"name": "tier", "label": {"en": "Tier"}, "required": false, "type": {"name": "String"}})],
        )
        .await;
    app.create_open_type("payments-only").await;
    let draft = |custom: Value| json!({"email": "vip@example.com", "password": "pw", "custom": custom});
    let wrong_resource = app.post("/customers", draft(json!({"type": {"key": "payments-only"}}))).await;
    assert_eq!(wrong_resource.status, StatusCode::BAD_REQUEST, "{}", wrong_resource.body);
    let wrong_value =
        app.post("/customers", draft(json!({"type": {"key": "loyalty"}, "fields": {"tier": 3}}))).await;
    assert_eq!(wrong_value.status, StatusCode::BAD_REQUEST, "{}", wrong_value.body);
    let missing = app.post("/customers", draft(json!({"type": {"key": "nowhere"}}))).await;
    assert_eq!(missing.error_code(), "ReferencedResourceNotFound");

    let created =
        app.post("/customers", draft(json!({"type": {"key": "loyalty"}, "fields": {"tier": "gold"}}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let customer = &created.body["customer"];
    assert_eq!(customer["custom"]["type"], json!({"typeId": "type", "id": loyalty["id"]}));
    assert_eq!(customer["custom"]["fields"], json!({"tier": "gold"}));
    let found = app
        .raw(app.client.get(app.url("/customers")).query(&[("where", r#"custom(fields(tier = "gold"))"#)]))
        .await;
    assert_eq!(found.body["results"][0]["id"], customer["id"], "{}", found.body);

    let type_path = format!("/types/{}?version=1", loyalty["id"].as_str().unwrap());
    let refused = app.delete(&type_path).await;
    assert_eq!(refused.error_code(), "ReferenceExists");
    assert_eq!(refused.body["errors"][0]["referencedBy"], "customer");

    let id = customer["id"].as_str().unwrap();
    let updated = app
        .post(
            &format!("/customers/{id}"),
            json!({"version": 1, "actions": [{"action": "setCustomField", "name": "tier", "value": "platinum"}]}),
        )
        .await;
    assert_eq!(updated.body["custom"]["fields"]["tier"], "platinum", "{}", updated.body);
    let bad = app
        .post(
            &format!("/customers/{id}"),
            json!({"version": 2, "actions": [{"action": "setCustomField", "name": "tier", "value": 7}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "the value is checked against the Type");
    let removed = app
        .post(&format!("/customers/{id}"), json!({"version": 2, "actions": [{"action": "setCustomType"}]}))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert!(removed.body.get("custom").is_none());
    let other = app
        .post(
            "/customers",
            json!({"email": "other@example.com", "password": "pw", "custom": {"type": {"key": "loyalty"}}}),
        )
        .await;
    assert_eq!(app.delete(&type_path).await.error_code(), "ReferenceExists");
    let other_id = other.body["customer"]["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/customers/{other_id}?version=1")).await.status, StatusCode::OK);
    assert_eq!(app.delete(&type_path).await.status, StatusCode::OK, "no customer uses it any more");
}

/// commercetools deletes the values of a removed field definition; they never block a change.
#[tokio::test]
async fn values_of_a_removed_field_definition_go_with_it() {
    let app = spawn_app().await;
    let field = |name: &str, kind: &str| json!({"name": name, "label": {"en": name}, "required": false, "type": {"name": kind}});
    let custom_type =
        app.create_type("shrinking", &["payment"], vec![field("ga", "Boolean"), field("gb", "String")]).await;
    let payment = app
        .create_payment(json!({"amountPlanned": money(1), "custom": {"type": {"key": "shrinking"}, "fields": {"ga": true, "gb": "s"}}}))
        .await;
    let type_id = custom_type["id"].as_str().unwrap();
    let removed = app
        .post(
            &format!("/types/{type_id}"),
            json!({"version": 1, "actions": [{"action": "removeFieldDefinition", "fieldName": "ga"}]}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let updated =
        app.update(&payment, json!([{"action": "setCustomField", "name": "gb", "value": "t"}])).await;
    assert_eq!(updated["custom"]["fields"], json!({"gb": "t"}), "{updated}");
}

/// commercetools stores Money custom fields as CentPrecisionMoney, however the draft wrote them.
#[tokio::test]
async fn money_custom_fields_are_stored_as_cent_precision_money() {
    let app = spawn_app().await;
    app.create_type("fees", &["payment", "transaction"], vec![field("fee", "Money")]).await;
    let in_cents = |code: &str, cents: i64, digits: i64| json!({"type": "centPrecision", "currencyCode": code, "centAmount": cents, "fractionDigits": digits});
    let payment = app
        .create_payment(json!({"amountPlanned": money(1),
            "custom": {"type": {"key": "fees"}, "fields": {"fee": {"currencyCode": "EUR", "centAmount": 99}}},
            "transactions": [{"type": "Charge", "amount": money(1),
                "custom": {"type": {"key": "fees"}, "fields": {"fee": {"currencyCode": "JPY", "centAmount": 5}}}}]}))
        .await;
    assert_eq!(payment["custom"]["fields"]["fee"], in_cents("EUR", 99, 2));
    assert_eq!(payment["transactions"][0]["custom"]["fields"]["fee"], in_cents("JPY", 5, 0));
    let same = app
        .try_update(&payment, json!([{"action": "setCustomField", "name": "fee", "value": {"currencyCode": "EUR", "centAmount": 99}}]))
        .await;
    assert_eq!(
        same.body["version"], payment["version"],
        "the same amount, written as a draft, changes nothing"
    );
    let high =
        json!({"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 12345, "fractionDigits": 4});
    let changed =
        app.update(&payment, json!([{"action": "setCustomField", "name": "fee", "value": high}])).await;
    assert_eq!(changed["custom"]["fields"]["fee"], in_cents("EUR", 123, 2));
}

/// Dates and times are stored as commercetools writes them, so that predicates and sorts on
/// custom DateTime fields follow time, whatever offset or precision a client wrote.
#[tokio::test]
async fn custom_dates_and_times_are_stored_in_canonical_form_and_compare_in_time_order() {
    let app = spawn_app().await;
    let fields = vec![field("at", "DateTime"), field("opens", "Time"), field("day", "Date")];
    app.create_type("timed", &["payment"], fields).await;
    let create = |key: &str, at: &str| {
        json!({"key": key, "amountPlanned": money(1),
            "custom": {"type": {"key": "timed"}, "fields": {"at": at, "opens": "10:11:12.1", "day": "2026-01-02"}}})
    };
    let late = app.create_payment(create("half-second-late", "2026-01-02T06:00:00.5Z")).await;
    assert_eq!(late["custom"]["fields"]["at"], "2026-01-02T06:00:00.500Z");
    assert_eq!(late["custom"]["fields"]["opens"], "10:11:12.100");
    let east = app.create_payment(create("east", "2026-01-02T10:00:00+05:00")).await;
    assert_eq!(east["custom"]["fields"]["at"], "2026-01-02T05:00:00.000Z");
    let keys = |query: &str| {
        let app = &app;
        let query = query.to_owned();
        async move {
            let page = app.get(&format!("/payments?{query}")).await.body;
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["key"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let after =
        |literal: &str| format!("where={}", urlencoding(&format!("custom(fields(at > \"{literal}\"))")));
    assert_eq!(keys(&after("2026-01-02T06:00:00Z")).await, vec!["half-second-late"]);
    assert_eq!(
        keys(&after("2026-01-02T07:00:00+02:00")).await,
        vec!["half-second-late"],
        "05:00Z is not after 05:00Z"
    );
    assert_eq!(keys("sort=custom.fields.at+asc").await, vec!["east", "half-second-late"]);
    let sloppy = app
        .post(
            "/payments",
            json!({"amountPlanned": money(1),
            "custom": {"type": {"key": "timed"}, "fields": {"day": "2026-1-2"}}}),
        )
        .await;
    assert_eq!(sloppy.error_code(), "InvalidField", "{}", sloppy.body);
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn custom_fields_are_validated_against_their_type_everywhere() {
    let app = spawn_app().await;
    app.create_type(
        "strict",
        &["payment", "transaction", "payment-interface-interaction", "payment-method-info"],
        every_field_type(),
    )
    .await;
    app.create_type("payment-only", &["payment"], vec![field("note", "String")]).await;
    let valid = json!({"orderId": "o-1", "flag": true, "count": 2, "label": {"en": "x"}, "color": "red", "size": "s",
        "price": {"currencyCode": "EUR", "centAmount": 5}, "due": "2024-02-29", "clock": "10:00:00.000",
        "at": "2024-01-01T00:00:00.000Z", "buyer": {"typeId": "customer", "id": "c"}, "tags": ["a"]});
    let ok = app
        .post(
            "/payments",
            json!({"amountPlanned": money(1), "custom": {"type": {"key": "strict"}, "fields": valid}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);

    let draft_cases = [
        (json!({"type": {"key": "strict"}, "fields": {"orderId": "o", "count": "two"}}), "InvalidField"),
        (json!({"type": {"key": "strict"}, "fields": {"orderId": "o", "color": "green"}}), "InvalidField"),
        (json!({"type": {"key": "strict"}, "fields": {"count": 1}}), "RequiredField"),
        (json!({"type": {"key": "strict"}, "fields": {"orderId": "o", "unknown": 1}}), "InvalidOperation"),
        (json!({"type": {"key": "missing-type"}, "fields": {}}), "ReferencedResourceNotFound"),
        (
            json!({"type": {"id": "00000000-0000-0000-0000-000000000000"}, "fields": {}}),
            "ReferencedResourceNotFound",
        ),
    ];
    for (custom, code) in &draft_cases {
        let reply = app.post("/payments", json!({"amountPlanned": money(1), "custom": custom})).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{custom}");
        assert_eq!(reply.error_code(), *code, "{custom}");
    }
    let wrong_resource = app
        .post("/payments", json!({"amountPlanned": money(1), "transactions": [{"type": "Charge", "amount": money(1), "custom": {"type": {"key": "payment-only"}}}]}))
        .await;
    assert_eq!(wrong_resource.error_code(), "InvalidOperation", "a payment-only Type on a transaction");
    let invalid_field = app.post("/payments", json!({"amountPlanned": money(1), "custom": {"type": {"key": "strict"}, "fields": {"orderId": "o", "count": "x"}}})).await;
    assert_eq!(invalid_field.body["errors"][0]["field"], "count");
    assert_eq!(invalid_field.body["errors"][0]["invalidValue"], "x");

    let payment = app
        .create_payment(
            json!({"amountPlanned": money(1), "transactions": [{"type": "Charge", "amount": money(1)}]}),
        )
        .await;
    let tx = payment["transactions"][0]["id"].as_str().unwrap();
    let action_cases = [
        json!({"action": "setCustomType", "type": {"key": "strict"}, "fields": {"count": 1}}),
        json!({"action": "setTransactionCustomType", "transactionId": tx, "type": {"key": "strict"}, "fields": {"orderId": 5}}),
        json!({"action": "setMethodInfoCustomType", "type": {"key": "strict"}, "fields": {"orderId": "o", "flag": "yes"}}),
        json!({"action": "addInterfaceInteraction", "type": {"key": "strict"}, "fields": {"orderId": "o", "due": "tomorrow"}}),
        json!({"action": "addInterfaceInteraction", "type": {"key": "payment-only"}, "fields": {}}),
        json!({"action": "setCustomType", "type": {"key": "missing-type"}}),
    ];
    for action in &action_cases {
        let reply = app.try_update(&payment, json!([action])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{action}");
    }
    let typed = app
        .update(
            &payment,
            json!([
                {"action": "setCustomType", "type": {"key": "strict"}, "fields": {"orderId": "o"}},
                {"action": "setTransactionCustomType", "transactionId": tx, "type": {"key": "strict"}, "fields": {"orderId": "o"}},
                {"action": "setMethodInfoCustomType", "type": {"key": "strict"}, "fields": {"orderId": "o"}}
            ]),
        )
        .await;
    for action in [
        json!({"action": "setCustomField", "name": "count", "value": "many"}),
        json!({"action": "setCustomField", "name": "orderId"}),
        json!({"action": "setCustomField", "name": "nope", "value": 1}),
        json!({"action": "setTransactionCustomField", "transactionId": tx, "name": "flag", "value": 1}),
        json!({"action": "setMethodInfoCustomField", "name": "tags", "value": ["a", "a"]}),
    ] {
        let reply = app.try_update(&typed, json!([action])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{action}");
    }
    let fine = app
        .update(
            &typed,
            json!([
                {"action": "setCustomField", "name": "count", "value": 3},
                {"action": "setTransactionCustomField", "transactionId": tx, "name": "flag", "value": false},
                {"action": "setMethodInfoCustomField", "name": "tags", "value": ["a", "b"]}
            ]),
        )
        .await;
    assert_eq!(fine["custom"]["fields"]["count"], 3);
}

#[tokio::test]
async fn payment_states_follow_their_workflow() {
    let app = spawn_app().await;
    let paid = app.create_state("paid", false, Some(vec![])).await;
    let open = app.create_state("open", true, Some(vec!["paid"])).await;
    app.create_state("disputed", false, None).await;
    assert_eq!(open["initial"], true);
    assert_eq!(open["builtIn"], false);
    assert_eq!(open["transitions"], json!([{"typeId": "state", "id": paid["id"]}]));
    let default_initial = app.post("/states", json!({"key": "fresh", "type": "PaymentState"})).await;
    assert_eq!(default_initial.body["initial"], true, "initial defaults to true");
    assert!(default_initial.body.get("transitions").is_none());
    let order_state = app.post("/states", json!({"key": "order-open", "type": "OrderState"})).await.body;

    let payment = app.create_payment(draft()).await;
    let transition = |key: &str, force: bool| json!([{"action": "transitionState", "state": {"typeId": "state", "key": key}, "force": force}]);
    let not_initial = app.try_update(&payment, transition("paid", false)).await;
    assert_eq!(not_initial.error_code(), "InvalidOperation", "a first state must be initial");
    let wrong_type = app
        .try_update(&payment, json!([{"action": "transitionState", "state": {"id": order_state["id"]}}]))
        .await;
    assert_eq!(wrong_type.error_code(), "InvalidOperation");
    let mut in_order_state = draft();
    in_order_state["paymentStatus"] = json!({"state": {"typeId": "state", "key": "order-open"}});
    let created_in_wrong_type = app.post("/payments", in_order_state).await;
    assert_eq!(created_in_wrong_type.error_code(), "InvalidOperation", "a payment's state is a PaymentState");
    let missing = app.try_update(&payment, transition("nowhere", false)).await;
    assert_eq!(missing.error_code(), "ReferencedResourceNotFound");
    let opened = app.update(&payment, transition("open", false)).await;
    let skipping = app.try_update(&opened, transition("disputed", false)).await;
    assert_eq!(skipping.error_code(), "InvalidOperation", "not among open's transitions");
    let paid_payment = app.update(&opened, transition("paid", false)).await;
    let final_state = app.try_update(&paid_payment, transition("open", false)).await;
    assert_eq!(final_state.error_code(), "InvalidOperation", "paid is final");
    let forced_elsewhere = app.try_update(&paid_payment, transition("order-open", true)).await;
    assert_eq!(forced_elsewhere.error_code(), "InvalidOperation", "force skips the workflow, not the type");
    let forced = app.update(&paid_payment, transition("disputed", true)).await;
    assert_eq!(forced["paymentStatus"]["state"]["id"], app.get("/states/key=disputed").await.body["id"]);

    let state_in_use = app
        .delete(&format!("/states/{}?version=1", forced["paymentStatus"]["state"]["id"].as_str().unwrap()))
        .await;
    assert_eq!(state_in_use.error_code(), "ReferenceExists");
    let updated = app
        .post(
            "/states/key=open",
            json!({"version": 1, "actions": [
                {"action": "setName", "name": {"en": "Open"}},
                {"action": "changeInitial", "initial": false},
                {"action": "setTransitions", "transitions": [{"typeId": "state", "key": "paid"}, {"typeId": "state", "key": "disputed"}]},
                {"action": "changeKey", "key": "opened"}
            ]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 5);
    assert_eq!(updated.body["key"], "opened");
    let same = app
        .post("/states/key=opened", json!({"version": 5, "actions": [{"action": "setTransitions", "transitions": updated.body["transitions"]}]}))
        .await;
    assert_eq!(same.error_code(), "InvalidOperation", "setting the same transitions");

    // A State another State can move to stays, so that no transition points nowhere.
    let target = app.create_state("target-only", false, Some(vec![])).await;
    app.create_state("leads-there", false, Some(vec!["target-only"])).await;
    let named = app.delete(&format!("/states/{}?version=1", target["id"].as_str().unwrap())).await;
    assert_eq!(named.error_code(), "ReferenceExists", "{}", named.body);
    assert_eq!(named.body["errors"][0]["referencedBy"], "state");
    assert_eq!(app.delete("/states/key=leads-there?version=1").await.status, StatusCode::OK);
    assert_eq!(
        app.delete("/states/key=target-only?version=1").await.status,
        StatusCode::OK,
        "free once unnamed"
    );

    // Roles are an enum in predicates too.
    let roles = app.get("/states?where=roles%20contains%20any%20(%22Return%22)").await;
    assert_eq!(roles.status, StatusCode::OK, "{}", roles.body);
    let bogus = app.get("/states?where=roles%20contains%20any%20(%22Bogus%22)").await;
    assert_eq!(bogus.error_code(), "InvalidInput", "{}", bogus.body);
}

#[tokio::test]
async fn a_customer_keeps_its_whole_draft_and_needs_a_password_unless_authenticated_elsewhere() {
    let app = spawn_app().await;
    let no_password = app.post("/customers", json!({"email": "nopw@example.com"})).await;
    assert_eq!(no_password.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_password.error_code(), "InvalidJsonInput");
    assert_eq!(no_password.body["errors"][0]["detailedErrorMessage"], "password: Missing required value");
    let external = app
        .post("/customers", json!({"email": "sso@example.com", "authenticationMode": "ExternalAuth"}))
        .await;
    assert_eq!(external.status, StatusCode::CREATED, "{}", external.body);
    assert_eq!(external.body["customer"]["authenticationMode"], "ExternalAuth");

    let draft = json!({
        "email": "Full@Example.com", "password": "pw", "customerNumber": "C-100", "title": "Dr.",
        "salutation": "Dear", "middleName": "Q", "dateOfBirth": "1985-06-07", "companyName": "ACME",
        "vatId": "DE999", "locale": "de-DE", "isEmailVerified": true,
        "addresses": [{"key": "home", "country": "DE", "city": "Berlin"}, {"country": "FR", "city": "Paris"}],
        "defaultShippingAddress": 0, "shippingAddresses": [1], "defaultBillingAddress": 1
    });
    let created = app.post("/customers", draft).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let customer = &created.body["customer"];
    for field in [
        "customerNumber",
        "title",
        "salutation",
        "middleName",
        "dateOfBirth",
        "companyName",
        "vatId",
        "locale",
    ] {
        assert!(customer[field].is_string(), "{field} is kept: {customer}");
    }
    assert_eq!(customer["isEmailVerified"], true);
    let home = customer["addresses"][0]["id"].as_str().expect("addresses get ids");
    let paris = customer["addresses"][1]["id"].as_str().unwrap();
    assert_eq!(customer["defaultShippingAddressId"], home);
    assert_eq!(customer["shippingAddressIds"], json!([paris, home]));
    assert_eq!(customer["defaultBillingAddressId"], paris);
    let fetched = app.get(&format!("/customers/{}", customer["id"].as_str().unwrap())).await;
    assert_eq!(&fetched.body, customer, "what was created is what is stored");
    let found = |predicate: &'static str| {
        let app = &app;
        async move {
            let reply = app.raw(app.client.get(app.url("/customers")).query(&[("where", predicate)])).await;
            assert_eq!(reply.status, StatusCode::OK, "{predicate}: {}", reply.body);
            reply.body["results"].as_array().unwrap().iter().map(|c| c["email"].clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found(r#"addresses(country = "FR" and city = "Paris")"#).await,
        vec![json!("Full@Example.com")]
    );
    assert!(found(r#"not(addresses(country = "FR"))"#).await.iter().all(|e| e != "Full@Example.com"));
    assert_eq!(found(r#"lowercaseEmail = "full@example.com""#).await, vec![json!("Full@Example.com")]);
    assert!(found(r#"stores is empty"#).await.contains(&json!("Full@Example.com")));
    let unsupported = app
        .post("/customers", json!({"email": "store@example.com", "password": "pw", "stores": [{"typeId": "store", "key": "eu"}]}))
        .await;
    assert_eq!(unsupported.error_code(), "InvalidInput", "not kept, so refused rather than dropped");

    let same_number = app
        .post(
            "/customers",
            json!({"email": "other@example.com", "password": "pw", "customerNumber": "C-100"}),
        )
        .await;
    assert_eq!(same_number.error_code(), "DuplicateField");
    assert_eq!(same_number.body["errors"][0]["field"], "customerNumber");
    let bad_index = app
        .post("/customers", json!({"email": "other@example.com", "password": "pw", "addresses": [], "defaultBillingAddress": 0}))
        .await;
    assert_eq!(bad_index.status, StatusCode::BAD_REQUEST);
    let bad_country = app
        .post(
            "/customers",
            json!({"email": "other@example.com", "password": "pw", "addresses": [{"country": "Germany"}]}),
        )
        .await;
    assert_eq!(bad_country.error_code(), "InvalidJsonInput");

    let updated = app
        .post(
            "/customers/key=never",
            json!({"version": 1, "actions": [{"action": "setVatId", "vatId": "x"}]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NOT_FOUND);
    let id = customer["id"].as_str().unwrap();
    let updated = app
        .post(
            &format!("/customers/{id}"),
            json!({"version": 1, "actions": [
                {"action": "addAddress", "address": {"key": "office", "country": "AT"}},
                {"action": "setDefaultBillingAddress", "addressKey": "office"},
                {"action": "removeAddress", "addressKey": "home"},
                {"action": "setCompanyName"}
            ]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    let office = updated.body["addresses"][1]["id"].as_str().unwrap();
    assert_eq!(updated.body["defaultBillingAddressId"], office);
    assert!(updated.body.get("defaultShippingAddressId").is_none(), "the removed default is unset");
    assert_eq!(updated.body["shippingAddressIds"], json!([paris]));
    assert!(updated.body.get("companyName").is_none());
    let renumbered = app
        .post(
            &format!("/customers/{id}"),
            json!({"version": 5, "actions": [{"action": "setCustomerNumber", "customerNumber": "C-101"}]}),
        )
        .await;
    assert_eq!(renumbered.error_code(), "InvalidOperation", "a customer number is never changed");
}

#[tokio::test]
async fn customers_are_unique_by_email_and_found_by_it() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/customers",
            json!({"email": "Jane@Example.com", "firstName": "Jane", "password": "pw", "key": "jane"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let customer = &reply.body["customer"];
    assert_eq!(customer["addresses"], json!([]));
    assert_eq!(customer["customerGroupAssignments"], json!([]), "SDKs type it as required");
    assert_eq!(customer["isEmailVerified"], false);
    assert_eq!(customer["authenticationMode"], "Password");
    assert!(customer.get("password").is_none());
    let duplicate = app.post("/customers", json!({"email": "jane@example.com", "password": "pw"})).await;
    assert_eq!(duplicate.error_code(), "DuplicateField");
    assert_eq!(duplicate.body["errors"][0]["field"], "email");
    assert_eq!(duplicate.body["message"], "There is already an existing customer with the provided email.");
    let invalid = app.post("/customers", json!({"email": "not an email"})).await;
    assert_eq!(invalid.error_code(), "InvalidJsonInput");
    let found = app
        .raw(app.client.get(app.url("/customers")).query(&[("where", r#"email = "Jane@Example.com""#)]))
        .await;
    assert_eq!(found.body["results"][0]["id"], customer["id"]);
    let without_group = app
        .raw(app.client.get(app.url("/customers")).query(&[("where", "customerGroup is not defined")]))
        .await;
    assert_eq!(without_group.body["total"], 1, "no customer has a group here: {}", without_group.body);
    // commercetools' sign-in, token and search endpoints live beside the customers' ids.
    for unserved in ["password-token", "email-token", "search"] {
        let reply = app.post(&format!("/customers/{unserved}"), json!({"email": "jane@example.com"})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unserved}: {}", reply.body);
        assert_eq!(reply.error_code(), "ResourceNotFound");
    }
    let updated = app
        .post(
            "/customers/key=jane",
            json!({"version": 1, "actions": [
                {"action": "changeEmail", "email": "jane.doe@example.com"},
                {"action": "setLastName", "lastName": "Doe"},
                {"action": "setExternalId", "externalId": "crm-1"},
                {"action": "setFirstName"},
                {"action": "setKey", "key": "jane-doe"}
            ]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 6);
    assert!(updated.body.get("firstName").is_none());
    let payment = app
        .create_payment(
            json!({"amountPlanned": money(1), "customer": {"typeId": "customer", "key": "jane-doe"}}),
        )
        .await;
    assert_eq!(payment["customer"], json!({"typeId": "customer", "id": customer["id"]}));
    let deleted = app.delete("/customers/key=jane-doe?version=6").await;
    assert_eq!(deleted.status, StatusCode::OK);
    let gone = app
        .post(
            "/payments",
            json!({"amountPlanned": money(1), "customer": {"typeId": "customer", "id": customer["id"]}}),
        )
        .await;
    assert_eq!(gone.error_code(), "ReferencedResourceNotFound");
    assert_eq!(gone.body["errors"][0]["id"], customer["id"]);
}

#[tokio::test]
async fn references_resolve_and_expand_on_every_payment_endpoint() {
    let app = spawn_app().await;
    let custom_type = app.create_open_type("expand-me").await;
    let customer = app.create_customer("e@example.com", "expand-customer").await;
    let state = app.create_state("expand-state", true, None).await;
    let draft = json!({
        "key": "expanded",
        "amountPlanned": money(1),
        "customer": {"typeId": "customer", "key": "expand-customer"},
        "paymentStatus": {"state": {"typeId": "state", "key": "expand-state"}},
        "paymentMethodInfo": {"custom": {"type": {"key": "expand-me"}}},
        "custom": {"type": {"key": "expand-me"}},
        "transactions": [{"type": "Charge", "amount": money(1), "custom": {"type": {"key": "expand-me"}}}],
        "interfaceInteractions": [{"type": {"key": "expand-me"}, "fields": {"code": "ok"}}]
    });
    let all = "expand=customer&expand=paymentStatus.state&expand=custom.type&expand=paymentMethodInfo.custom.type&expand=transactions[*].custom.type&expand=interfaceInteractions[*].type&expand=no.such.path";
    let check = |payment: &Value| {
        assert_eq!(payment["customer"]["obj"]["email"], "e@example.com", "{payment}");
        assert_eq!(payment["paymentStatus"]["state"]["obj"]["key"], "expand-state");
        for reference in [
            &payment["custom"]["type"],
            &payment["paymentMethodInfo"]["custom"]["type"],
            &payment["transactions"][0]["custom"]["type"],
            &payment["interfaceInteractions"][0]["type"],
        ] {
            assert_eq!(reference["obj"]["key"], "expand-me", "{payment}");
            assert_eq!(reference["id"], custom_type["id"]);
        }
    };
    let created = app.request(Method::POST, &format!("/payments?{all}"), Some(draft)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    check(&created.body);
    let id = created.body["id"].as_str().unwrap();
    check(&app.get(&format!("/payments/{id}?{all}")).await.body);
    check(&app.get(&format!("/payments/key=expanded?{all}")).await.body);
    check(&app.get(&format!("/payments?{all}")).await.body["results"][0]);
    let updated = app
        .post(
            &format!("/payments/{id}?{all}"),
            json!({"version": 1, "actions": [{"action": "setAnonymousId"}]}),
        )
        .await;
    check(&updated.body);
    let plain = app.get(&format!("/payments/{id}")).await.body;
    assert!(plain["customer"].get("obj").is_none(), "no expansion unless asked");
    assert_eq!(plain["customer"]["id"], customer["id"]);
    assert_eq!(plain["paymentStatus"]["state"]["id"], state["id"]);
    let deleted = app.delete(&format!("/payments/{id}?version=1&{all}")).await;
    check(&deleted.body);
}

/// Expansion on States (their transitions), Messages (the resource they are about, and the
/// State of a transition) and through an expanded reference (`a.b` expands `a`, then `b` in it).
#[tokio::test]
async fn references_expand_on_states_messages_and_in_chains() {
    let app = spawn_app().await;
    app.create_state("shipped", false, Some(vec![])).await;
    let paid = app.create_state("paid", false, Some(vec!["shipped"])).await;
    app.create_state("open", true, Some(vec!["paid", "shipped"])).await;

    let open = app.get("/states/key=open?expand=transitions[*]").await.body;
    let targets: Vec<&str> =
        open["transitions"].as_array().unwrap().iter().map(|t| t["obj"]["key"].as_str().unwrap()).collect();
    assert_eq!(targets, ["paid", "shipped"], "{open}");
    let listed = app.get("/states?where=key%3D%22open%22&expand=transitions[0]").await.body;
    assert_eq!(listed["results"][0]["transitions"][0]["obj"]["key"], "paid");
    assert!(listed["results"][0]["transitions"][1].get("obj").is_none(), "only the path asked for");
    let chained = app.get("/states/key=open?expand=transitions[*].transitions[*]").await.body;
    assert_eq!(chained["transitions"][0]["obj"]["transitions"][0]["obj"]["key"], "shipped", "{chained}");

    let payment = app
        .create_payment(json!({"key": "pp", "amountPlanned": money(1), "paymentStatus": {"state": {"typeId": "state", "key": "open"}},
            "paymentMethodInfo": {"token": {"value": "tok_secret"}}}))
        .await;
    let id = payment["id"].as_str().unwrap();
    let deep = app.get(&format!("/payments/{id}?expand=paymentStatus.state.transitions[*]")).await.body;
    let state = &deep["paymentStatus"]["state"]["obj"];
    assert_eq!(state["key"], "open", "{deep}");
    assert_eq!(state["transitions"][0]["obj"]["key"], "paid");
    assert_eq!(state["transitions"][1]["obj"]["key"], "shipped");

    app.update(&payment, json!([{"action": "transitionState", "state": {"typeId": "state", "key": "paid"}}]))
        .await;
    let messages = app
        .get(&format!(
            "/messages?where=resource(id%3D%22{id}%22)&sort=sequenceNumber+asc&expand=resource&expand=state"
        ))
        .await
        .body;
    let results = messages["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{messages}");
    for message in results {
        assert_eq!(message["resource"]["obj"]["key"], "pp", "{message}");
        assert_eq!(message["resource"]["obj"]["version"], 2, "the payment as it is now");
        let token = &message["resource"]["obj"]["paymentMethodInfo"]["token"]["value"];
        assert_eq!(token, "***", "an expanded Payment has its token masked");
    }
    assert_eq!(results[1]["type"], "PaymentStatusStateTransition");
    assert_eq!(results[1]["state"]["obj"]["id"], paid["id"]);
    let one = results[0]["id"].as_str().unwrap();
    let single = app.get(&format!("/messages/{one}?expand=resource")).await.body;
    assert_eq!(single["resource"]["obj"]["id"], id);
}

/// Customers write commercetools' Customer Messages, numbered per customer, in the change's
/// transaction; a deletion writes one too, unless it erases the customer's data.
#[tokio::test]
async fn customer_changes_write_customer_messages() {
    let app = spawn_app().await;
    let customer = app.create_customer("jane@example.com", "jane").await;
    let id = customer["id"].as_str().unwrap().to_owned();
    let changed = app
        .post(
            &format!("/customers/{id}"),
            json!({"version": 1, "actions": [
                {"action": "changeEmail", "email": "jane.doe@example.com"},
                {"action": "setLastName", "lastName": "Doe"},
                {"action": "setVatId", "vatId": "DE1"},
                {"action": "addAddress", "address": {"key": "home", "country": "DE", "city": "Berlin"}}
            ]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let messages_of = |id: String| {
        let app = &app;
        async move {
            let query = format!("/messages?where=resource(id%3D%22{id}%22)&sort=sequenceNumber+asc");
            app.get(&query).await.body["results"].as_array().unwrap().clone()
        }
    };
    let messages = messages_of(id.clone()).await;
    let types: Vec<&str> = messages.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["CustomerCreated", "CustomerEmailChanged", "CustomerLastNameSet", "CustomerAddressAdded"],
        "setVatId has no Message type"
    );
    let numbers: Vec<i64> = messages.iter().map(|m| m["sequenceNumber"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(messages[0]["customer"]["email"], "jane@example.com");
    assert_eq!(customer["lastMessageSequenceNumber"], 1);
    assert_eq!(messages[0]["customer"]["lastMessageSequenceNumber"], 1);
    assert_eq!(changed.body["lastMessageSequenceNumber"], 4, "its latest Message's, as on payments");
    assert_eq!(messages[0]["resource"], json!({"typeId": "customer", "id": id}));
    assert_eq!(messages[0]["resourceUserProvidedIdentifiers"]["key"], "jane");
    assert_eq!(messages[1]["email"], "jane.doe@example.com");
    assert_eq!(messages[1]["oldEmail"], "jane@example.com");
    assert_eq!(messages[1]["resourceVersion"], 2);
    assert_eq!(messages[3]["address"]["city"], "Berlin");
    assert_eq!(messages[3]["resourceVersion"], 5, "one version per changing action");

    let deleted = app.delete(&format!("/customers/{id}?version=5")).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let after = messages_of(id).await;
    let last = after.last().unwrap();
    assert_eq!(last["type"], "CustomerDeleted");
    assert_eq!(last["email"], "jane.doe@example.com");
    assert_eq!(last["sequenceNumber"], 5);

    let erased = app.create_customer("erase@example.com", "erase-me").await;
    let erased_id = erased["id"].as_str().unwrap().to_owned();
    let gone = app.delete(&format!("/customers/{erased_id}?version=1&dataErasure=true")).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert!(messages_of(erased_id).await.is_empty(), "erasure removes the customer's Messages");

    let numbered = app
        .post("/customers", json!({"email": "n@example.com", "password": "secret", "customerNumber": "C-1", "externalId": "crm-7"}))
        .await;
    assert_eq!(numbered.status, StatusCode::CREATED, "{}", numbered.body);
    let created = messages_of(numbered.body["customer"]["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        created[0]["resourceUserProvidedIdentifiers"],
        json!({"customerNumber": "C-1", "externalId": "crm-7"}),
        "no key, so none shown"
    );
}

#[tokio::test]
async fn messages_are_queried_and_rebuild_the_payment() {
    let app = spawn_app().await;
    app.create_state("open", true, None).await;
    let payment = app
        .create_payment(json!({"amountPlanned": money(1000), "transactions": [{"type": "Authorization", "amount": money(1000)}]}))
        .await;
    let tx = payment["transactions"][0]["id"].as_str().unwrap().to_owned();
    let updated = app
        .update(
            &payment,
            json!([
                {"action": "changeTransactionState", "transactionId": tx, "state": "Pending"},
                {"action": "changeTransactionState", "transactionId": tx, "state": "Success"},
                {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(600), "state": "Pending"}},
                {"action": "setStatusInterfaceCode", "interfaceCode": "captured"},
                {"action": "transitionState", "state": {"key": "open"}}
            ]),
        )
        .await;
    let charge = updated["transactions"][1]["id"].as_str().unwrap().to_owned();
    let updated = app
        .update(
            &updated,
            json!([{"action": "changeTransactionState", "transactionId": charge, "state": "Success"}]),
        )
        .await;
    let id = updated["id"].as_str().unwrap();

    let query = |predicate: String| {
        let app = &app;
        async move {
            let reply = app
                .raw(app.client.get(app.url("/messages")).query(&[
                    ("where", predicate.as_str()),
                    ("sort", "sequenceNumber asc"),
                    ("limit", "500"),
                ]))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body
        }
    };
    let page = query(format!("resource(typeId = \"payment\" and id = \"{id}\")")).await;
    let messages = page["results"].as_array().unwrap().clone();
    let sequence: Vec<i64> = messages.iter().map(|m| m["sequenceNumber"].as_i64().unwrap()).collect();
    assert_eq!(sequence, (1..=7).collect::<Vec<_>>(), "gap-free per resource");
    assert!(messages.windows(2).all(|w| w[0]["resourceVersion"].as_i64() < w[1]["resourceVersion"].as_i64()));
    let one = app.get(&format!("/messages/{}", messages[2]["id"].as_str().unwrap())).await;
    assert_eq!(one.body, messages[2]);
    let exists = app.head(&format!("/messages/{}", messages[2]["id"].as_str().unwrap())).await;
    assert_eq!(exists.status, StatusCode::OK);
    assert_eq!(
        app.head("/messages/00000000-0000-0000-0000-000000000000").await.status,
        StatusCode::NOT_FOUND
    );
    let any = |predicate: &str| app.raw(app.client.head(app.url("/messages")).query(&[("where", predicate)]));
    assert_eq!(any("type = \"PaymentStatusStateTransition\"").await.status, StatusCode::OK);
    assert_eq!(any("type = \"PaymentInteractionAdded\"").await.status, StatusCode::NOT_FOUND);
    let state_changes =
        query(format!("resource(id = \"{id}\") and type = \"PaymentTransactionStateChanged\"")).await;
    assert_eq!(state_changes["total"], 3);
    let later = query(format!("resource(id = \"{id}\") and sequenceNumber > 5")).await;
    assert_eq!(later["count"], 2, "a consumer resumes after the last sequence number it saw");

    // Rebuild the transactions and status from the messages alone.
    let mut transactions: Vec<Value> = Vec::new();
    let mut status = json!({});
    for message in &messages {
        match message["type"].as_str().unwrap() {
            "PaymentCreated" => {
                transactions = message["payment"]["transactions"].as_array().unwrap().clone();
                status = message["payment"]["paymentStatus"].clone();
            }
            "PaymentTransactionAdded" => transactions.push(message["transaction"].clone()),
            "PaymentTransactionStateChanged" => {
                let target = transactions.iter_mut().find(|t| t["id"] == message["transactionId"]).unwrap();
                target["state"] = message["state"].clone();
            }
            "PaymentStatusInterfaceCodeSet" => status["interfaceCode"] = message["interfaceCode"].clone(),
            "PaymentStatusStateTransition" => status["state"] = message["state"].clone(),
            other => panic!("unexpected message {other}"),
        }
    }
    assert_eq!(json!(transactions), updated["transactions"]);
    assert_eq!(status, updated["paymentStatus"]);
}

#[tokio::test]
async fn resource_endpoints_check_their_scopes() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("view_types:test-project manage_customers:test-project");
    let token = app.token_for(&id, &secret, None).await;
    let call = |method: Method, path: &'static str, body: Option<Value>| {
        let app = &app;
        let token = token.clone();
        async move { app.request_with_token(method, path, body, Some(&token)).await.status }
    };
    assert_eq!(call(Method::GET, "/types", None).await, StatusCode::OK);
    assert_eq!(
        call(Method::POST, "/types", Some(json!({"key": "kk", "name": {}, "resourceTypeIds": ["payment"]})))
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call(Method::GET, "/states", None).await, StatusCode::FORBIDDEN);
    assert_eq!(
        call(Method::POST, "/customers", Some(json!({"email": "x@y.zz", "password": "pw"}))).await,
        StatusCode::CREATED
    );
    assert_eq!(call(Method::GET, "/customers", None).await, StatusCode::OK, "manage implies view");
    assert_eq!(call(Method::GET, "/messages", None).await, StatusCode::FORBIDDEN);
    assert_eq!(
        app.request_with_token(Method::GET, "/messages", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// What a write racing a deletion would meet: the database itself refuses to remove a Type
/// that a payment references.
#[tokio::test]
async fn the_database_refuses_to_remove_a_referenced_type() {
    #[derive(Debug)]
    enum Failure {
        Query(diesel::result::Error),
        Pool,
    }
    impl From<diesel::result::Error> for Failure {
        fn from(error: diesel::result::Error) -> Self {
            Failure::Query(error)
        }
    }
    impl From<diesel::r2d2::PoolError> for Failure {
        fn from(_: diesel::r2d2::PoolError) -> Self {
            Failure::Pool
        }
    }
    use diesel::connection::SimpleConnection;
    use payments_api::persistence::Conn;

    let app = spawn_app().await;
    let custom_type = app.create_open_type("kept").await;
    app.create_payment(json!({"amountPlanned": money(1), "custom": {"type": {"key": "kept"}, "fields": {}}}))
        .await;
    let sql = format!("DELETE FROM resources WHERE id = '{}'", custom_type["id"].as_str().unwrap());
    let removed = app.database().write(|conn| -> Result<(), Failure> {
        match conn {
            Conn::Sqlite(c) => c.batch_execute(&sql)?,
            Conn::Postgres(c) => c.batch_execute(&sql)?,
        }
        Ok(())
    });
    match removed {
        Err(Failure::Query(error)) => {
            assert!(payments_api::persistence::foreign_key_violation(&error), "{error:?}")
        }
        other => panic!("the referenced Type was removed: {other:?}"),
    }
}

/// Types are cached for a moment between payment writes; a change made through the service is
/// used by the very next write.
#[tokio::test]
async fn a_changed_or_deleted_type_is_used_at_once() {
    let app = spawn_app().await;
    let created = app.create_type("evolving", &["payment"], vec![field("note", "String")]).await;
    let with = |name: &str| json!({"amountPlanned": money(1), "custom": {"type": {"key": "evolving"}, "fields": {name: "x"}}});
    assert_eq!(app.post("/payments", with("note")).await.status, StatusCode::CREATED);

    let changed = app
        .post(
            &format!("/types/{}", created["id"].as_str().unwrap()),
            json!({"version": created["version"], "actions": [
                {"action": "removeFieldDefinition", "fieldName": "note"},
                {"action": "addFieldDefinition", "fieldDefinition": field("remark", "String")}
            ]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let refused = app.post("/payments", with("note")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(app.post("/payments", with("remark")).await.status, StatusCode::CREATED);

    let other = app.create_type("short-lived", &["payment"], vec![field("note", "String")]).await;
    let short_lived =
        json!({"amountPlanned": money(1), "custom": {"type": {"key": "short-lived"}, "fields": {}}});
    let payment = app.create_payment(short_lived.clone()).await;
    let deleted_payment = app
        .delete(&format!("/payments/{}?version={}", payment["id"].as_str().unwrap(), payment["version"]))
        .await;
    assert_eq!(deleted_payment.status, StatusCode::OK);
    let deleted =
        app.delete(&format!("/types/{}?version={}", other["id"].as_str().unwrap(), other["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let reply = app.post("/payments", short_lived).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.error_code(), "ReferencedResourceNotFound");
}

/// A field name means one field type for a resource type, whichever Type defines it, so that
/// predicates and sorts on it are unambiguous (commercetools' rule for FieldDefinitions).
#[tokio::test]
async fn a_field_name_has_one_type_per_resource_type() {
    let app = spawn_app().await;
    app.create_type("order-ids", &["payment"], vec![field("orderId", "String")]).await;
    let draft = |key: &str, resource: &str| {
        json!({"key": key, "name": {"en": key}, "resourceTypeIds": [resource],
            "fieldDefinitions": [{"name": "orderId", "label": {"en": "Order"}, "required": false, "type": {"name": "Number"}}]})
    };
    let conflicting = app.post("/types", draft("numbered", "payment")).await;
    assert_eq!(conflicting.error_code(), "InvalidOperation", "{}", conflicting.body);
    let elsewhere = app.post("/types", draft("numbered-orders", "order")).await;
    assert_eq!(elsewhere.status, reqwest::StatusCode::CREATED, "{}", elsewhere.body);
    let same = app.create_type("more-order-ids", &["payment"], vec![field("note", "String")]).await;
    let added = app
        .post(
            &format!("/types/{}", same["id"].as_str().unwrap()),
            json!({"version": same["version"], "actions": [{"action": "addFieldDefinition",
                "fieldDefinition": {"name": "orderId", "label": {"en": "Order"}, "required": false, "type": {"name": "Boolean"}}}]}),
        )
        .await;
    assert_eq!(added.error_code(), "InvalidOperation", "{}", added.body);
}
