//! On PostgreSQL, reads by id or key and creates run on the async worker's own connections
//! (`persistence::worker_postgres`), with the pool as their fallback. These tests take those
//! connections away, and give the service a URL only the pool can follow.

use crate::db_proxy::DbProxy;
use crate::helpers::{fresh_database, spawn_app_on, TestApp};
use payments_api::persistence::DatabaseUrl;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn draft(key: &str) -> serde_json::Value {
    json!({"key": key, "amountPlanned": {"currencyCode": "EUR", "centAmount": 1999}})
}

async fn spawn_with_url(url: impl FnOnce(&str) -> String) -> TestApp {
    let database = Arc::new(fresh_database());
    let changed = url(&database.url);
    spawn_app_on(database, |settings| settings.database.url = DatabaseUrl::parse(&changed).unwrap()).await
}

/// Creates, reads by id, key and HEAD: the service's hot requests, each checked.
async fn create_and_read(app: &TestApp, key: &str) {
    let created = app.request(Method::POST, "/payments", Some(draft(key))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let by_id = app.get(&format!("/payments/{id}")).await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body, created.body);
    let by_key = app.get(&format!("/payments/key={key}")).await;
    assert_eq!(by_key.body, created.body);
    assert_eq!(app.head(&format!("/payments/{id}")).await.status, StatusCode::OK);
    assert_eq!(app.head("/payments/key=no-such-key").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/payments/key=no-such-key").await.error_code(), "ResourceNotFound");
}

#[tokio::test]
async fn reads_and_creates_recover_when_the_database_drops_the_connections() {
    let Some(server) = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.is_empty()) else {
        return; // SQLite is a file in the process: there is no connection to lose.
    };
    let proxy = DbProxy::start(&server);
    let name = format!("worker-test-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_with_url(|url| format!("{}&application_name={name}", proxy.url_for(url))).await;
    create_and_read(&app, "before-the-cut").await;
    assert!(reads_on_the_worker(&server, &name), "the reads ran on the worker's own connection");
    // A refused statement goes down the pool's path, which names the duplicate; nothing stored.
    let duplicate = app.request(Method::POST, "/payments", Some(draft("before-the-cut"))).await;
    assert_eq!(duplicate.error_code(), "DuplicateField");
    let messages = app.get("/messages?withTotal=true").await;
    assert_eq!(messages.body["total"], 1, "{}", messages.body);
    assert_eq!(messages.body["results"][0]["type"], "PaymentCreated");
    // As a restart of the database would: every connection closed, new ones accepted.
    proxy.cut();
    proxy.restore();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The worker's connections are made anew. (The pool's broken connections answer 503
    // once each before they are replaced, as `health_answers_503_while_the_database_is_away`
    // shows, so only the worker's requests are asked here.)
    create_and_read(&app, "after-the-cut").await;
    assert!(reads_on_the_worker(&server, &name), "and on a new one after the cut");
}

/// Whether a connection of the app's (named in its URL) last ran the worker's read: its text
/// differs from the statement diesel writes for the pool.
fn reads_on_the_worker(server: &str, application_name: &str) -> bool {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let mut conn = diesel::PgConnection::establish(server).unwrap();
    let found: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_stat_activity WHERE application_name = $1 \
         AND query LIKE 'SELECT document FROM payments WHERE project_key = $1 AND %'",
    )
    .bind::<diesel::sql_types::Text, _>(application_name)
    .get_result(&mut conn)
    .unwrap();
    found.count > 0
}

#[tokio::test]
async fn a_url_only_libpq_follows_is_served_through_the_pool() {
    let Some(_) = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.is_empty()) else {
        return;
    };
    let app = spawn_with_url(|url| format!("{url}&fallback_application_name=payments-tests")).await;
    create_and_read(&app, "through-the-pool").await;
}
