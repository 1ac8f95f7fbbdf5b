//! Webhook deliveries survive a crash: events acknowledged before a `kill -9` of `procura serve`
//! are delivered once it is started again, from the outbox written in each change's transaction.

use std::collections::HashSet;
use std::time::Duration;

use procura::domain::ids::{AccountId, ApiKeyId};

use crate::cli::Server;
use crate::helpers::{ApiClient, ok_json, po_body, test_database};
use crate::webhooks::{Receiver, subscribe, verify_independently};

/// A client of `server` with its first account's key (printed when it created the account).
pub(crate) fn first_client(server: &Server, key: &str) -> ApiClient {
    ApiClient {
        address: server.address.clone(),
        http: reqwest::Client::new(),
        api_key: key.to_owned(),
        account_id: AccountId(0),
        key_id: ApiKeyId(0),
    }
}

/// The ids of the orders the payloads are about, each payload verified independently.
pub(crate) fn orders_in(secret: &str, receiver: &Receiver) -> HashSet<String> {
    let got = receiver.got.lock().unwrap().clone();
    verify_independently(secret, &got)
        .iter()
        .map(|p| p["data"]["purchase_order_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_acknowledged_before_a_kill_9_are_delivered_after_the_restart() {
    let Some(database) = test_database().await else {
        return;
    };
    let url = database.url.clone();
    let allow = ["--webhook-allow-private"];
    let server = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || Server::start_with(&url, &allow))
            .await
            .unwrap()
    };
    let key = server.banner[1].trim().to_owned();
    let client = first_client(&server, &key);
    let receiver = Receiver::start(0).await;
    let (_, secret) = subscribe(&client, &receiver.url, "purchase_order_created_v2").await;
    let (supplier, warehouse) = client.supplier_and_warehouse().await;
    let body = po_body(&supplier, &warehouse);
    let creates: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            let body = body.clone();
            tokio::spawn(async move {
                ok_json(client.create_po(&body).await).await["purchase_order_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut created = HashSet::new();
    for create in creates {
        created.insert(create.await.unwrap());
    }
    // SIGKILL, at once after the last answer.
    drop(server);
    let before = orders_in(&secret, &receiver);

    let _restarted = tokio::task::spawn_blocking(move || Server::start_with(&url, &allow))
        .await
        .unwrap();
    // A delivery leased when the server died is taken over once its lease (30 s) runs out.
    let start = std::time::Instant::now();
    while !orders_in(&secret, &receiver).is_superset(&created) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "delivered {} of {} (before the kill: {})",
            orders_in(&secret, &receiver).intersection(&created).count(),
            created.len(),
            before.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
