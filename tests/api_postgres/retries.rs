//! Retries with one `Idempotency-Key` sent at once through two `procura serve` processes on one
//! PostgreSQL database: the first request's write happens once, and every retry, on either
//! server, gets its answer.

use procura::domain::ids::{AccountId, ApiKeyId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::{Server, created_key, keys, migrated};
use crate::helpers::{ApiClient, ok_json, po_body, test_database};
use crate::multiprocess::all_at_once;

/// Sends `body` with `key` through `client`; status, whether replayed, and the body.
async fn keyed(
    client: ApiClient,
    path: String,
    key: &'static str,
    body: Value,
) -> (StatusCode, bool, Value) {
    let answer = client
        .request(Method::POST, &path)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .expect("the request is answered");
    let status = answer.status();
    let replayed = answer.headers().contains_key("idempotent-replayed");
    (
        status,
        replayed,
        answer.json().await.expect("a JSON answer"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_through_two_servers_write_once() {
    let Some(database) = test_database().await else {
        return;
    };
    let url = database.url.clone();
    let (key_id, account, secret) = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || created_key(&keys(migrated(&url), &["create"])))
            .await
            .unwrap()
    };
    let servers: Vec<Server> = (0..2).map(|_| Server::start(&url)).collect();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let clients: Vec<ApiClient> = servers
        .iter()
        .map(|server| ApiClient {
            address: server.address.clone(),
            http: http.clone(),
            api_key: secret.clone(),
            account_id: AccountId::parse(&account).unwrap(),
            key_id: ApiKeyId::parse(&key_id).unwrap(),
        })
        .collect();
    let (supplier, warehouse) = clients[0].supplier_and_warehouse().await;

    // 20 retries of one create, alternating servers: one order.
    let body = po_body(&supplier, &warehouse);
    let answers = all_at_once(
        (0..20)
            .map(|i| {
                keyed(
                    clients[i % 2].clone(),
                    "/v2/purchase_orders".into(),
                    "create-once",
                    body.clone(),
                )
            })
            .collect(),
    )
    .await;
    assert!(
        answers.iter().all(|(status, ..)| *status == StatusCode::OK),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1
    );
    assert!(answers.iter().all(|(_, _, order)| *order == answers[0].2));
    let listed = ok_json(clients[1].list_pos(&[]).await).await;
    assert_eq!(listed["total"], 1, "{listed}");

    // 10 retries of one receipt, alternating servers: received once.
    let id = answers[0].2["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(clients[0].set_status(&id, "open").await).await;
    let location = ok_json(
        clients[1]
            .create_location(&json!({ "name": "Dock", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await["inventory_location_id"]
        .clone();
    let receipt = json!({ "product_receives": [
        { "sku": "WIDGET-001", "received_quantity": 3, "inventory_location_id": location }] });
    let path = format!("/v2/purchase_orders/{id}/receives");
    let answers = all_at_once(
        (0..10)
            .map(|i| {
                keyed(
                    clients[i % 2].clone(),
                    path.clone(),
                    "receive-once",
                    receipt.clone(),
                )
            })
            .collect(),
    )
    .await;
    assert!(
        answers.iter().all(|(status, ..)| *status == StatusCode::OK),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1
    );
    let order = ok_json(clients[0].get_po(&id).await).await;
    assert_eq!(order["products"][0]["received_quantity"], 3, "{order}");
    let ledger = ok_json(clients[1].send(Method::GET, &path, None).await).await;
    assert_eq!(ledger["total"], 1, "{ledger}");
}
