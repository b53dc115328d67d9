//! The server process is killed with SIGKILL while clients write; after a restart on the same
//! database every write it acknowledged is there.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_9() {
    let database = fresh_database();
    let database_url = &database.url;
    let port = free_port();
    let mut server = start_server_process(database_url, port, &[]).await;
    let token = token_from(database_url, &format!("http://127.0.0.1:{port}"), "crash-project").await;
    let base = format!("http://127.0.0.1:{port}/crash-project/payments");
    // (id, version) of every acknowledged create or update.
    let acknowledged: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let acknowledged = acknowledged.clone();
        let base = base.clone();
        let token = token.clone();
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0.. {
                let draft = json!({"key": format!("w{writer}-{n}"), "amountPlanned": money(n)});
                let Ok(reply) = client.post(&base).bearer_auth(&token).json(&draft).send().await else { break };
                if reply.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(created) = reply.json::<Value>().await else { break };
                let id = created["id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push((id.clone(), 1));
                let update = json!({"version": 1, "actions": [{"action": "addTransaction", "transaction": {"type": "Charge", "amount": money(n)}}]});
                let Ok(reply) = client.post(format!("{base}/{id}")).bearer_auth(&token).json(&update).send().await else { break };
                if reply.status() != StatusCode::OK {
                    break;
                }
                if reply.json::<Value>().await.is_err() {
                    break;
                }
                acknowledged.lock().unwrap().push((id, 2));
            }
        }));
    }
    // Killed once the writers are under way, however slow the machine is today.
    for _ in 0..600 {
        if acknowledged.lock().unwrap().len() > 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.kill().await.expect("SIGKILL delivered");
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 10, "the writers got going before the kill ({})", acknowledged.len());

    let _restarted = start_server_process(database_url, port, &[]).await;
    let client = reqwest::Client::new();
    for (id, version) in &acknowledged {
        let reply = client.get(format!("{base}/{id}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "acknowledged payment {id} is present");
        let stored: Value = reply.json().await.unwrap();
        assert!(stored["version"].as_i64().unwrap() >= *version, "{id} has version {version} or later");
        if *version == 2 {
            assert_eq!(stored["transactions"].as_array().unwrap().len(), 1);
        }
    }
}
