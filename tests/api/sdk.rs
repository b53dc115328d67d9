//! Real clients: commercetools' SDKs drive a shop's payment flow against the server, the Python
//! SDK (tests/sdk/shop_flow.py) and the official TypeScript SDK (tests/sdk/shop_flow.js). The
//! test script installs both and names them in SDK_PYTHON and SDK_NODE_PATH.

use crate::helpers::*;

fn installed(variable: &str) -> String {
    std::env::var(variable).ok().filter(|value| !value.is_empty()).unwrap_or_else(|| {
        panic!("{variable} is not set: run the tests with ./scripts/test.sh, which installs the commercetools SDKs")
    })
}

/// Runs the flow with a client holding `manage_project` and asserts that it passed.
async fn run_shop_flow(mut flow: tokio::process::Command) {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_project:test-project");
    // The server runs on this test's runtime, so the flow is awaited, not waited for.
    let output = flow
        .env("CT_API", &app.address)
        .env("CT_PROJECT", "test-project")
        .env("CT_CLIENT_ID", id)
        .env("CT_CLIENT_SECRET", secret)
        .output()
        .await
        .expect("the SDK's interpreter starts");
    assert!(
        output.status.success(),
        "the shop flow failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_python_sdk_drives_a_shop_flow() {
    let mut flow = tokio::process::Command::new(installed("SDK_PYTHON"));
    flow.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/shop_flow.py"));
    run_shop_flow(flow).await;
}

#[tokio::test]
async fn the_typescript_sdk_drives_a_shop_flow() {
    let mut flow = tokio::process::Command::new("node");
    flow.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/shop_flow.js"))
        .env("NODE_PATH", installed("SDK_NODE_PATH"));
    run_shop_flow(flow).await;
}
