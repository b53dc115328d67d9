//! Many clients changing one payment: compare-and-set on the version means no update is lost.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn concurrent_updaters_with_retries_lose_no_transaction() {
    let app = std::sync::Arc::new(spawn_app().await);
    let payment = app.create_payment(draft()).await;
    let id = payment["id"].as_str().unwrap().to_owned();
    let clients = 8;
    let per_client = 5;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let app = app.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for n in 0..per_client {
                loop {
                    let current = app.get(&format!("/payments/{id}")).await.body;
                    let action = json!([{"action": "addTransaction", "transaction": {
                        "type": "Charge", "amount": money(1), "interactionId": format!("c{client}-{n}")
                    }}]);
                    let reply = app.try_update(&current, action).await;
                    match reply.status {
                        StatusCode::OK => break,
                        StatusCode::CONFLICT => conflicts += 1,
                        other => panic!("unexpected {other}: {}", reply.body),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let stored = app.get(&format!("/payments/{id}")).await.body;
    let transactions = stored["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), clients * per_client, "after {conflicts} conflicts");
    assert_eq!(stored["version"], 1 + clients * per_client);
    let mut interaction_ids: Vec<&str> =
        transactions.iter().map(|t| t["interactionId"].as_str().unwrap()).collect();
    interaction_ids.sort_unstable();
    interaction_ids.dedup();
    assert_eq!(interaction_ids.len(), clients * per_client, "each addition is there exactly once");
}

#[tokio::test]
async fn of_two_updates_from_the_same_version_exactly_one_wins() {
    let app = std::sync::Arc::new(spawn_app().await);
    for _ in 0..5 {
        let payment = app.create_payment(draft()).await;
        let racers: Vec<_> = (0..4)
            .map(|n| {
                let app = app.clone();
                let payment = payment.clone();
                tokio::spawn(async move {
                    app.try_update(
                        &payment,
                        json!([{"action": "setAnonymousId", "anonymousId": format!("racer-{n}")}]),
                    )
                    .await
                    .status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            statuses.push(racer.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
    }
}
