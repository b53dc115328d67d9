//! A real client: the `commercetools` Python SDK drives a shop's payment flow against the
//! server (tests/sdk/shop_flow.py). The test script installs the SDK in a venv of its own and
//! names its interpreter in SDK_PYTHON.

use crate::helpers::*;

fn sdk_python() -> String {
    std::env::var("SDK_PYTHON").ok().filter(|python| !python.is_empty()).expect(
        "SDK_PYTHON is not set: run the tests with ./scripts/test.sh, which installs the commercetools SDK",
    )
}

#[tokio::test]
async fn the_python_sdk_drives_a_shop_flow() {
    let app = spawn_app().await;
    let (id, secret) = app.create_client("manage_project:test-project");
    // The server runs on this test's runtime, so the script is awaited, not waited for.
    let output = tokio::process::Command::new(sdk_python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/shop_flow.py"))
        .env("CT_API", &app.address)
        .env("CT_PROJECT", "test-project")
        .env("CT_CLIENT_ID", id)
        .env("CT_CLIENT_SECRET", secret)
        .output()
        .await
        .expect("the SDK's Python starts");
    assert!(
        output.status.success(),
        "the shop flow failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
