use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn root_names_the_service_and_health_reports_the_database() {
    let app = spawn_app().await;
    let about = app.raw(app.client.get(format!("{}/", app.address))).await;
    assert_eq!(about.status, StatusCode::OK);
    assert_eq!(about.body["name"], "payments-api");
    let health = app.raw(app.client.get(format!("{}/health", app.address))).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["database"], "up");
    // Load balancers check with HEAD; `/health` is not read as a project key.
    for path in ["/", "/health"] {
        let head = app.client.head(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
        assert!(head.bytes().await.unwrap().is_empty());
        let post = app.raw(app.client.post(format!("{}{path}", app.address))).await;
        assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
        assert_eq!(post.headers["allow"], "GET, HEAD");
    }
}

#[tokio::test]
async fn a_valid_correlation_id_is_echoed_and_a_missing_one_generated() {
    let app = spawn_app().await;
    let echoed =
        app.raw(app.client.get(app.url("/payments")).header("X-Correlation-ID", "my-trace_0001")).await;
    assert_eq!(echoed.headers["x-correlation-id"], "my-trace_0001");
    let sdk_style = "test-project/6f1c2a0e-8b7d-4c55-9a3e-2d4b8c9e1f00";
    let from_sdk = app.raw(app.client.get(app.url("/payments")).header("X-Correlation-ID", sdk_style)).await;
    assert_eq!(from_sdk.status, StatusCode::OK, "the .NET and JVM SDKs send projectKey/UUID");
    assert_eq!(from_sdk.headers["x-correlation-id"], sdk_style);
    let generated = app.get("/payments").await;
    assert!(generated.headers["x-correlation-id"].to_str().unwrap().len() >= 8);
}

#[tokio::test]
async fn an_invalid_correlation_id_is_refused() {
    let app = spawn_app().await;
    for bad in ["short", "has spaces in it", "ümlaut-id-123"] {
        let reply = app.raw(app.client.get(app.url("/payments")).header("X-Correlation-ID", bad)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.error_code(), "InvalidInput");
        assert!(reply.headers.contains_key("x-correlation-id"));
    }
}

#[tokio::test]
async fn unknown_routes_answer_404_in_commercetools_format() {
    let app = spawn_app().await;
    let reply = app.get("/no-such-resource").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "ResourceNotFound");
    assert_eq!(reply.headers["content-type"], "application/json; charset=utf-8", "as every JSON answer");
}

#[tokio::test]
async fn a_method_a_route_does_not_serve_is_405_in_commercetools_format() {
    let app = spawn_app().await;
    let reply = app.request(reqwest::Method::PUT, "/payments", None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.error_code(), "InvalidInput");
    assert_eq!(reply.body["statusCode"], 405);
    assert_eq!(reply.headers["allow"], "GET, HEAD, POST", "{:?}", reply.headers);
    assert!(reply.headers.contains_key("x-correlation-id"));
    // The auth endpoints too.
    for path in ["/oauth/token", "/oauth/test-project/anonymous/token", "/oauth/introspect"] {
        let reply = app.raw_unauthenticated(app.client.get(format!("{}{path}", app.address))).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
        assert_eq!(reply.headers["allow"], "POST");
    }
}

/// Browser shops call the API from their own origin, as commercetools allows: any origin, the
/// correlation id readable, and a preflight answered without a token.
#[tokio::test]
async fn browsers_may_call_from_any_origin() {
    let app = spawn_app().await;
    let preflight = app
        .raw_unauthenticated(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/payments"))
                .header("Origin", "https://shop.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, x-correlation-id"),
        )
        .await;
    assert_eq!(preflight.status, StatusCode::OK, "no token is needed for a preflight");
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    let allowed_headers = preflight.headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    for header in ["authorization", "content-type", "x-correlation-id"] {
        assert!(allowed_headers.contains(header), "{header} in {allowed_headers}");
    }
    let allowed_methods = preflight.headers["access-control-allow-methods"].to_str().unwrap();
    for method in ["GET", "POST", "DELETE"] {
        assert!(allowed_methods.contains(method), "{method} in {allowed_methods}");
    }
    assert!(preflight.headers.contains_key("access-control-max-age"));
    assert!(preflight.headers.contains_key("x-correlation-id"));

    let read = app.raw(app.client.get(app.url("/payments")).header("Origin", "https://shop.example")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.headers["access-control-allow-origin"], "*");
    assert_eq!(read.headers["access-control-expose-headers"], "X-Correlation-ID");
    let refused = app.raw_unauthenticated(app.client.get(app.url("/payments"))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers["access-control-allow-origin"], "*", "errors are readable too");
    let bad_id = app.raw(app.client.get(app.url("/payments")).header("X-Correlation-ID", "bad!")).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_id.headers["access-control-allow-origin"], "*", "the correlation check's answer too");
}

/// Processes that start together on a new database (several servers, or a server and the
/// CLI) take turns migrating it instead of failing on each other's tables.
#[tokio::test]
async fn processes_starting_together_on_a_new_database_all_start() {
    for _ in 0..3 {
        let database = fresh_database();
        let database_url = &database.url;
        let runs: Vec<_> = (0..4)
            .map(|_| {
                tokio::process::Command::new(env!("CARGO_BIN_EXE_payments-api"))
                    .args(["clients", "create", "--project", "together", "--scope", "view_payments:together"])
                    .env("DATABASE_URL", database_url)
                    .env("RUST_LOG", "error")
                    .output()
            })
            .collect();
        for run in runs {
            let output = run.await.expect("the binary runs");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
    }
}

/// The SDKs' first call reads the Project: `GET /{projectKey}`.
#[tokio::test]
async fn the_project_is_read_with_its_settings_scope() {
    let app = spawn_app().await;
    let project = app.get("").await;
    assert_eq!(project.status, StatusCode::OK, "{}", project.body);
    assert_eq!(project.body["key"], "test-project");
    assert_eq!(project.body["version"], 1);
    assert_eq!(project.body["currencies"], serde_json::json!([]));
    assert_eq!(project.body["messages"]["enabled"], true);
    assert!(project.body["createdAt"].as_str().unwrap().ends_with('Z'));
    let exists = app.head("").await;
    assert_eq!((exists.status, exists.body.is_null()), (StatusCode::OK, true), "HEAD checks that it exists");
    let (id, secret) = app.create_client("view_payments:test-project view_project_settings:test-project");
    let (narrow_id, narrow_secret) = app.create_client("view_payments:test-project");
    let allowed = app.token_for(&id, &secret, Some("view_project_settings:test-project")).await;
    let refused = app.token_for(&narrow_id, &narrow_secret, None).await;
    let read = |token: String| {
        let app = &app;
        async move { app.request_with_token(reqwest::Method::GET, "", None, Some(&token)).await.status }
    };
    assert_eq!(read(allowed).await, StatusCode::OK);
    assert_eq!(read(refused.clone()).await, StatusCode::FORBIDDEN);
    let head = app.request_with_token(reqwest::Method::HEAD, "", None, Some(&refused)).await;
    assert_eq!(head.status, StatusCode::FORBIDDEN);
}

/// No stored string holds NUL (PostgreSQL's text cannot): a path or query carrying one is
/// answered like any unknown resource or malformed parameter, never with a database error.
#[tokio::test]
async fn nul_in_a_path_or_query_is_refused_before_the_database() {
    let app = spawn_app().await;
    for path in [
        "/payments/a%00b",
        "/payments/key=a%00b",
        "/types/a%00b",
        "/types/key=a%00b",
        "/states/a%00b",
        "/customers/a%00b",
        "/messages/a%00b",
        "/api-clients/a%00b",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        assert_eq!(reply.error_code(), "ResourceNotFound", "{path}");
        // Answered before any lookup (which would name the id or key it did not find).
        assert_eq!(reply.body["message"], "The requested resource was not found.", "{path}");
        assert!(reply.headers.contains_key("x-correlation-id"), "{path}");
    }
    for query in ["where=key%3D%22a%00b%22", "where=key%3D:k&var.k=a%00b", "expand=a%00b", "sort=key%00+asc"]
    {
        let reply = app.get(&format!("/payments?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {}", reply.body);
        assert_eq!(reply.error_code(), "InvalidInput", "{query}");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains("cannot contain the NUL character"), "{query}: {message}");
    }
}

/// Responses are gzip-compressed for clients that accept it (the SDKs do), and gzip request
/// bodies are read; the size limit holds for what a compressed body inflates to.
#[tokio::test]
async fn gzip_is_spoken_both_ways() {
    use flate2::{read::GzDecoder, write::GzEncoder, Compression};
    use std::io::{Read, Write};
    let gzip = |bytes: &[u8]| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let app = spawn_app().await;
    let create = |encoding: &str, body: Vec<u8>| {
        app.raw(
            app.client
                .post(app.url("/payments"))
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(body),
        )
    };
    let draft =
        serde_json::json!({"key": "zipped", "amountPlanned": {"currencyCode": "EUR", "centAmount": 100}});
    let created = create("gzip", gzip(draft.to_string().as_bytes())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["key"], "zipped");

    let response = app
        .client
        .get(app.url("/payments/key=zipped"))
        .bearer_auth(&app.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let mut text = String::new();
    GzDecoder::new(&response.bytes().await.unwrap()[..]).read_to_string(&mut text).unwrap();
    let payment: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(payment["id"], created.body["id"]);
    let plain = app.get("/payments/key=zipped").await;
    assert!(!plain.headers.contains_key("content-encoding"), "only when asked for");

    // 17 MiB of JSON whitespace, about 17 KiB compressed.
    let mut bomb = b"{\"amountPlanned\": {\"currencyCode\": \"EUR\", \"centAmount\": 1}".to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    bomb.push(b'}');
    let refused = create("gzip", gzip(&bomb)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.error_code(), "ResourceSizeLimitExceeded");

    // A body that is not what its encoding says is bad input, like any other.
    for encoding in ["gzip", "br", "x-unknown"] {
        let broken = create(encoding, b"this is not compressed".to_vec()).await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{encoding}");
        assert_eq!(broken.error_code(), "InvalidJsonInput", "{encoding}");
    }
}

/// While the database is away, /health says so (503) within a prober's patience (a client
/// timeout of 5 s here, against the 10 s a request waits for a connection), and recovers.
#[tokio::test]
async fn health_answers_503_while_the_database_is_away() {
    let Ok(server) = std::env::var("TEST_DATABASE_URL") else { return };
    if server.is_empty() {
        return; // SQLite is a file in the process: there is no connection to lose.
    }
    let proxy = crate::db_proxy::DbProxy::start(&server);
    let database = std::sync::Arc::new(fresh_database());
    let proxied = proxy.url_for(&database.url);
    let app = spawn_app_on(database, |settings| {
        settings.database.url = payments_api::persistence::DatabaseUrl::parse(&proxied).unwrap();
    })
    .await;
    let prober = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap();
    let health = || prober.get(format!("{}/health", app.address)).send();
    assert_eq!(health().await.unwrap().status(), StatusCode::OK);
    proxy.cut();
    // More checks than the pool (4) holds connections: the later ones must make a new one.
    for _ in 0..6 {
        assert_eq!(health().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    proxy.restore();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = health().await.unwrap().status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "recovered");
}
