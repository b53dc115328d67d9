use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn get_by_id_and_key_return_the_payment() {
    let app = spawn_app().await;
    let created = app.create_payment(json!({"key": "pay-1", "amountPlanned": money(100)})).await;
    let by_id = app.get(&format!("/payments/{}", created["id"].as_str().unwrap())).await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body, created);
    let by_key = app.get("/payments/key=pay-1").await;
    assert_eq!(by_key.body, created);
}

#[tokio::test]
async fn missing_payments_are_404_resource_not_found() {
    let app = spawn_app().await;
    let by_id = app.get("/payments/0d4b2a52-1c87-4f4b-9a3c-000000000000").await;
    assert_eq!(by_id.status, StatusCode::NOT_FOUND);
    assert_eq!(by_id.error_code(), "ResourceNotFound");
    assert_eq!(
        by_id.body["message"],
        "The Resource with ID '0d4b2a52-1c87-4f4b-9a3c-000000000000' was not found."
    );
    let by_key = app.get("/payments/key=nope").await;
    assert_eq!(by_key.status, StatusCode::NOT_FOUND);
    assert_eq!(by_key.error_code(), "ResourceNotFound");
}

#[tokio::test]
async fn head_answers_200_or_404_without_a_body() {
    let app = spawn_app().await;
    let absent = app.head("/payments").await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    let created = app.create_payment(json!({"key": "pay-1", "amountPlanned": money(100)})).await;
    let id = created["id"].as_str().unwrap();
    for (path, expected) in [
        (format!("/payments/{id}"), StatusCode::OK),
        ("/payments/key=pay-1".into(), StatusCode::OK),
        ("/payments".into(), StatusCode::OK),
        ("/payments/key=other".into(), StatusCode::NOT_FOUND),
        ("/payments/00000000-0000-0000-0000-000000000000".into(), StatusCode::NOT_FOUND),
    ] {
        let reply = app.head(&path).await;
        assert_eq!(reply.status, expected, "{path}");
        assert_eq!(reply.body, serde_json::Value::Null, "{path} has no body");
    }
}

#[tokio::test]
async fn payments_of_another_project_are_invisible() {
    let app = spawn_app().await;
    let created = app.create_payment(json!({"key": "pay-1", "amountPlanned": money(100)})).await;
    let other = app.in_project("someone-else").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(other.get(&format!("/payments/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get("/payments/key=pay-1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.head(&format!("/payments/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get("/payments").await.body["total"], 0);
    let update = other.post(&format!("/payments/{id}"), json!({"version": 1, "actions": []})).await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
    assert_eq!(other.delete(&format!("/payments/{id}?version=1")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_pages_with_limit_offset_and_total() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_payment(json!({"key": format!("k-{i}"), "amountPlanned": money(i)})).await;
    }
    let first = app.get("/payments?limit=2&sort=key+asc").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["limit"], 2);
    assert_eq!(first.body["offset"], 0);
    assert_eq!(first.body["count"], 2);
    assert_eq!(first.body["total"], 5);
    let keys = |reply: &Reply| -> Vec<String> {
        reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(keys(&first), vec!["k-0", "k-1"]);
    let last = app.get("/payments?limit=2&offset=4&sort=key%20asc").await;
    assert_eq!(keys(&last), vec!["k-4"]);
    let descending = app.get("/payments?sort=key desc&limit=1").await;
    assert_eq!(keys(&descending), vec!["k-4"]);
    let defaults = app.get("/payments").await;
    assert_eq!(defaults.body["limit"], 20);
    assert_eq!(defaults.body["count"], 5);
    let without_total = app.get("/payments?withTotal=False").await;
    assert!(without_total.body.get("total").is_none());
    let zero = app.get("/payments?limit=0").await;
    assert_eq!(zero.body["count"], 0);
    assert_eq!(zero.body["results"], json!([]));
    assert_eq!(zero.body["total"], 5);
}

#[tokio::test]
async fn sorting_by_time_and_several_keys() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let p = app.create_payment(json!({"amountPlanned": money(i)})).await;
        ids.push(p["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let newest_first = app.get("/payments?sort=createdAt+desc&sort=id+asc").await;
    let listed: Vec<&str> =
        newest_first.body["results"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.reverse();
    assert_eq!(listed, expected);
    let by_modification = app.get("/payments?sort=lastModifiedAt asc").await;
    assert_eq!(by_modification.body["results"][0]["id"], ids[0].as_str());
}

#[tokio::test]
async fn out_of_range_paging_and_bad_sorts_are_invalid_input() {
    let app = spawn_app().await;
    for query in [
        "limit=501",
        "limit=-1",
        "limit=ten",
        "offset=10001",
        "offset=-3",
        "withTotal=maybe",
        "sort=amount+asc",
        "sort=key+up",
    ] {
        let reply = app.get(&format!("/payments?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error_code(), "InvalidInput", "{query}");
        assert!(reply.body["message"].as_str().unwrap().starts_with("Malformed parameter"), "{query}");
    }
    assert_eq!(app.get("/payments?limit=500&offset=10000").await.status, StatusCode::OK);
}
