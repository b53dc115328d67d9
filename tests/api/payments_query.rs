//! Query predicates, sorting and HEAD by predicate through HTTP.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// Six payments with distinct traits; their keys name them.
async fn fixture(app: &TestApp) {
    app.create_open_type("type-1").await;
    let object_fields = vec![
        field("fee", "Money"),
        field("note", "LocalizedString"),
        json!({"name": "buyer", "label": {"en": "b"}, "required": false, "type": {"name": "Reference", "referenceTypeId": "customer"}}),
        field("pickup", "Time"),
        field("at", "DateTime"),
        field("label", "String"),
        json!({"name": "buyers", "label": {"en": "b"}, "required": false, "type": {"name": "Set", "elementType": {"name": "Reference", "referenceTypeId": "customer"}}}),
        json!({"name": "sizes", "label": {"en": "s"}, "required": false, "type": {"name": "Set", "elementType": {"name": "Number"}}}),
    ];
    app.create_type("objects", &["payment"], object_fields).await;
    app.create_customer("cust-1@example.com", "cust-1").await;
    let drafts = [
        json!({"key": "small-eur", "amountPlanned": {"currencyCode": "EUR", "centAmount": 300},
               "paymentMethodInfo": {"paymentInterface": "STRIPE", "name": {"en": "Credit Card"}},
               "transactions": [{"type": "Authorization", "amount": money(300), "state": "Pending", "interactionId": "pi_small"}]}),
        json!({"key": "big-eur", "amountPlanned": {"currencyCode": "EUR", "centAmount": 5000}, "interfaceId": "psp-big",
               "customer": {"typeId": "customer", "key": "cust-1"},
               "transactions": [
                   {"type": "Authorization", "amount": money(5000), "state": "Success"},
                   {"type": "Charge", "amount": money(5000), "state": "Pending", "interactionId": "ch_big"}]}),
        json!({"key": "big-usd", "amountPlanned": {"currencyCode": "USD", "centAmount": 7000},
               "paymentStatus": {"interfaceCode": "paid"},
               "custom": {"type": {"key": "type-1"}, "fields": {"orderId": "o-1", "attempts": 3, "express": true, "tags": ["gift", "rush"]}},
               "transactions": [{"type": "Charge", "amount": {"currencyCode": "USD", "centAmount": 7000}, "state": "Success"}]}),
        json!({"key": "anonymous", "anonymousId": "anon-1", "amountPlanned": {"currencyCode": "EUR", "centAmount": 1000},
               "paymentMethodInfo": {"paymentInterface": "ADYEN", "name": {"en": "PayPal", "de": "PayPal"}}}),
        json!({"amountPlanned": {"currencyCode": "JPY", "centAmount": 900},
               "interfaceInteractions": [{"type": {"key": "type-1"}, "fields": {"code": "200"}}]}),
        json!({"key": "failed", "amountPlanned": {"currencyCode": "EUR", "centAmount": 501},
               "custom": {"type": {"key": "objects"}, "fields": {"fee": {"currencyCode": "EUR", "centAmount": 75},
                   "note": {"de": "abgelehnt"}, "buyer": {"typeId": "customer", "id": "c-9"},
                   "pickup": "10:00:00", "at": "2026-01-02T10:00:00+05:00", "label": "10:00:00",
                   "buyers": [{"typeId": "customer", "id": "c-9"}, {"typeId": "customer", "id": "c-10"}],
                   "sizes": [1, 2.5]}},
               "transactions": [{"type": "Charge", "amount": money(501), "state": "Failure"}]}),
    ];
    for draft in drafts {
        app.create_payment(draft).await;
    }
}

/// Keys of the payments matching the predicate ("-" for a payment without key), sorted.
async fn keys_where(app: &TestApp, query: &str) -> Vec<String> {
    let reply = app
        .raw(app.client.get(app.url("/payments")).query(&[("limit", "500")]).query(&query_pairs(query)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    let mut keys: Vec<String> = reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap_or("-").to_owned())
        .collect();
    keys.sort();
    keys
}

/// `where=...&var.x=...` written as pairs separated by a newline, so predicates keep their `&`.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('\n')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_predicate_construct_filters_in_the_database() {
    let app = spawn_app().await;
    fixture(&app).await;
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (r#"where=amountPlanned(centAmount > 500) and transactions(state="Pending")"#, vec!["big-eur"]),
        (r#"where=key = "small-eur""#, vec!["small-eur"]),
        (r#"where=key != "small-eur""#, vec!["anonymous", "big-eur", "big-usd", "failed"]),
        (r#"where=key <> "small-eur" and key is defined"#, vec!["anonymous", "big-eur", "big-usd", "failed"]),
        (r#"where=key in ("small-eur", "failed", "nope")"#, vec!["failed", "small-eur"]),
        (r#"where=key not in ("small-eur", "failed")"#, vec!["anonymous", "big-eur", "big-usd"]),
        (r#"where=key is not defined"#, vec!["-"]),
        (r#"where=amountPlanned(centAmount >= 1000 and currencyCode = "EUR")"#, vec!["anonymous", "big-eur"]),
        (r#"where=amountPlanned(centAmount < 501)"#, vec!["small-eur"]),
        (r#"where=amountPlanned(centAmount <= 501 and centAmount > 300)"#, vec!["failed"]),
        (r#"where=interfaceId = "psp-big""#, vec!["big-eur"]),
        (r#"where=customer(id is defined)"#, vec!["big-eur"]),
        (r#"where=paymentMethodInfo(paymentInterface = "STRIPE")"#, vec!["small-eur"]),
        (r#"where=paymentMethodInfo(name(en = "Credit Card"))"#, vec!["small-eur"]),
        (r#"where=paymentMethodInfo(name(de is defined))"#, vec!["anonymous"]),
        (r#"where=paymentStatus(interfaceCode = "paid")"#, vec!["big-usd"]),
        (r#"where=custom(fields(orderId = "o-1"))"#, vec!["big-usd"]),
        (r#"where=custom(fields(attempts > 2 and express = true))"#, vec!["big-usd"]),
        (r#"where=custom(fields(tags contains any ("rush", "x")))"#, vec!["big-usd"]),
        (r#"where=custom(fields(tags contains all ("rush", "x")))"#, vec![]),
        (r#"where=custom(fields(fee(centAmount > 50 and currencyCode = "EUR")))"#, vec!["failed"]),
        (r#"where=custom(fields(fee(type = "centPrecision" and fractionDigits = 2)))"#, vec!["failed"]),
        (r#"where=custom(fields(note(de = "abgelehnt") and buyer(id = "c-9")))"#, vec!["failed"]),
        (r#"where=custom(fields(buyer(id = "c-1")))"#, vec![]),
        // A Set of objects matches when one of them does.
        (r#"where=custom(fields(buyers(id = "c-10")))"#, vec!["failed"]),
        (r#"where=custom(fields(buyers(id = "c-1")))"#, vec![]),
        // Times and date-times compare as stored (canonical), and still equal a String as written.
        (r#"where=custom(fields(pickup = "10:00:00" and label = "10:00:00"))"#, vec!["failed"]),
        (r#"where=custom(fields(pickup > "09:30:00" and pickup < "10:00:00.001"))"#, vec!["failed"]),
        (
            r#"where=custom(fields(pickup in ("10:00:00", "11:00:00") and label in ("10:00:00")))"#,
            vec!["failed"],
        ),
        (r#"where=custom(fields(pickup != "10:00:00" or label != "10:00:00"))"#, vec![]),
        (r#"where=custom(fields(label not in ("10:00:00")))"#, vec![]),
        (
            r#"where=custom(fields(at = "2026-01-02T05:00:00Z" and at > "2026-01-02T09:00:00+05:00"))"#,
            vec!["failed"],
        ),
        ("where=custom(fields(pickup = :t and label = :t))\nvar.t=10:00:00", vec!["failed"]),
        (r#"where=transactions(type = "Charge" and state = "Success")"#, vec!["big-usd"]),
        (r#"where=transactions(type = "Authorization" and state = "Pending")"#, vec!["small-eur"]),
        (
            r#"where=transactions(type = "Authorization") and transactions(state = "Pending")"#,
            vec!["big-eur", "small-eur"],
        ),
        (r#"where=transactions(interactionId = "ch_big")"#, vec!["big-eur"]),
        (r#"where=transactions(amount(centAmount > 1000))"#, vec!["big-eur", "big-usd"]),
        (r#"where=transactions is empty"#, vec!["-", "anonymous"]),
        (r#"where=interfaceInteractions is not empty"#, vec!["-"]),
        (r#"where=anonymousId is defined"#, vec!["anonymous"]),
        (r#"where=not(amountPlanned(currencyCode = "EUR"))"#, vec!["-", "big-usd"]),
        (r#"where=key = "failed" or key = "anonymous" and anonymousId = "nope""#, vec!["failed"]),
        (r#"where=(key = "failed" or key = "anonymous") and anonymousId = "anon-1""#, vec!["anonymous"]),
        ("where=key = :k\nvar.k=big-usd", vec!["big-usd"]),
        ("where=key in :keys\nvar.keys=big-usd\nvar.keys=failed", vec!["big-usd", "failed"]),
        ("where=amountPlanned(centAmount > :min)\nvar.min=4000", vec!["big-eur", "big-usd"]),
        // A custom field's type is not known to the predicate: a variable is tried as text and
        // as the number or boolean it reads as.
        ("where=custom(fields(attempts > :n and express = :e))\nvar.n=2\nvar.e=true", vec!["big-usd"]),
        ("where=custom(fields(attempts in :ns))\nvar.ns=3\nvar.ns=x", vec!["big-usd"]),
        ("where=custom(fields(attempts not in :ns))\nvar.ns=3", vec![]),
        ("where=custom(fields(attempts != :n))\nvar.n=3", vec![]),
        ("where=custom(fields(attempts != :n and orderId != :n))\nvar.n=4", vec!["big-usd"]),
        ("where=custom(fields(orderId = :o))\nvar.o=o-1", vec!["big-usd"]),
        // A variable takes a custom field's type wherever it stands: in a list, in `contains`,
        // and as a boolean in any case.
        ("where=custom(fields(attempts in (:n)))\nvar.n=3", vec!["big-usd"]),
        ("where=custom(fields(attempts in (:n, 7)))\nvar.n=3", vec!["big-usd"]),
        ("where=custom(fields(sizes contains any :t))\nvar.t=1", vec!["failed"]),
        ("where=custom(fields(sizes contains any (:t)))\nvar.t=2.5", vec!["failed"]),
        ("where=custom(fields(sizes contains all (:a, 2.5)))\nvar.a=1", vec!["failed"]),
        ("where=custom(fields(sizes contains all :t))\nvar.t=1\nvar.t=3", vec![]),
        ("where=custom(fields(express = :b))\nvar.b=True", vec!["big-usd"]),
        (
            "where=amountPlanned(currencyCode = \"EUR\")\nwhere=amountPlanned(centAmount > 600)",
            vec!["anonymous", "big-eur"],
        ),
        (
            r#"where=version = 1 and createdAt > "2000-01-01T00:00:00Z" and lastModifiedAt < "2999-01-01T00:00:00.000+02:00""#,
            vec!["-", "anonymous", "big-eur", "big-usd", "failed", "small-eur"],
        ),
        (r#"where=createdAt < "2000-01-01T00:00:00Z""#, vec![]),
    ];
    for (query, expected) in cases {
        assert_eq!(keys_where(&app, query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn customers_are_found_by_their_id() {
    let app = spawn_app().await;
    fixture(&app).await;
    let customer = app.get("/customers/key=cust-1").await.body;
    let predicate = format!("where=customer(id = \"{}\")", customer["id"].as_str().unwrap());
    assert_eq!(keys_where(&app, &predicate).await, vec!["big-eur"]);
}

#[tokio::test]
async fn interaction_id_lookups_follow_every_change() {
    let app = spawn_app().await;
    let payment = app
        .create_payment(json!({"key": "moving", "amountPlanned": money(100), "transactions": [
            {"type": "Authorization", "amount": money(100), "interactionId": "pi_old"},
            {"type": "Charge", "amount": money(100)}]}))
        .await;
    let (first, second) = (&payment["transactions"][0]["id"], &payment["transactions"][1]["id"]);
    app.update(
        &payment,
        json!([{"action": "changeTransactionInteractionId", "transactionId": first, "interactionId": "pi_new"},
               {"action": "changeTransactionInteractionId", "transactionId": second, "interactionId": "ch_new"}]),
    )
    .await;
    let found = |id: &str| format!(r#"where=transactions(interactionId = "{id}")"#);
    assert_eq!(keys_where(&app, &found("pi_old")).await, Vec::<&str>::new());
    assert_eq!(keys_where(&app, &found("pi_new")).await, vec!["moving"]);
    assert_eq!(keys_where(&app, &found("ch_new")).await, vec!["moving"]);
}

#[tokio::test]
async fn keywords_are_case_insensitive_but_field_names_are_not() {
    let app = spawn_app().await;
    fixture(&app).await;
    assert_eq!(
        keys_where(&app, r#"where=key = "failed" OR key = "small-eur""#).await,
        vec!["failed", "small-eur"]
    );
    assert_eq!(keys_where(&app, r#"where=NOT(key IS DEFINED)"#).await, vec!["-"]);
    let reply = app.raw(app.client.get(app.url("/payments")).query(&[("where", r#"Key = "failed""#)])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_predicates_are_invalid_input_naming_the_problem() {
    let app = spawn_app().await;
    fixture(&app).await;
    let cases = [
        ("where", r#"limit = 5"#, "The field 'limit' does not exist"),
        ("where", r#"key = "a" and amountPlanned(cents > 1)"#, "column 29"),
        ("where", r#"amountPlanned(centAmount = "ten")"#, "expected a number"),
        ("where", r#"transactions(state = "Done")"#, "Invalid enum value for TransactionState: Done"),
        ("where", r#"key = "#, "Syntax error"),
        ("where", "", "Unexpected end of input"),
        ("where", r#"key = :k"#, "Missing value for input parameter ':k'"),
        ("where", r#"createdAt > "last week""#, "Invalid date-time"),
        ("sort", "transactions.state asc", "cannot be sorted by"),
    ];
    for (name, value, expected) in cases {
        let reply = app.raw(app.client.get(app.url("/payments")).query(&[(name, value)])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(reply.error_code(), "InvalidInput", "{value}");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{value}: {message}");
        assert!(message.starts_with(&format!("Malformed parameter: {name}")), "{message}");
    }
    let long = format!("key = \"{}\"", "x".repeat(20_000));
    let reply = app.raw(app.client.get(app.url("/payments")).query(&[("where", long.as_str())])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn injection_attempts_are_just_values() {
    let app = spawn_app().await;
    fixture(&app).await;
    for predicate in [
        r#"key = "x' OR '1'='1""#,
        r#"key = "\"; DROP TABLE payments; --""#,
        r#"custom(fields(x-y = "') OR 1=1 --"))"#,
    ] {
        assert_eq!(
            keys_where(&app, &format!("where={predicate}")).await,
            Vec::<String>::new(),
            "{predicate}"
        );
    }
    assert_eq!(app.get("/payments").await.body["total"], 6);
    let nul = app.raw(app.client.get(app.url("/payments")).query(&[("where", r#"key = "a\u0000b""#)])).await;
    assert_eq!(nul.status, StatusCode::BAD_REQUEST, "no stored string holds NUL");
    assert_eq!(nul.error_code(), "InvalidInput");
    // A number no database can hold is the client's error, not a failed query.
    for (name, value) in [
        ("where", "amountPlanned(centAmount > 1e999999)"),
        ("where", "custom(fields(attempts = 1e999999))"),
        ("where", "amountPlanned(centAmount in (1, -1e999999))"),
    ] {
        let reply = app.raw(app.client.get(app.url("/payments")).query(&[(name, value)])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value}: {}", reply.body);
        assert_eq!(reply.error_code(), "InvalidInput");
    }
    let variable = app
        .raw(
            app.client
                .get(app.url("/payments"))
                .query(&[("where", "amountPlanned(centAmount > :n)"), ("var.n", "1e999999")]),
        )
        .await;
    assert_eq!(variable.error_code(), "InvalidInput", "{}", variable.body);
}

#[tokio::test]
async fn totals_count_matches_and_head_checks_existence() {
    let app = spawn_app().await;
    fixture(&app).await;
    let reply = app
        .raw(
            app.client
                .get(app.url("/payments"))
                .query(&[("where", r#"amountPlanned(currencyCode = "EUR")"#), ("limit", "1")]),
        )
        .await;
    assert_eq!(reply.body["count"], 1);
    assert_eq!(reply.body["total"], 4);
    let head = |predicate: &'static str| {
        let app = &app;
        async move { app.raw(app.client.head(app.url("/payments")).query(&[("where", predicate)])).await.status }
    };
    assert_eq!(head(r#"key = "failed""#).await, StatusCode::OK);
    assert_eq!(head(r#"key = "nope""#).await, StatusCode::NOT_FOUND);
    assert_eq!(head(r#"transactions(state = "Failure")"#).await, StatusCode::OK);
    assert_eq!(head(r#"nope = 1"#).await, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sorting_by_any_scalar_path() {
    let app = spawn_app().await;
    fixture(&app).await;
    let sorted = |sort: &'static str| {
        let app = &app;
        async move {
            let reply = app
                .raw(
                    app.client
                        .get(app.url("/payments"))
                        .query(&[("sort", sort), ("where", "key is defined")]),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["key"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        sorted("amountPlanned.centAmount desc").await,
        vec!["big-usd", "big-eur", "anonymous", "failed", "small-eur"]
    );
    assert_eq!(
        sorted("amountPlanned.centAmount asc").await,
        vec!["small-eur", "failed", "anonymous", "big-eur", "big-usd"]
    );
    assert_eq!(sorted("key asc").await, vec!["anonymous", "big-eur", "big-usd", "failed", "small-eur"]);
    let by_currency = sorted("amountPlanned.currencyCode desc").await;
    assert_eq!(by_currency[0], "big-usd");
    let by_name = sorted("paymentMethodInfo.name.en asc").await;
    assert_eq!(&by_name[..2], ["small-eur", "anonymous"], "payments without a name come last");
}

/// A custom field's type is not known to the query: its values sort as numbers, text or
/// booleans, whichever they are, and payments without it come last.
#[tokio::test]
async fn sorting_by_custom_fields_of_any_type() {
    let app = spawn_app().await;
    app.create_open_type("type-1").await;
    for (key, attempts, express, code) in
        [("nine", 9, true, "b"), ("ten", 10, false, "c"), ("hundred", 100, true, "a")]
    {
        app.create_payment(json!({"key": key, "amountPlanned": money(100),
            "custom": {"type": {"key": "type-1"}, "fields": {"attempts": attempts, "express": express, "code": code}}}))
            .await;
    }
    app.create_payment(json!({"key": "none", "amountPlanned": money(100)})).await;
    let sorted = |sort: &'static str| {
        let app = &app;
        async move {
            let reply = app.raw(app.client.get(app.url("/payments")).query(&[("sort", sort)])).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let results = reply.body["results"].as_array().unwrap().clone();
            results.iter().map(|p| p["key"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(sorted("custom.fields.attempts asc").await, ["nine", "ten", "hundred", "none"]);
    assert_eq!(sorted("custom.fields.attempts desc").await, ["hundred", "ten", "nine", "none"]);
    assert_eq!(sorted("custom.fields.code asc").await, ["hundred", "nine", "ten", "none"]);
    assert_eq!(sorted("custom.fields.express asc").await[0], "ten", "false before true");
    assert_eq!(sorted("custom.fields.express desc").await[2..], ["ten", "none"]);
}

#[tokio::test]
async fn query_results_are_paged_stably() {
    let app = spawn_app().await;
    fixture(&app).await;
    let mut seen = Vec::new();
    for offset in 0..6 {
        let reply = app
            .raw(app.client.get(app.url("/payments")).query(&[
                ("sort", "amountPlanned.currencyCode asc"),
                ("limit", "1"),
                ("offset", &offset.to_string()),
            ]))
            .await;
        seen.push(reply.body["results"][0]["id"].as_str().unwrap().to_owned());
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "every payment appears once across pages: {seen:?}");
}

#[tokio::test]
async fn queries_running_too_long_are_cancelled_with_query_timed_out() {
    let app = spawn_app_with(|settings| settings.query_timeout_ms = 1).await;
    app.create_payment(json!({"key": "seed", "amountPlanned": money(1)})).await;
    fill_copies(&app, 50_000);
    let reply = app
        .raw(
            app.client
                .get(app.url("/payments"))
                .query(&[("where", r#"anonymousId = "nobody" or amountPlanned(centAmount > 99999)"#)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.error_code(), "QueryTimedOut");
    assert_eq!(app.get("/payments/key=seed").await.status, StatusCode::OK, "lookups by key are unaffected");
}

/// Adds `count` copies of the stored payment, with fresh ids, straight into the database.
fn fill_copies(app: &TestApp, count: usize) {
    let columns = "id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document";
    let copy = "'copy-' || n, project_key, version, NULL, NULL, payment_interface, NULL, created_at, last_modified_at, 1, replace(document, id, 'copy-' || n)";
    if is_postgres() {
        execute_sql(app, &format!("INSERT INTO payments ({columns}) SELECT {copy} FROM generate_series(1, {count}) AS n, (SELECT * FROM payments LIMIT 1) AS p"));
    } else {
        execute_sql(app, &format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) INSERT INTO payments ({columns}) SELECT {copy} FROM s, (SELECT * FROM payments LIMIT 1)"));
    }
}

/// A sort path goes on inside a custom field: a Money's centAmount, a LocalizedString's locale.
#[tokio::test]
async fn sorting_reaches_inside_custom_fields() {
    let app = spawn_app().await;
    app.create_type("priced", &["payment"], vec![field("fee", "Money"), field("note", "LocalizedString")])
        .await;
    for (key, cents, note) in [("low", 5, "b"), ("high", 90, "a")] {
        app.create_payment(
            json!({"key": key, "amountPlanned": money(1), "custom": {"type": {"key": "priced"},
            "fields": {"fee": {"currencyCode": "EUR", "centAmount": cents}, "note": {"en": note}}}}),
        )
        .await;
    }
    app.create_payment(json!({"key": "none", "amountPlanned": money(1)})).await;
    let keys = |sort: &'static str| {
        let app = &app;
        async move {
            let page = app.get(&format!("/payments?sort={sort}")).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let results = page.body["results"].as_array().unwrap().clone();
            results.iter().map(|p| p["key"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(keys("custom.fields.fee.centAmount+desc").await, ["high", "low", "none"]);
    assert_eq!(keys("custom.fields.fee.centAmount+asc").await, ["low", "high", "none"]);
    assert_eq!(keys("custom.fields.note.en").await, ["high", "low", "none"]);
}
