//! The event feed under concurrent writers on two `procura serve` processes on one PostgreSQL
//! database: a reader following `links.next` while both servers take writes sees every event
//! exactly once, in position order, although the transactions commit in any order.

use procura::domain::ids::{AccountId, ApiKeyId};
use serde_json::json;

use crate::cli::{Server, created_key, keys};
use crate::helpers::{ApiClient, ok_json, po_body, test_database};
use crate::history::follow;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_read_while_two_servers_write_misses_and_repeats_nothing() {
    let Some(database) = test_database().await else {
        return;
    };
    let url = database.url.clone();
    let servers: Vec<Server> = {
        let first = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || Server::start(&url))
        };
        let first = first.await.unwrap();
        let second = {
            let url = url.clone();
            tokio::task::spawn_blocking(move || Server::start(&url))
        };
        vec![first, second.await.unwrap()]
    };
    let (key_id, account, secret) = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || created_key(&keys(&url, &["create"])))
            .await
            .unwrap()
    };
    let http = reqwest::Client::new();
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
    let body = po_body(&supplier, &warehouse);

    // Eight writers, four per server, each creating orders and opening them: 2 events each.
    let writers: Vec<_> = (0..8)
        .map(|i| {
            let client = clients[i % 2].clone();
            let body = body.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    let order = ok_json(client.create_po(&body).await).await;
                    let id = order["purchase_order_id"].as_str().unwrap().to_owned();
                    let opened = ok_json(client.set_status(&id, "open").await).await;
                    assert_eq!(opened, json!({ "purchase_order_id": id, "status": "open" }));
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    let mut next = "/v2/events?page_size=5".to_owned();
    let mut reads = 0;
    while !writers.iter().all(|w| w.is_finished()) {
        // Each read through the other server.
        let (events, after) = follow(&clients[reads % 2], next).await;
        reads += 1;
        seen.extend(events);
        next = after;
    }
    let seen_while_writing = seen.len();
    for writer in writers {
        writer.await.unwrap();
    }
    let (rest, _) = follow(&clients[0], next).await;
    seen.extend(rest);
    assert!(
        seen_while_writing > 0,
        "the feed was read while the servers wrote ({reads} follows)"
    );
    let positions: Vec<i64> = seen
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=160).collect::<Vec<_>>());
    // Per order, the creation comes before the opening.
    let mut created = std::collections::HashSet::new();
    for event in &seen {
        let order = event["purchase_order_id"].as_str().unwrap().to_owned();
        match event["type"].as_str().unwrap() {
            "purchase_order.created" => assert!(created.insert(order)),
            _ => assert!(created.contains(&order), "opened before created"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_deliver_each_event_once_between_them() {
    use crate::webhook_crash::{first_client, orders_in};
    use crate::webhooks::{Receiver, subscribe};

    let Some(database) = test_database().await else {
        return;
    };
    let url = database.url.clone();
    let allow = ["--webhook-allow-private"];
    let first = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || Server::start_with(&url, &allow))
    }
    .await
    .unwrap();
    let second = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || Server::start_with(&url, &allow))
    }
    .await
    .unwrap();
    let key = first.banner[1].trim().to_owned();
    let clients = [first_client(&first, &key), first_client(&second, &key)];
    let receiver = Receiver::start(0).await;
    let (_, secret) = subscribe(&clients[0], &receiver.url, "purchase_order_created_v2").await;
    let (supplier, warehouse) = clients[1].supplier_and_warehouse().await;
    let body = po_body(&supplier, &warehouse);
    let creates: Vec<_> = (0..40)
        .map(|i| {
            let client = clients[i % 2].clone();
            let body = body.clone();
            tokio::spawn(async move {
                ok_json(client.create_po(&body).await).await["purchase_order_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut created = std::collections::HashSet::new();
    for create in creates {
        created.insert(create.await.unwrap());
    }
    receiver
        .wait_for(40, std::time::Duration::from_secs(20))
        .await;
    // Both servers poll the outbox every 100 ms: give a duplicate time to show.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(orders_in(&secret, &receiver), created);
    let got = receiver.got.lock().unwrap().clone();
    let ids: std::collections::HashSet<String> = got
        .iter()
        .map(|m| m.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        (got.len(), ids.len()),
        (40, 40),
        "each event delivered once"
    );
}
