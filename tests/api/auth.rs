//! The token endpoint, introspection, API clients, and who may do what.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn a_token_carries_all_the_clients_scopes_unless_fewer_are_asked_for() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_payments:test-project view_types:test-project");
    let all = app.token_reply(&id, &secret, None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["token_type"], "Bearer");
    assert_eq!(all.body["expires_in"], 3600);
    assert_eq!(all.body["scope"], "manage_payments:test-project view_types:test-project");
    assert!(all.body.get("refresh_token").is_none());
    assert_eq!(all.headers["cache-control"], "no-store");
    let narrow = app.token_reply(&id, &secret, Some("view_payments:test-project")).await;
    assert_eq!(narrow.status, StatusCode::OK, "manage implies view");
    assert_eq!(narrow.body["scope"], "view_payments:test-project", "the scope is echoed as asked");
    let token = narrow.body["access_token"].as_str().unwrap();
    let read = app.request_with_token(Method::GET, "/payments", None, Some(token)).await;
    assert_eq!(read.status, StatusCode::OK);
    let write = app.request_with_token(Method::POST, "/payments", Some(draft()), Some(token)).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "the narrowed token cannot write");
}

#[tokio::test]
async fn a_manage_project_client_may_ask_for_any_scope_of_its_project() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_project:test-project");
    let reply = app
        .token_reply(&id, &secret, Some("view_payments:test-project manage_api_clients:test-project"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let other_project = app.token_reply(&id, &secret, Some("view_payments:elsewhere")).await;
    assert_eq!(other_project.status, StatusCode::BAD_REQUEST);
    assert_eq!(other_project.error_code(), "invalid_scope");
    assert_eq!(other_project.body["error"], "invalid_scope");
}

/// Shops ask for the scope lists the Merchant Center gives them, most of them about resources
/// this service does not serve; those are granted and open nothing here.
#[tokio::test]
async fn scopes_of_other_commercetools_resources_are_granted_and_open_nothing_here() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_project:test-project");
    let asked = "view_orders:test-project view_published_products:test-project \
                 manage_my_payments:test-project manage_orders:test-project:eu-store";
    let reply = app.token_reply(&id, &secret, Some(asked)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["scope"], asked);
    let token = reply.body["access_token"].as_str().unwrap();
    let messages = app.request_with_token(Method::GET, "/messages", None, Some(token)).await;
    assert_eq!(messages.status, StatusCode::OK, "view_orders is commercetools' legacy scope for Messages");
    let payments = app.request_with_token(Method::GET, "/payments", None, Some(token)).await;
    assert_eq!(payments.status, StatusCode::FORBIDDEN);
    let (narrow_id, narrow_secret) = app.create_client("view_orders:test-project");
    let refused = app.token_reply(&narrow_id, &narrow_secret, Some("manage_orders:test-project")).await;
    assert_eq!(refused.error_code(), "invalid_scope", "a scope the client does not hold");
}

#[tokio::test]
async fn token_endpoint_errors_follow_commercetools_auth_api() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("view_payments:test-project");
    let url = format!("{}/oauth/token", app.address);
    let grant = [("grant_type", "client_credentials")];
    let cases = [
        (app.client.post(&url).basic_auth(&id, Some("wrong")).form(&grant), 401, "invalid_client"),
        (app.client.post(&url).basic_auth("nobody", Some(&secret)).form(&grant), 401, "invalid_client"),
        (app.client.post(&url).basic_auth("no\0body", Some(&secret)).form(&grant), 401, "invalid_client"),
        (app.client.post(&url).form(&grant), 401, "invalid_client"),
        (app.client.post(&url).header("authorization", "Basic !!!").form(&grant), 401, "invalid_client"),
        (app.client.post(&url).basic_auth(&id, Some(&secret)), 400, "invalid_request"),
        (
            app.client.post(&url).basic_auth(&id, Some(&secret)).form(&[("grant_type", "password")]),
            400,
            "unsupported_grant_type",
        ),
        (
            app.client
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
            400,
            "invalid_grant",
        ),
        (
            app.client.post(&url).basic_auth(&id, Some(&secret)).form(&[("grant_type", "refresh_token")]),
            400,
            "invalid_request",
        ),
        (
            app.client
                .post(&url)
                .basic_auth(&id, Some("wrong"))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
            401,
            "invalid_client",
        ),
        (
            app.client
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "manage_payments:test-project")]),
            400,
            "invalid_scope",
        ),
        (
            app.client
                .post(&url)
                .basic_auth(&id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("scope", "nonsense")]),
            400,
            "invalid_scope",
        ),
    ];
    for (request, status, code) in cases {
        let reply = app.raw_unauthenticated(request).await;
        assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
        assert_eq!(reply.error_code(), code);
        assert_eq!(reply.body["error"], code);
        assert_eq!(reply.body["error_description"], reply.body["message"]);
    }
    let via_query = app
        .raw_unauthenticated(
            app.client.post(format!("{url}?grant_type=client_credentials")).basic_auth(&id, Some(&secret)),
        )
        .await;
    assert_eq!(via_query.status, StatusCode::OK, "parameters may come in the query string");
}

#[tokio::test]
async fn introspection_reports_active_and_inactive_tokens() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("view_payments:test-project");
    let token = app.token_for(&id, &secret, None).await;
    let url = format!("{}/oauth/introspect", app.address);
    let active = app
        .raw_unauthenticated(app.client.post(&url).basic_auth(&id, Some(&secret)).form(&[("token", &token)]))
        .await;
    assert_eq!(active.status, StatusCode::OK);
    assert_eq!(active.body["active"], true);
    assert_eq!(active.body["scope"], "view_payments:test-project");
    assert_eq!(active.body["client_id"], id.as_str());
    assert!(active.body["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    let unknown = app
        .raw_unauthenticated(app.client.post(&url).basic_auth(&id, Some(&secret)).form(&[("token", "nope")]))
        .await;
    assert_eq!(unknown.body, json!({"active": false}));
    let unauthenticated = app.raw_unauthenticated(app.client.post(&url).form(&[("token", &token)])).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let (other_id, other_secret) = app.create_client("view_payments:test-project");
    let stranger = app
        .raw_unauthenticated(
            app.client.post(&url).basic_auth(&other_id, Some(&other_secret)).form(&[("token", &token)]),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "another client needs introspect_oauth_tokens");
    let (admin_id, admin_secret) = app.create_client("manage_project:test-project");
    let admin = app
        .raw_unauthenticated(
            app.client.post(&url).basic_auth(&admin_id, Some(&admin_secret)).form(&[("token", &token)]),
        )
        .await;
    assert_eq!(admin.body["active"], true);
}

/// An app that logs out revokes its token: it stops working at once, for this client only.
#[tokio::test]
async fn a_client_revokes_its_own_tokens() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("view_payments:test-project");
    let token = app.token_for(&id, &secret, None).await;
    let kept = app.token_for(&id, &secret, None).await;
    let read = |token: String| {
        let app = &app;
        async move { app.request_with_token(Method::GET, "/payments", None, Some(&token)).await.status }
    };
    assert_eq!(read(token.clone()).await, StatusCode::OK);
    let url = format!("{}/oauth/token/revoke", app.address);
    let revoke = |id: &str, secret: &str, token: &str| {
        let form = [("token", token.to_owned()), ("token_type_hint", "access_token".to_owned())];
        app.client.post(&url).basic_auth(id, Some(secret)).form(&form)
    };
    let (other_id, other_secret) = app.create_client("manage_project:test-project");
    let stranger = app.raw_unauthenticated(revoke(&other_id, &other_secret, &token)).await;
    assert_eq!(stranger.status, StatusCode::BAD_REQUEST, "another client's token is not its to revoke");
    assert_eq!(read(token.clone()).await, StatusCode::OK);
    let revoked = app.raw_unauthenticated(revoke(&id, &secret, &token)).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(read(token.clone()).await, StatusCode::UNAUTHORIZED, "revoked at once");
    assert_eq!(read(kept).await, StatusCode::OK, "the client's other tokens stay");
    let again = app.raw_unauthenticated(revoke(&id, &secret, &token)).await;
    assert_eq!(again.status, StatusCode::OK, "an unknown token is no error (RFC 7009)");
    let wrong_secret = app.raw_unauthenticated(revoke(&id, "nope", &token)).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_clients_are_created_listed_read_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api-clients",
            json!({"name": "shop", "scope": "view_payments:test-project manage_payments:test-project"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(created.body["name"], "shop");
    assert_eq!(created.body["scope"], "view_payments:test-project manage_payments:test-project");
    let fetched = app.get(&format!("/api-clients/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert!(fetched.body.get("secret").is_none(), "the secret is shown only once");
    let listed = app.get("/api-clients").await;
    assert!(listed.body["results"].as_array().unwrap().iter().any(|c| c["id"] == id.as_str()));
    assert!(!listed.body.to_string().contains(&secret));
    assert!(listed.body["total"].as_i64().is_some());
    let without_total = app.get("/api-clients?withTotal=false").await;
    assert!(without_total.body.get("total").is_none(), "{}", without_total.body);
    assert_eq!(app.head(&format!("/api-clients/{id}")).await.status, StatusCode::OK);
    assert_eq!(app.head("/api-clients/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.head("/api-clients").await.status, StatusCode::OK);

    assert!(fetched.body.get("lastUsedAt").is_none(), "no token yet");
    let token = app.token_for(&id, &secret, None).await;
    assert_eq!(
        app.request_with_token(Method::GET, "/payments", None, Some(&token)).await.status,
        StatusCode::OK
    );
    let used = app.get(&format!("/api-clients/{id}")).await.body;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(used["lastUsedAt"], today, "the day it last obtained a token: {used}");
    let deleted = app.delete(&format!("/api-clients/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    let revoked = app.request_with_token(Method::GET, "/payments", None, Some(&token)).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED, "deleting a client revokes its tokens at once");
    assert_eq!(revoked.error_code(), "invalid_token");
    assert_eq!(app.token_reply(&id, &secret, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("/api-clients/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_api_client_draft_sets_its_token_lifetime_and_its_end() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api-clients",
            json!({"name": "temp", "scope": "view_payments:test-project", "accessTokenValiditySeconds": 3600,
                "refreshTokenValiditySeconds": 7200, "deleteDaysAfterCreation": 1}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["accessTokenValiditySeconds"], 3600);
    assert_eq!(created.body["refreshTokenValiditySeconds"], 7200);
    assert!(created.body["deleteAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{}", created.body);
    let (id, secret) = (created.body["id"].as_str().unwrap(), created.body["secret"].as_str().unwrap());
    let token = app.token_reply(id, secret, None).await;
    assert_eq!(token.body["expires_in"], 3600, "{}", token.body);

    // Its day is over: it gets no more tokens, as if it were deleted.
    execute_sql(&app, &format!("UPDATE api_clients SET delete_at = 1 WHERE id = '{id}'"));
    assert_eq!(app.token_reply(id, secret, None).await.status, StatusCode::UNAUTHORIZED);

    for (field, value) in [
        ("accessTokenValiditySeconds", 0),
        ("accessTokenValiditySeconds", 3599),
        ("accessTokenValiditySeconds", 604_801),
        ("refreshTokenValiditySeconds", 29),
        ("deleteDaysAfterCreation", 0),
        ("deleteDaysAfterCreation", 99_999_999),
    ] {
        let mut draft = json!({"name": "z", "scope": "view_payments:test-project"});
        draft[field] = json!(value);
        let refused = app.post("/api-clients", draft).await;
        assert_eq!(refused.error_code(), "InvalidInput", "{field} {value}");
    }
}

/// API clients are queried like any other resource: predicates, sorting, paging, HEAD.
#[tokio::test]
async fn api_clients_are_queried_with_predicates_and_sorted() {
    let app = spawn_app().await;
    for (name, lifetime) in [("alpha", 7200), ("beta", 3600), ("gamma", 86_400)] {
        let draft = json!({"name": name, "scope": "view_payments:test-project", "accessTokenValiditySeconds": lifetime});
        assert_eq!(app.post("/api-clients", draft).await.status, StatusCode::CREATED);
    }
    let names = |query: &'static str| {
        let app = &app;
        async move {
            let reply = app.get(&format!("/api-clients?{query}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
            let results = reply.body["results"].as_array().unwrap().clone();
            (results.iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>(), reply.body)
        }
    };
    let (found, body) = names("where=name%20in%20(%22alpha%22%2C%20%22gamma%22)&sort=name%20desc").await;
    assert_eq!(found, ["gamma", "alpha"]);
    assert_eq!(body["total"], 2);
    let (by_lifetime, _) = names(
        "where=accessTokenValiditySeconds%20%3E%3D%20:min&var.min=3600&sort=accessTokenValiditySeconds",
    )
    .await;
    assert_eq!(by_lifetime, ["beta", "alpha", "gamma"]);
    let (newest, body) = names("sort=createdAt%20desc&limit=1&withTotal=false").await;
    assert_eq!(newest.len(), 1);
    assert!(body.get("total").is_none());
    let unknown = app.get("/api-clients?where=secret%20%3D%20%22x%22").await;
    assert_eq!(unknown.error_code(), "InvalidInput", "no such field: {}", unknown.body);
    let any = |query: &'static str| {
        let app = &app;
        async move { app.head(&format!("/api-clients?{query}")).await.status }
    };
    assert_eq!(any("where=name%20%3D%20%22beta%22").await, StatusCode::OK);
    assert_eq!(any("where=name%20%3D%20%22nope%22").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_client_drafts_are_checked() {
    let app = spawn_app().await;
    for draft in [
        json!({"name": "x", "scope": "manage_project:other-project"}),
        json!({"name": "x", "scope": "fly:test-project"}),
        json!({"name": "x", "scope": ""}),
        json!({"name": "", "scope": "view_payments:test-project"}),
    ] {
        let reply = app.post("/api-clients", draft.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{draft}");
        assert_eq!(reply.error_code(), "InvalidInput");
    }
    let missing = app.post("/api-clients", json!({"name": "x"})).await;
    assert_eq!(missing.error_code(), "InvalidJsonInput");
}

#[tokio::test]
async fn changes_record_the_client_that_made_them() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_payments:test-project");
    let token = app.token_for(&id, &secret, None).await;
    let created = app.request_with_token(Method::POST, "/payments", Some(draft()), Some(&token)).await;
    assert_eq!(created.body["createdBy"], json!({"clientId": id, "isPlatformClient": false}));
    assert_eq!(created.body["lastModifiedBy"], json!({"clientId": id, "isPlatformClient": false}));
    let updated = app
        .raw(
            app.client
                .post(app.url(&format!("/payments/{}", created.body["id"].as_str().unwrap())))
                .header("X-External-User-ID", "clerk-7")
                .json(&json!({"version": 1, "actions": [{"action": "setAnonymousId", "anonymousId": "a"}]})),
        )
        .await;
    assert_eq!(updated.body["createdBy"], json!({"clientId": id, "isPlatformClient": false}));
    assert_eq!(updated.body["lastModifiedBy"]["externalUserId"], "clerk-7");
    let by_clients = app.get("/payments?where=createdBy(isPlatformClient%20%3D%20false)").await;
    assert_eq!(by_clients.body["total"], 1, "{}", by_clients.body);
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    View,
    Manage,
    ViewClients,
    ManageClients,
}

/// The endpoint matrix: every route with the access it needs.
fn endpoints(id: &str, client_id: &str) -> Vec<(Method, String, Option<Value>, Access)> {
    let update = json!({"version": 1, "actions": []});
    vec![
        (Method::GET, "/payments".into(), None, Access::View),
        (Method::HEAD, "/payments".into(), None, Access::View),
        (Method::POST, "/payments".into(), Some(draft()), Access::Manage),
        (Method::GET, format!("/payments/{id}"), None, Access::View),
        (Method::HEAD, format!("/payments/{id}"), None, Access::View),
        (Method::POST, format!("/payments/{id}"), Some(update.clone()), Access::Manage),
        (Method::DELETE, format!("/payments/{id}?version=99"), None, Access::Manage),
        (Method::GET, "/payments/key=matrix".into(), None, Access::View),
        (Method::HEAD, "/payments/key=matrix".into(), None, Access::View),
        (Method::POST, "/payments/key=matrix".into(), Some(update), Access::Manage),
        (Method::DELETE, "/payments/key=matrix?version=99".into(), None, Access::Manage),
        (Method::GET, "/api-clients".into(), None, Access::ViewClients),
        (
            Method::POST,
            "/api-clients".into(),
            Some(json!({"name": "n", "scope": "view_payments:test-project"})),
            Access::ManageClients,
        ),
        (Method::GET, format!("/api-clients/{client_id}"), None, Access::ViewClients),
        (Method::DELETE, "/api-clients/not-a-client".into(), None, Access::ManageClients),
    ]
}

#[tokio::test]
async fn every_endpoint_checks_token_and_scope() {
    let app = spawn_app().await;
    let payment = app.create_payment(json!({"key": "matrix", "amountPlanned": money(1)})).await;
    let id = payment["id"].as_str().unwrap();
    let (client_id, _) = app.create_client("view_payments:test-project");

    let issue = |scope: &'static str| {
        let app = &app;
        async move {
            let (id, secret) = app.create_client(scope);
            (id.clone(), app.token_for(&id, &secret, None).await)
        }
    };
    let (_, view) = issue("view_payments:test-project").await;
    let (_, manage) = issue("manage_payments:test-project").await;
    let (_, clients_admin) = issue("manage_api_clients:test-project").await;
    let (_, other_project) = issue("manage_project:other-project").await;
    let (_, manage_project) = issue("manage_project:test-project").await;
    let (revoked_id, revoked) = issue("manage_project:test-project").await;
    payments_api::service::auth::delete_client(&app.database(), "test-project", &revoked_id).unwrap();
    let expired = {
        let (id, secret) = app.create_client("manage_project:test-project");
        let token = app.token_for(&id, &secret, None).await;
        expire_token(&app, &token);
        token
    };
    // Let the token cache (1 s in tests) forget the revoked and expired tokens.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    for (method, path, body, access) in endpoints(id, &client_id) {
        let call = |token: Option<String>| {
            let app = &app;
            let (method, path, body) = (method.clone(), path.clone(), body.clone());
            async move { app.request_with_token(method, &path, body, token.as_deref()).await }
        };
        let unauthenticated = [
            ("no token", call(None).await),
            ("malformed token", call(Some("not a token at all".into())).await),
            ("unknown token", call(Some("x".repeat(43))).await),
            ("expired token", call(Some(expired.clone())).await),
            ("revoked client", call(Some(revoked.clone())).await),
        ];
        for (case, reply) in unauthenticated {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}: {case}");
            if method != Method::HEAD {
                assert_eq!(reply.error_code(), "invalid_token", "{method} {path}: {case}");
                assert_eq!(reply.body["error"], "invalid_token");
            }
        }
        let forbidden = call(Some(other_project.clone())).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "{method} {path}: token of another project");
        if method != Method::HEAD {
            assert_eq!(forbidden.error_code(), "insufficient_scope");
        }
        // A bad body does not overtake a bad token or scope (the token check may wait on the
        // database while the body is refused at once).
        if body.is_some() {
            let bad_body = |token: String| {
                let app = &app;
                let (method, path) = (method.clone(), path.clone());
                async move {
                    app.request_with_token(method, &path, Some(json!(["not a draft"])), Some(&token)).await
                }
            };
            let unknown = bad_body("x".repeat(43)).await;
            assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "{method} {path}: bad body, unknown token");
            let elsewhere = bad_body(other_project.clone()).await;
            assert_eq!(elsewhere.status, StatusCode::FORBIDDEN, "{method} {path}: bad body, other project");
            let valid = bad_body(manage_project.clone()).await;
            assert_eq!(valid.status, StatusCode::BAD_REQUEST, "{method} {path}: bad body, valid token");
        }
        for (name, token, allowed) in [
            ("view", &view, access == Access::View),
            ("manage", &manage, matches!(access, Access::View | Access::Manage)),
            ("clients admin", &clients_admin, matches!(access, Access::ViewClients | Access::ManageClients)),
        ] {
            let reply = call(Some(token.clone())).await;
            if allowed {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&reply.status),
                    "{method} {path}: {name} is allowed, got {}",
                    reply.status
                );
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: {name} is refused");
            }
        }
    }
}

#[tokio::test]
async fn public_endpoints_need_no_token() {
    let app = spawn_app().await;
    for path in ["/", "/health"] {
        let reply = app.raw_unauthenticated(app.client.get(format!("{}{path}", app.address))).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
}

/// Moves a token's expiry into the past, as if its lifetime had run out.
fn expire_token(app: &TestApp, token: &str) {
    let hash = payments_api::auth::credentials::hash(token);
    execute_sql(app, &format!("UPDATE access_tokens SET expires_at = 0 WHERE token_hash = '{hash}'"));
}
