//! Starts the real application on a free port with a database of its own, and talks to it
//! over HTTP. The backend is SQLite unless `TEST_DATABASE_URL` names a PostgreSQL server; then
//! each test gets a schema of its own.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use payments_api::auth::credentials::Secret;
use payments_api::config::{DatabaseArgs, PspArgs, ServeArgs};
use payments_api::persistence::{Database, DatabaseUrl};
use payments_api::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestApp {
    pub address: String,
    pub project: String,
    /// A manage_project token for `project`, sent with every request of the helpers.
    pub token: String,
    pub database_url: String,
    pub client: reqwest::Client,
    /// Shared by the apps started on this database; the last one to go removes it.
    database: Arc<ScratchDatabase>,
}

/// A database of its own for one test: a SQLite file, removed when this is dropped, or a
/// PostgreSQL schema (the test script drops the whole cluster).
pub struct ScratchDatabase {
    pub url: String,
    sqlite_file: Option<PathBuf>,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

pub fn fresh_database() -> ScratchDatabase {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    match std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        Some(server) => {
            let mut admin = diesel::PgConnection::establish(&server).expect("TEST_DATABASE_URL is reachable");
            admin.batch_execute(&format!("CREATE SCHEMA {name}")).expect("schema created");
            let separator = if server.contains('?') { '&' } else { '?' };
            ScratchDatabase {
                url: format!("{server}{separator}options=-csearch_path%3D{name}"),
                sqlite_file: None,
            }
        }
        None => {
            let file = std::env::temp_dir().join(format!("payments-{name}.db"));
            ScratchDatabase { url: file.display().to_string(), sqlite_file: Some(file) }
        }
    }
}

/// Runs SQL straight on the test's database (to set up what only time or a crash would make).
pub fn execute_sql(app: &TestApp, sql: &str) {
    if is_postgres() {
        diesel::PgConnection::establish(&app.database_url).unwrap().batch_execute(sql).unwrap();
    } else {
        diesel::SqliteConnection::establish(&app.database_url).unwrap().batch_execute(sql).unwrap();
    }
}

#[allow(dead_code, reason = "used by backend-specific tests")]
pub fn is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").map(|url| !url.is_empty()).unwrap_or(false)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application with settings changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut ServeArgs)) -> TestApp {
    spawn_app_on(Arc::new(fresh_database()), adjust).await
}

/// Starts the application on `database` (another test app's too, to see what a server started
/// later with other settings does with it).
pub async fn spawn_app_on(database: Arc<ScratchDatabase>, adjust: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let database_url = database.url.clone();
    let mut settings = ServeArgs {
        bind: [127, 0, 0, 1].into(),
        port: 0,
        database: DatabaseArgs { url: DatabaseUrl::parse(&database_url).unwrap(), pool_size: 4 },
        workers: Some(1),
        token_lifetime_seconds: 3600,
        token_cache_seconds: 1,
        resource_cache_seconds: 1,
        query_timeout_ms: 5_000,
        psp: PspArgs {
            stripe_api_base: "http://127.0.0.1:9".into(),
            stripe_secret_key: None,
            stripe_webhook_secret: Some(Secret::new(WEBHOOK_SECRET.into())),
            stripe_webhook_secret_previous: Some(Secret::new(PREVIOUS_WEBHOOK_SECRET.into())),
            stripe_multicapture: false,
            stripe_checkout_success_url: None,
            stripe_checkout_cancel_url: None,
            payment_interface: "STRIPE".into(),
            wait_ms: 3_000,
            timeout_ms: 5_000,
            worker_interval_ms: 200,
            lease_ms: 60_000,
        },
    };
    adjust(&mut settings);
    let app = Application::build(&settings).expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut app = TestApp {
        address,
        project: "test-project".into(),
        token: String::new(),
        database_url,
        client: reqwest::Client::new(),
        database,
    };
    let (id, secret) = app.create_client(&format!("manage_project:{}", app.project));
    app.token = app.token_for(&id, &secret, None).await;
    app
}

/// A response read whole: status, headers and JSON body (Null when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    async fn read(response: Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, headers, body }
    }

    /// The first error's code, asserting the commercetools error envelope.
    pub fn error_code(&self) -> &str {
        assert_eq!(
            self.body["statusCode"],
            self.status.as_u16(),
            "statusCode mirrors the status: {}",
            self.body
        );
        assert_eq!(
            self.body["message"], self.body["errors"][0]["message"],
            "message repeats the first error"
        );
        self.body["errors"][0]["code"].as_str().unwrap_or_else(|| panic!("no error code in {}", self.body))
    }
}

impl TestApp {
    /// This app's database, to start another server on it.
    pub fn scratch_database(&self) -> Arc<ScratchDatabase> {
        self.database.clone()
    }

    /// The same server, addressed under another project key with a token of that project.
    pub async fn in_project(&self, project: &str) -> TestApp {
        let mut other = TestApp {
            address: self.address.clone(),
            project: project.into(),
            token: String::new(),
            database_url: self.database_url.clone(),
            client: self.client.clone(),
            database: self.database.clone(),
        };
        let (id, secret) = other.create_client(&format!("manage_project:{project}"));
        other.token = other.token_for(&id, &secret, None).await;
        other
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}{path}", self.address, self.project)
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.request_with_token(method, path, body, Some(&self.token)).await
    }

    pub async fn request_with_token(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::read(request.send().await.expect("the request is answered")).await
    }

    /// Sends a request built by the test, with this app's token.
    pub async fn raw(&self, request: reqwest::RequestBuilder) -> Reply {
        self.raw_unauthenticated(request.bearer_auth(&self.token)).await
    }

    pub async fn raw_unauthenticated(&self, request: reqwest::RequestBuilder) -> Reply {
        Reply::read(request.send().await.expect("the request is answered")).await
    }

    /// The database of this app, opened beside it.
    pub fn database(&self) -> Database {
        Database::open(&DatabaseUrl::parse(&self.database_url).unwrap(), 1).unwrap()
    }

    /// Creates an API client directly in the database (as the CLI does): (id, secret).
    pub fn create_client(&self, scope: &str) -> (String, String) {
        let project = scope.split_whitespace().next().and_then(|s| s.split(':').nth(1)).unwrap();
        let created =
            payments_api::service::auth::create_client(&self.database(), project, "test", scope).unwrap();
        (created.client.id, created.secret.expose().to_owned())
    }

    pub async fn token_reply(&self, id: &str, secret: &str, scope: Option<&str>) -> Reply {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let request = self
            .client
            .post(format!("{}/oauth/token", self.address))
            .basic_auth(id, Some(secret))
            .form(&form);
        self.raw_unauthenticated(request).await
    }

    pub async fn token_for(&self, id: &str, secret: &str, scope: Option<&str>) -> String {
        let reply = self.token_reply(id, secret, scope).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn head(&self, path: &str) -> Reply {
        self.request(Method::HEAD, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    pub async fn create_payment(&self, draft: Value) -> Value {
        let reply = self.post("/payments", draft).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }

    /// Applies actions to the payment at its current version and expects success.
    pub async fn update(&self, payment: &Value, actions: Value) -> Value {
        let reply = self.try_update(payment, actions).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body
    }

    pub async fn try_update(&self, payment: &Value, actions: Value) -> Reply {
        let path = format!("/payments/{}", payment["id"].as_str().unwrap());
        self.post(&path, json!({"version": payment["version"], "actions": actions})).await
    }
}

pub fn money(cents: i64) -> Value {
    json!({"currencyCode": "EUR", "centAmount": cents})
}

/// A minimal valid PaymentDraft.
pub fn draft() -> Value {
    json!({"amountPlanned": money(1000)})
}

/// A field definition of the given type name (String, Number, Boolean, ...), not required.
pub fn field(name: &str, type_name: &str) -> Value {
    json!({"name": name, "label": {"en": name}, "required": false, "type": {"name": type_name}})
}

impl TestApp {
    /// Creates a Type with the given key, resource type ids and field definitions.
    pub async fn create_type(&self, key: &str, resource_type_ids: &[&str], fields: Vec<Value>) -> Value {
        let reply = self
            .post(
                "/types",
                json!({"key": key, "name": {"en": key}, "resourceTypeIds": resource_type_ids, "fieldDefinitions": fields}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }

    /// A Type for every payment resource, with the fields most tests use.
    pub async fn create_open_type(&self, key: &str) -> Value {
        let fields = vec![
            field("orderId", "String"),
            field("attempts", "Number"),
            field("express", "Boolean"),
            field("na", "Number"),
            field("nb", "Boolean"),
            field("nc", "String"),
            field("raw", "String"),
            field("code", "String"),
            field("status", "String"),
            field("last4", "String"),
            field("brand", "String"),
            json!({"name": "tags", "label": {"en": "tags"}, "required": false, "type": {"name": "Set", "elementType": {"name": "String"}}}),
        ];
        let resources = ["payment", "transaction", "payment-interface-interaction", "payment-method-info"];
        self.create_type(key, &resources, fields).await
    }

    pub async fn create_customer(&self, email: &str, key: &str) -> Value {
        let reply = self.post("/customers", json!({"email": email, "key": key, "password": "secret"})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["customer"].clone()
    }

    pub async fn create_state(&self, key: &str, initial: bool, transitions: Option<Vec<&str>>) -> Value {
        let mut draft = json!({"key": key, "type": "PaymentState", "initial": initial});
        if let Some(transitions) = transitions {
            draft["transitions"] =
                json!(transitions.iter().map(|k| json!({"typeId": "state", "key": k})).collect::<Vec<_>>());
        }
        let reply = self.post("/states", draft).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }
}

/// Waits until `check` holds for the payment (provider work and events settle in the
/// background), and returns it.
/// The created payment once its first transaction has its Stripe object (on a loaded machine
/// the create may answer before Stripe did).
pub async fn created_at_stripe(app: &TestApp, draft: Value) -> Value {
    let created = app.create_payment(draft).await;
    let id = created["id"].as_str().expect("an id");
    eventually(app, id, |p| p["transactions"][0]["interactionId"].is_string()).await
}

pub async fn eventually(app: &TestApp, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..300 {
        let payment = app.get(&format!("/payments/{id}")).await.body;
        if check(&payment) {
            return payment;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the payment never reached the expected state: {}",
        app.get(&format!("/payments/{id}")).await.body
    );
}

/// The local fake Stripe (localstripe) that the test script starts.
pub fn stripe_api_base() -> String {
    std::env::var("STRIPE_TEST_API_BASE").ok().filter(|base| !base.is_empty()).expect(
        "STRIPE_TEST_API_BASE is not set: run the tests with ./scripts/test.sh, which starts localstripe",
    )
}

/// Starts the application with the Stripe adapter pointed at `api_base`, and then `adjust`ed.
/// A PaymentIntent as the fake Stripe has it now.
pub async fn stripe_intent(intent: &str) -> Value {
    stripe_get(&format!("/v1/payment_intents/{intent}")).await
}

/// An object as the fake Stripe has it now (`path` from `/v1/…`).
pub async fn stripe_get(path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", stripe_api_base()))
        .bearer_auth("sk_test_fake")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A PaymentIntent the customer paid at the fake Stripe: `amount` euro cents held for capture
/// (`manual`) or captured at once. Its id.
pub async fn stripe_paid_intent(amount: i64, manual: bool) -> String {
    let capture_method = if manual { "manual" } else { "automatic" };
    let paid: Value = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents", stripe_api_base()))
        .bearer_auth("sk_test_fake")
        .form(&[
            ("amount", amount.to_string().as_str()),
            ("currency", "eur"),
            ("payment_method", "pm_card_visa"),
            ("capture_method", capture_method),
            ("confirm", "true"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = if manual { "requires_capture" } else { "succeeded" };
    assert_eq!(paid["status"], expected, "{paid}");
    paid["id"].as_str().unwrap().to_owned()
}

pub async fn spawn_stripe_app_with(api_base: String, adjust: impl FnOnce(&mut ServeArgs)) -> TestApp {
    spawn_app_with(|settings| {
        settings.psp.stripe_api_base = api_base;
        settings.psp.stripe_secret_key = Some(Secret::new("sk_test_fake".into()));
        adjust(settings);
    })
    .await
}

/// Starts the application with the Stripe adapter pointed at `api_base`.
pub async fn spawn_stripe_app_at(api_base: String, wait_ms: u64) -> TestApp {
    spawn_stripe_app_with(api_base, |settings| settings.psp.wait_ms = wait_ms).await
}

pub async fn spawn_stripe_app() -> TestApp {
    spawn_stripe_app_at(stripe_api_base(), 5_000).await
}

pub const WEBHOOK_SECRET: &str = "whsec_test_current";
pub const PREVIOUS_WEBHOOK_SECRET: &str = "whsec_test_previous";

impl TestApp {
    /// Posts a webhook event signed with `secret` at `timestamp` (seconds).
    pub async fn send_event_signed(&self, event: &Value, secret: &str, timestamp: i64) -> Reply {
        let body = event.to_string();
        let secret = payments_api::auth::credentials::Secret::new(secret.into());
        let header = payments_api::psp::signature::sign(&secret, timestamp, body.as_bytes());
        let request =
            self.client.post(self.url("/stripe/webhooks")).header("Stripe-Signature", header).body(body);
        self.raw_unauthenticated(request).await
    }

    pub async fn send_event(&self, event: &Value) -> Reply {
        self.send_event_signed(event, WEBHOOK_SECRET, chrono::Utc::now().timestamp()).await
    }

    /// Waits until the stored webhook event has been applied (or set aside as applying to
    /// nothing); panics if that takes more than a few seconds.
    pub async fn event_processed(&self, event_id: &str) {
        let db = self.database();
        for _ in 0..100 {
            let stored = db
                .read(|conn| {
                    Ok::<_, payments_api::error::ApiError>(payments_api::persistence::psp::event(
                        conn, event_id,
                    )?)
                })
                .unwrap();
            if stored.is_some_and(|event| event.processed) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("webhook event {event_id} was not processed");
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs the server binary on `port` with the database and extra environment; returns once it is
/// healthy. The process is killed when the handle is dropped.
pub async fn start_server_process(
    database_url: &str,
    port: u16,
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_payments-api"));
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().expect("the server binary starts");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(reply) = client.get(format!("http://127.0.0.1:{port}/health")).send().await {
            if reply.status() == StatusCode::OK {
                return child;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not become healthy");
}

/// A token of a new `manage_project` client of `project`, from a server at `base`.
pub async fn token_from(database_url: &str, base: &str, project: &str) -> String {
    let db = Database::open(&DatabaseUrl::parse(database_url).unwrap(), 1).unwrap();
    let client = payments_api::service::auth::create_client(
        &db,
        project,
        "test",
        &format!("manage_project:{project}"),
    )
    .unwrap();
    let reply: Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client.client.id, Some(client.secret.expose()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().unwrap().to_owned()
}

/// POSTs JSON with a bearer token to an absolute URL and reads the JSON answer.
pub async fn post_json(url: &str, token: &str, body: &Value) -> Value {
    reqwest::Client::new().post(url).bearer_auth(token).json(body).send().await.unwrap().json().await.unwrap()
}

/// A Stripe payment authorized with a test card (its PaymentIntent waits for capture), as the
/// create answered.
pub async fn authorized_with_card(app: &TestApp, cents: i64) -> Value {
    app.create_payment(json!({
        "amountPlanned": money(cents),
        "paymentMethodInfo": {"paymentInterface": "STRIPE", "token": {"value": "pm_card_visa"}},
        "transactions": [{"type": "Authorization", "amount": money(cents)}]
    }))
    .await
}
