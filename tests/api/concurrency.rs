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

/// Writes that arrive together are stored together (in one statement on PostgreSQL); a write
/// that breaks a constraint fails alone, and every other write of its batch is stored whole.
#[tokio::test]
async fn a_duplicate_among_concurrent_creates_fails_alone() {
    duplicate_among_concurrent_creates(spawn_app().await).await;
}

/// The same with several HTTP workers, whose batches (each worker writes its own on
/// PostgreSQL) meet in the database.
#[tokio::test]
async fn a_duplicate_among_concurrent_creates_on_several_workers_fails_alone() {
    duplicate_among_concurrent_creates(spawn_app_with(|settings| settings.workers = Some(3)).await).await;
}

async fn duplicate_among_concurrent_creates(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let creates: Vec<_> = (0..16)
        .map(|n| {
            let app = app.clone();
            let key = if n % 2 == 0 { "shared-key".to_owned() } else { format!("own-key-{n}") };
            tokio::spawn(async move {
                let draft = json!({"key": key, "amountPlanned": money(100 + n), "transactions": [
                    {"type": "Charge", "amount": money(100 + n), "interactionId": format!("batch-{n}")}
                ]});
                (n, app.post("/payments", draft).await)
            })
        })
        .collect();
    let mut created = 0;
    for create in creates {
        let (n, reply) = create.await.unwrap();
        if n % 2 == 1 {
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        } else if reply.status == StatusCode::CREATED {
            created += 1;
        } else {
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
            assert_eq!(reply.error_code(), "DuplicateField");
            assert_eq!(reply.body["errors"][0]["duplicateValue"], "shared-key");
        }
    }
    assert_eq!(created, 1, "exactly one create with the shared key is stored");
    for n in (1..16).step_by(2) {
        let found = app.get(&format!("/payments?where=transactions(interactionId%3D%22batch-{n}%22)")).await;
        assert_eq!(found.body["total"], 1, "{}", found.body);
        let payment = &found.body["results"][0];
        assert_eq!(payment["key"], format!("own-key-{n}"));
        let messages = app
            .get(&format!("/messages?where=resource(id%3D%22{}%22)", payment["id"].as_str().unwrap()))
            .await;
        assert_eq!(messages.body["total"], 1, "its PaymentCreated Message: {}", messages.body);
    }
}

/// Concurrent updates of different payments are all stored, each with its own changes; a
/// stale one among them gets its 409 and changes nothing.
#[tokio::test]
async fn concurrent_updates_of_different_payments_are_each_stored() {
    let app = std::sync::Arc::new(spawn_app().await);
    let mut payments = Vec::new();
    for _ in 0..8 {
        payments.push(app.create_payment(draft()).await);
    }
    let stale =
        app.update(&payments[0], json!([{"action": "setAnonymousId", "anonymousId": "moved-on"}])).await;
    let updates: Vec<_> = payments
        .iter()
        .enumerate()
        .map(|(n, payment)| {
            let (app, payment) = (app.clone(), payment.clone());
            tokio::spawn(async move {
                let actions = json!([
                    {"action": "setAnonymousId", "anonymousId": format!("updated-{n}")},
                    {"action": "addTransaction", "transaction": {
                        "type": "Charge", "amount": money(1), "interactionId": format!("update-{n}")}}
                ]);
                app.try_update(&payment, actions).await
            })
        })
        .collect();
    for (n, update) in updates.into_iter().enumerate() {
        let reply = update.await.unwrap();
        if n == 0 {
            assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
            continue;
        }
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["version"], 3);
    }
    let unchanged = app.get(&format!("/payments/{}", stale["id"].as_str().unwrap())).await.body;
    assert_eq!(unchanged, stale);
    for n in 1..8 {
        let found = app.get(&format!("/payments?where=transactions(interactionId%3D%22update-{n}%22)")).await;
        assert_eq!(found.body["total"], 1, "{}", found.body);
        assert_eq!(found.body["results"][0]["anonymousId"], format!("updated-{n}"));
    }
}
