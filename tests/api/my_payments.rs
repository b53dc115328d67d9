//! Shopper sessions and the My Payments API: the anonymous session and password flows, refresh
//! tokens, and `/me/payments`, where a shopper sees and changes only their own payments, and
//! only until a transaction is added.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A session's tokens: (access token, refresh token, scope).
struct Session {
    access: String,
    refresh: String,
    scope: String,
}

async fn session_reply(app: &TestApp, path: &str, client: &(String, String), form: &[(&str, &str)]) -> Reply {
    let request = app
        .client
        .post(format!("{}/oauth/{}{path}", app.address, app.project))
        .basic_auth(&client.0, Some(&client.1))
        .form(form);
    app.raw_unauthenticated(request).await
}

fn session_of(reply: &Reply) -> Session {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert!(reply.body["expires_in"].as_u64().unwrap() > 0);
    Session {
        access: reply.body["access_token"].as_str().unwrap().to_owned(),
        refresh: reply.body["refresh_token"].as_str().unwrap().to_owned(),
        scope: reply.body["scope"].as_str().unwrap().to_owned(),
    }
}

/// A client of the shop's front end: it starts sessions and acts for shoppers.
fn shop_client(app: &TestApp) -> (String, String) {
    app.create_client("create_anonymous_token:test-project manage_my_payments:test-project")
}

async fn anonymous(app: &TestApp, client: &(String, String), anonymous_id: Option<&str>) -> Session {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "manage_my_payments:test-project")];
    form.extend(anonymous_id.map(|id| ("anonymous_id", id)));
    session_of(&session_reply(app, "/anonymous/token", client, &form).await)
}

async fn as_shopper(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.request_with_token(method, path, body, Some(token)).await
}

fn my_draft(cents: i64) -> Value {
    json!({
        "amountPlanned": money(cents),
        "paymentMethodInfo": {"paymentInterface": "psp", "method": "card", "name": {"en": "Card"}}
    })
}

#[tokio::test]
async fn an_anonymous_session_gets_a_token_its_id_and_a_refresh_token() {
    let app = spawn_app().await;
    let client = shop_client(&app);
    let chosen = anonymous(&app, &client, Some("phone-123")).await;
    assert_eq!(chosen.scope, "manage_my_payments:test-project anonymous_id:phone-123");
    assert!(chosen.refresh.starts_with("test-project:"), "{}", chosen.refresh);
    let generated = anonymous(&app, &client, None).await;
    let id = generated.scope.rsplit_once("anonymous_id:").unwrap().1;
    assert_eq!(id.len(), 36, "a generated id: {}", generated.scope);

    let again = session_reply(
        &app,
        "/anonymous/token",
        &client,
        &[("grant_type", "client_credentials"), ("anonymous_id", "phone-123")],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.error_code(), "invalid_request");
    assert_eq!(again.body["message"], "The anonymousId is already in use.");

    // An id is one word of the token's scope: no spaces, and no colon that could make it read
    // as another word (`customer_id:…`).
    for bad in ["a b", "customer_id:victim"] {
        let refused = session_reply(
            &app,
            "/anonymous/token",
            &client,
            &[("grant_type", "client_credentials"), ("anonymous_id", bad)],
        )
        .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.error_code(), "invalid_request");
    }
    // Nor does a session get the payments the merchant wrote with an anonymousId.
    app.create_payment(json!({"amountPlanned": money(5), "anonymousId": "merchant-set"})).await;
    let claimed = session_reply(
        &app,
        "/anonymous/token",
        &client,
        &[("grant_type", "client_credentials"), ("anonymous_id", "merchant-set")],
    )
    .await;
    assert_eq!(claimed.body["message"], "The anonymousId is already in use.", "{}", claimed.body);

    let backend = app.create_client("manage_my_payments:test-project");
    let refused =
        session_reply(&app, "/anonymous/token", &backend, &[("grant_type", "client_credentials")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.error_code(), "insufficient_scope");
    let beyond = session_reply(
        &app,
        "/anonymous/token",
        &client,
        &[("grant_type", "client_credentials"), ("scope", "manage_payments:test-project")],
    )
    .await;
    assert_eq!(beyond.error_code(), "invalid_scope");
    let wrong_grant = session_reply(&app, "/anonymous/token", &client, &[("grant_type", "password")]).await;
    assert_eq!(wrong_grant.error_code(), "unsupported_grant_type");
    let wrong_secret = session_reply(
        &app,
        "/anonymous/token",
        &(client.0.clone(), "x".into()),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    let other_project = session_reply(
        &app.in_project("other-project").await,
        "/anonymous/token",
        &client,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(other_project.status, StatusCode::UNAUTHORIZED, "{}", other_project.body);
    assert_eq!(other_project.error_code(), "invalid_client", "a client of another project");
}

#[tokio::test]
async fn a_refresh_token_gets_new_access_tokens_for_the_same_session_until_revoked() {
    let app = spawn_app().await;
    let client = shop_client(&app);
    let session = anonymous(&app, &client, Some("refreshing")).await;
    let created = as_shopper(&app, &session.access, Method::POST, "/me/payments", Some(my_draft(100))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let url = format!("{}/oauth/token", app.address);
    let refresh = |client: &(String, String), token: &str| {
        app.client
            .post(&url)
            .basic_auth(&client.0, Some(&client.1))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
    };
    let refreshed = app.raw_unauthenticated(refresh(&client, &session.refresh)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    assert!(refreshed.body.get("refresh_token").is_none(), "the refresh token stays the same");
    assert_eq!(refreshed.body["scope"], session.scope.as_str());
    let access = refreshed.body["access_token"].as_str().unwrap();
    assert_ne!(access, session.access);
    let mine = as_shopper(&app, access, Method::GET, "/me/payments", None).await;
    assert_eq!(mine.body["results"][0]["id"], created.body["id"], "the same shopper: {}", mine.body);
    let introspect = app
        .client
        .post(format!("{}/oauth/introspect", app.address))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("token", access)]);
    let introspected = app.raw_unauthenticated(introspect).await;
    assert_eq!(introspected.body["scope"], session.scope.as_str(), "{}", introspected.body);

    let other_client = shop_client(&app);
    let stolen = app.raw_unauthenticated(refresh(&other_client, &session.refresh)).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    assert_eq!(stolen.error_code(), "invalid_grant");

    let revoke = app
        .client
        .post(format!("{}/oauth/token/revoke", app.address))
        .basic_auth(&client.0, Some(&client.1))
        .form(&[("token", session.refresh.as_str())]);
    assert_eq!(app.raw_unauthenticated(revoke).await.status, StatusCode::OK);
    let revoked = app.raw_unauthenticated(refresh(&client, &session.refresh)).await;
    assert_eq!(revoked.error_code(), "invalid_grant");
    assert_eq!(revoked.body["message"], "The refresh token was not found. It may have expired.");
    // Revoking it ends the session (a shopper's logout): its access tokens too.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for token in [access, session.access.as_str()] {
        let ended = as_shopper(&app, token, Method::GET, "/me/payments", None).await;
        assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{}", ended.body);
    }
}

#[tokio::test]
async fn a_shopper_creates_reads_lists_and_changes_only_their_own_payments() {
    let app = spawn_app().await;
    let client = shop_client(&app);
    let alice = anonymous(&app, &client, Some("alice")).await;
    let bob = anonymous(&app, &client, Some("bob")).await;

    let created = as_shopper(&app, &alice.access, Method::POST, "/me/payments", Some(my_draft(1500))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let payment = &created.body;
    assert_eq!(payment["anonymousId"], "alice");
    assert_eq!(payment["version"], 1);
    assert_eq!(payment["amountPlanned"]["centAmount"], 1500);
    assert_eq!(payment["transactions"], json!([]));
    for hidden in ["createdAt", "createdBy", "paymentStatus", "interfaceInteractions", "key"] {
        assert!(payment.get(hidden).is_none(), "{hidden} is the merchant's: {payment}");
    }
    let id = payment["id"].as_str().unwrap();
    let path = format!("/me/payments/{id}");

    // The merchant sees the whole payment, and who made it (not an externalUserId the
    // shopper's browser claims).
    let merchant = app.get(&format!("/payments/{id}")).await.body;
    assert_eq!(merchant["anonymousId"], "alice");
    assert_eq!(merchant["createdBy"]["anonymousId"], "alice", "{merchant}");
    assert_eq!(merchant["createdBy"]["clientId"], client.0.as_str());
    let claimed = app
        .raw_unauthenticated(
            app.client
                .post(app.url("/me/payments"))
                .bearer_auth(&alice.access)
                .header("X-External-User-ID", "admin")
                .json(&my_draft(1)),
        )
        .await;
    let claimed = app.get(&format!("/payments/{}", claimed.body["id"].as_str().unwrap())).await.body;
    assert!(claimed["createdBy"].get("externalUserId").is_none(), "{claimed}");
    app.delete(&format!("/payments/{}?version=1", claimed["id"].as_str().unwrap())).await;

    let read = as_shopper(&app, &alice.access, Method::GET, &path, None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(&read.body, payment);
    assert_eq!(as_shopper(&app, &alice.access, Method::HEAD, &path, None).await.status, StatusCode::OK);

    // Another shopper finds nothing: not a 403 that tells the payment exists.
    for (method, body) in [
        (Method::GET, None),
        (Method::HEAD, None),
        (
            Method::POST,
            Some(json!({"version": 1, "actions": [{"action": "setMethodInfoMethod", "method": "x"}]})),
        ),
    ] {
        let reply = as_shopper(&app, &bob.access, method.clone(), &path, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    let bobs_delete = as_shopper(&app, &bob.access, Method::DELETE, &format!("{path}?version=1"), None).await;
    assert_eq!(bobs_delete.status, StatusCode::NOT_FOUND);
    app.create_payment(json!({"amountPlanned": money(5), "anonymousId": "bob-elsewhere"})).await;
    let bobs = as_shopper(&app, &bob.access, Method::GET, "/me/payments", None).await;
    assert_eq!(bobs.body["results"], json!([]), "{}", bobs.body);
    assert_eq!(bobs.body["total"], 0);

    let listed = as_shopper(
        &app,
        &alice.access,
        Method::GET,
        "/me/payments?where=amountPlanned(centAmount%3E1000)",
        None,
    )
    .await;
    assert_eq!(listed.body["count"], 1, "{}", listed.body);
    assert_eq!(&listed.body["results"][0], payment);
    let none = as_shopper(
        &app,
        &alice.access,
        Method::HEAD,
        "/me/payments?where=amountPlanned(centAmount%3C1000)",
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    let updated = as_shopper(
        &app,
        &alice.access,
        Method::POST,
        &path,
        Some(json!({"version": 1, "actions": [
            {"action": "changeAmountPlanned", "amount": money(1800)},
            {"action": "setMethodInfoMethod", "method": "paypal"}
        ]})),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 3);
    assert_eq!(updated.body["paymentMethodInfo"]["method"], "paypal");
    let stale = as_shopper(
        &app,
        &alice.access,
        Method::POST,
        &path,
        Some(json!({"version": 1, "actions": [{"action": "setMethodInfoMethod", "method": "x"}]})),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["errors"][0]["currentVersion"], 3);

    let merchant_only = as_shopper(
        &app,
        &alice.access,
        Method::POST,
        &path,
        Some(json!({"version": 3, "actions": [{"action": "setKey", "key": "mine"}]})),
    )
    .await;
    assert_eq!(merchant_only.status, StatusCode::BAD_REQUEST);
    assert_eq!(merchant_only.error_code(), "InvalidJsonInput");
    // The account that is paid is the merchant's to name.
    let account = as_shopper(
        &app,
        &alice.access,
        Method::POST,
        &path,
        Some(json!({"version": 3, "actions": [{"action": "setMethodInfoInterfaceAccount", "interfaceAccount": "acct_1"}]})),
    )
    .await;
    assert_eq!(account.error_code(), "InvalidJsonInput");
    let mut with_account = my_draft(1);
    with_account["paymentMethodInfo"]["interfaceAccount"] = json!("acct_1");
    let account = as_shopper(&app, &alice.access, Method::POST, "/me/payments", Some(with_account)).await;
    assert_eq!(account.error_code(), "InvalidInput", "{}", account.body);
    // A shopper queries the fields they are shown, no others.
    let hidden = as_shopper(&app, &alice.access, Method::GET, "/me/payments?where=key%3D%22k%22", None).await;
    assert_eq!(hidden.error_code(), "InvalidInput", "{}", hidden.body);

    let deleted = as_shopper(&app, &alice.access, Method::DELETE, &format!("{path}?version=3"), None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(app.get(&format!("/payments/{id}")).await.status, StatusCode::NOT_FOUND);

    // Sorted by creation, as every resource is; a payment the merchant gives to a customer is
    // no longer the session's.
    let second = as_shopper(&app, &alice.access, Method::POST, "/me/payments", Some(my_draft(20))).await.body;
    let sorted = as_shopper(&app, &alice.access, Method::GET, "/me/payments?sort=createdAt+desc", None).await;
    assert_eq!(sorted.body["results"][0]["id"], second["id"], "{}", sorted.body);
    let customer = app.create_customer("alice@example.com", "alice").await;
    let merchant = app.get(&format!("/payments/{}", second["id"].as_str().unwrap())).await.body;
    app.update(
        &merchant,
        json!([{"action": "setCustomer", "customer": {"typeId": "customer", "id": customer["id"]}}]),
    )
    .await;
    let path = format!("/me/payments/{}?expand=customer", second["id"].as_str().unwrap());
    assert_eq!(as_shopper(&app, &alice.access, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
    let listed = as_shopper(&app, &alice.access, Method::GET, "/me/payments?expand=customer", None).await;
    assert!(!listed.body.to_string().contains("alice@example.com"), "{}", listed.body);
    assert!(listed.body["results"].as_array().unwrap().iter().all(|p| p["id"] != second["id"]));
}

#[tokio::test]
async fn a_payment_with_a_transaction_is_no_longer_the_shoppers_to_change() {
    let app = spawn_app().await;
    let client = shop_client(&app);
    let shopper = anonymous(&app, &client, None).await;
    let mut draft = my_draft(2500);
    draft["transaction"] = json!({"type": "Authorization", "amount": money(2500), "state": "Success",
                                  "interactionId": "psp-1", "interfaceId": "psp-tx-1"});
    let created = as_shopper(&app, &shopper.access, Method::POST, "/me/payments", Some(draft)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let transaction = &created.body["transactions"][0];
    assert_eq!(transaction["state"], "Initial", "a shopper cannot say how a transaction went");
    assert_eq!(transaction["interactionId"], "psp-1");
    let path = format!("/me/payments/{}", created.body["id"].as_str().unwrap());

    let update = json!({"version": 1, "actions": [{"action": "setMethodInfoMethod", "method": "x"}]});
    let refused = as_shopper(&app, &shopper.access, Method::POST, &path, Some(update)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "InvalidOperation");
    let not_deleted =
        as_shopper(&app, &shopper.access, Method::DELETE, &format!("{path}?version=1"), None).await;
    assert_eq!(not_deleted.error_code(), "InvalidOperation");
    // A version the payment has not reached is a conflict, never a change of the version the
    // payment reaches next (when the merchant or the provider writes it).
    let ahead = json!({"version": 2, "actions": [{"action": "setMethodInfoMethod", "method": "x"}]});
    let ahead = as_shopper(&app, &shopper.access, Method::POST, &path, Some(ahead)).await;
    assert_eq!(ahead.status, StatusCode::CONFLICT, "{}", ahead.body);
    assert_eq!(ahead.body["errors"][0]["currentVersion"], 1);
    let ahead = as_shopper(&app, &shopper.access, Method::DELETE, &format!("{path}?version=2"), None).await;
    assert_eq!(ahead.status, StatusCode::CONFLICT);
    assert_eq!(created.body["transactions"][0]["interfaceId"], "psp-tx-1", "{}", created.body);

    // Without a transaction yet, the shopper adds one (only an authorization or a charge).
    let later =
        as_shopper(&app, &shopper.access, Method::POST, "/me/payments", Some(my_draft(900))).await.body;
    let later_path = format!("/me/payments/{}", later["id"].as_str().unwrap());
    let refund = json!({"version": 1, "actions": [
        {"action": "addTransaction", "transaction": {"type": "Refund", "amount": money(900)}}
    ]});
    let refused = as_shopper(&app, &shopper.access, Method::POST, &later_path, Some(refund)).await;
    assert_eq!(refused.error_code(), "InvalidJsonInput", "{}", refused.body);
    let charge = json!({"version": 1, "actions": [
        {"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(900), "state": "Success"}}
    ]});
    let charged = as_shopper(&app, &shopper.access, Method::POST, &later_path, Some(charge)).await;
    assert_eq!(charged.status, StatusCode::OK, "{}", charged.body);
    assert_eq!(charged.body["transactions"][0]["state"], "Initial");
    let bad_draft = as_shopper(
        &app,
        &shopper.access,
        Method::POST,
        "/me/payments",
        Some(json!({"amountPlanned": money(1), "transaction": {"type": "Chargeback", "amount": money(1)}})),
    )
    .await;
    assert_eq!(bad_draft.error_code(), "InvalidJsonInput");
}

#[tokio::test]
async fn me_endpoints_need_a_shoppers_token_with_the_scope() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_my_payments:test-project manage_payments:test-project");
    let backend = app.token_for(&id, &secret, None).await;
    for (method, body) in
        [(Method::GET, None), (Method::POST, Some(my_draft(1))), (Method::POST, Some(json!([1])))]
    {
        let reply = as_shopper(&app, &backend, method.clone(), "/me/payments", body).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method}: {}", reply.body);
        assert_eq!(reply.error_code(), "insufficient_scope");
    }
    let client = app.create_client("create_anonymous_token:test-project view_payments:test-project");
    let session = session_of(
        &session_reply(&app, "/anonymous/token", &client, &[("grant_type", "client_credentials")]).await,
    );
    let reply = as_shopper(&app, &session.access, Method::GET, "/me/payments", None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "manage_my_payments is needed: {}", reply.body);
    let reply = as_shopper(&app, &session.access, Method::GET, "/payments", None).await;
    assert_eq!(reply.status, StatusCode::OK, "a shopper's token opens what its scopes open");
}

#[tokio::test]
async fn a_customer_signs_in_with_a_password_and_pays_as_themselves() {
    let app = spawn_app().await;
    let customer = app.create_customer("Jane@Example.com", "jane").await;
    let client = shop_client(&app);
    let sign_in = |email: &'static str, password: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            let form = [("grant_type", "password"), ("username", email), ("password", password)];
            session_reply(app, "/customers/token", client, &form).await
        }
    };
    let signed_in = session_of(&sign_in("jane@example.com", "secret").await);
    let customer_id = customer["id"].as_str().unwrap();
    assert!(signed_in.scope.ends_with(&format!(" customer_id:{customer_id}")), "{}", signed_in.scope);
    for (email, password) in [("jane@example.com", "Secret"), ("nobody@example.com", "secret")] {
        let refused = sign_in(email, password).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.error_code(), "invalid_customer_account_credentials");
        assert_eq!(refused.body["message"], "Customer account with the given credentials not found.");
    }
    // The shop's backend checks the same credentials at /login, with its own token.
    let login = app.post("/login", json!({"email": "JANE@example.com", "password": "secret"})).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.body["customer"]["id"], customer_id);
    let wrong = app.post("/login", json!({"email": "jane@example.com", "password": "nope"})).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.error_code(), "InvalidCredentials");
    assert_eq!(wrong.body["message"], "Account with the given credentials not found.");
    assert_eq!(
        app.post("/login", json!({"email": "jane@example.com"})).await.error_code(),
        "InvalidJsonInput"
    );
    let missing =
        session_reply(&app, "/customers/token", &client, &[("grant_type", "password"), ("username", "x")])
            .await;
    assert_eq!(missing.error_code(), "invalid_request");

    let created =
        as_shopper(&app, &signed_in.access, Method::POST, "/me/payments", Some(my_draft(700))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["customer"], json!({"typeId": "customer", "id": customer_id}));
    assert!(created.body.get("anonymousId").is_none());
    let expanded = as_shopper(
        &app,
        &signed_in.access,
        Method::GET,
        &format!("/me/payments/{}?expand=customer", created.body["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(expanded.body["customer"]["obj"]["email"], "Jane@Example.com", "{}", expanded.body);
    let merchant = app.get(&format!("/payments/{}", created.body["id"].as_str().unwrap())).await.body;
    assert_eq!(merchant["createdBy"]["customer"], json!({"typeId": "customer", "id": customer_id}));
    assert!(app.get("/customers/key=jane").await.body.get("password").is_none(), "the hash is never served");

    // A customer who signs in elsewhere (ExternalAuth) has no password here any more.
    let customer = app.get("/customers/key=jane").await.body;
    let external = app
        .post(
            "/customers/key=jane",
            json!({"version": customer["version"], "actions": [{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}]}),
        )
        .await;
    assert_eq!(external.status, StatusCode::OK, "{}", external.body);
    assert_eq!(
        sign_in("jane@example.com", "secret").await.error_code(),
        "invalid_customer_account_credentials"
    );
    let refresh =
        app.client.post(format!("{}/oauth/token", app.address)).basic_auth(&client.0, Some(&client.1));
    let refresh =
        refresh.form(&[("grant_type", "refresh_token"), ("refresh_token", signed_in.refresh.as_str())]);
    assert_eq!(
        app.raw_unauthenticated(refresh).await.error_code(),
        "invalid_grant",
        "a password change ends sessions"
    );
    let back = app
        .post(
            "/customers/key=jane",
            json!({"version": external.body["version"], "actions": [
                {"action": "setAuthenticationMode", "authMode": "Password", "password": "n3w"}
            ]}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(sign_in("jane@example.com", "n3w").await.status, StatusCode::OK);

    // A deleted customer signs in no more, and their token creates nothing.
    let gone = app.create_customer("gone@example.com", "gone").await;
    let session = session_of(&sign_in("gone@example.com", "secret").await);
    let deleted = app.delete(&format!("/customers/key=gone?version={}", gone["version"])).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        sign_in("gone@example.com", "secret").await.error_code(),
        "invalid_customer_account_credentials"
    );
    // Their sessions end with them (after the token cache's second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let orphan = as_shopper(&app, &session.access, Method::POST, "/me/payments", Some(my_draft(1))).await;
    assert_eq!(orphan.status, StatusCode::UNAUTHORIZED, "{}", orphan.body);
    let refreshed = app
        .raw_unauthenticated(
            app.client
                .post(format!("{}/oauth/token", app.address))
                .basic_auth(&client.0, Some(&client.1))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", session.refresh.as_str())]),
        )
        .await;
    assert_eq!(refreshed.error_code(), "invalid_grant");
}

#[tokio::test]
async fn a_shoppers_authorization_is_made_at_stripe() {
    let app = spawn_stripe_app().await;
    let client = shop_client(&app);
    let shopper = anonymous(&app, &client, None).await;
    let draft = json!({
        "amountPlanned": money(4200),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "method": "CREDIT_CARD", "token": {"value": "pm_card_visa"}},
        "transaction": {"type": "Authorization", "amount": money(4200)}
    });
    let created = as_shopper(&app, &shopper.access, Method::POST, "/me/payments", Some(draft)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let authorized = eventually(&app, id, |p| p["transactions"][0]["state"] == "Success").await;
    let intent = authorized["transactions"][0]["interactionId"].as_str().unwrap();
    assert_eq!(stripe_intent(intent).await["status"], "requires_capture");
    let seen = as_shopper(&app, &shopper.access, Method::GET, &format!("/me/payments/{id}"), None).await;
    assert_eq!(seen.body["transactions"][0]["state"], "Success", "{}", seen.body);
    assert!(seen.body.get("interfaceInteractions").is_none());
}

#[tokio::test]
async fn a_shopper_expands_their_customer_and_no_reference_they_wrote() {
    let app = spawn_app().await;
    let victim = app.create_customer("victim@example.com", "victim").await;
    let buyer = json!({"name": "buyer", "label": {"en": "buyer"}, "required": false,
                       "type": {"name": "Reference", "referenceTypeId": "customer"}});
    app.create_type("shop-payment", &["payment"], vec![buyer]).await;
    let client = shop_client(&app);
    let shopper = anonymous(&app, &client, None).await;
    let mut draft = my_draft(300);
    draft["custom"] = json!({"type": {"typeId": "type", "key": "shop-payment"},
                             "fields": {"buyer": {"typeId": "customer", "id": victim["id"]}}});
    let created = as_shopper(&app, &shopper.access, Method::POST, "/me/payments", Some(draft)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = format!(
        "/me/payments/{}?expand=custom.fields.buyer&expand=custom.type",
        created.body["id"].as_str().unwrap()
    );
    let read = as_shopper(&app, &shopper.access, Method::GET, &path, None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body["custom"]["fields"]["buyer"].get("obj").is_none(), "{}", read.body);
    assert_eq!(read.body["custom"]["type"]["obj"]["key"], "shop-payment", "Types are expanded");
}

#[tokio::test]
async fn a_customer_changes_their_password_which_ends_their_sessions() {
    let app = spawn_app().await;
    let customer = app.create_customer("pat@example.com", "pat").await;
    let id = customer["id"].as_str().unwrap();
    let client = shop_client(&app);
    let form = |password: &'static str| {
        [("grant_type", "password"), ("username", "pat@example.com"), ("password", password)]
    };
    let session = session_of(&session_reply(&app, "/customers/token", &client, &form("secret")).await);

    let change = |version: &Value, current: &str, new: &str| json!({"id": id, "version": version, "currentPassword": current, "newPassword": new});
    let wrong = app.post("/customers/password", change(&customer["version"], "nope", "n3w")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_eq!(wrong.error_code(), "InvalidCurrentPassword");
    assert_eq!(wrong.body["message"], "The given current password does not match.");
    let stale = app.post("/customers/password", change(&json!(99), "secret", "n3w")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    let changed = app.post("/customers/password", change(&customer["version"], "secret", "n3w")).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["version"], customer["version"].as_i64().unwrap() + 1);
    assert!(changed.body.get("password").is_none());
    let messages =
        app.get(&format!("/messages?where=resource(id%3D%22{id}%22)&sort=sequenceNumber+desc")).await;
    assert_eq!(messages.body["results"][0]["type"], "CustomerPasswordUpdated", "{}", messages.body);
    assert_eq!(messages.body["results"][0]["reset"], false);

    let old = session_reply(&app, "/customers/token", &client, &form("secret")).await;
    assert_eq!(old.error_code(), "invalid_customer_account_credentials");
    session_of(&session_reply(&app, "/customers/token", &client, &form("n3w")).await);
    let refresh =
        app.client.post(format!("{}/oauth/token", app.address)).basic_auth(&client.0, Some(&client.1));
    let refresh =
        refresh.form(&[("grant_type", "refresh_token"), ("refresh_token", session.refresh.as_str())]);
    assert_eq!(app.raw_unauthenticated(refresh).await.error_code(), "invalid_grant", "the old session ended");
}
