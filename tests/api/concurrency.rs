//! Real parallel requests: order numbers and status changes decided by the database.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, error, ok_json, po_body, spawn_app, today};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_creates_get_forty_distinct_order_numbers_in_sequence() {
    loop {
        let day = today();
        let Some(app) = spawn_app().await else {
            return;
        };
        let (supplier, warehouse) = app.supplier_and_warehouse().await;
        let body = po_body(&supplier, &warehouse);

        let mut tasks = Vec::new();
        for _ in 0..40 {
            let (client, body) = (app.client.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                ok_json(client.create_po(&body).await).await
            }));
        }
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(
                task.await.expect("the request task finished")["order_number"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        if today() != day {
            continue; // Midnight UTC passed during the burst; the numbers span two days.
        }

        numbers.sort();
        let expected: Vec<String> = (1..=40).map(|n| format!("{day}-{n:02}")).collect();
        assert_eq!(numbers, expected);
        let listed = ok_json(app.list_pos(&[("page_size", "100")]).await).await;
        assert_eq!(listed["total"], 40);
        return;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_cancel_and_receive_on_an_open_order_lets_exactly_one_win() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&supplier, &warehouse), &["open"]).await;

    let mut tasks = Vec::new();
    for i in 0..20 {
        let target = if i % 2 == 0 { "cancelled" } else { "received" };
        let (client, id) = (app.client.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            (target, client.set_status(&id, target).await)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the request task finished"));
    }

    let winners: std::collections::HashSet<&str> = answers
        .iter()
        .filter(|(_, answer)| answer.status() == StatusCode::OK)
        .map(|(target, _)| *target)
        .collect();
    assert_eq!(winners.len(), 1, "both kinds succeeded: {winners:?}");
    let winner = *winners.iter().next().unwrap();
    let loser = if winner == "cancelled" {
        "received"
    } else {
        "cancelled"
    };
    for (target, answer) in answers {
        if target == winner {
            assert_eq!(
                ok_json(answer).await,
                json!({ "purchase_order_id": id, "status": winner })
            );
        } else {
            let expected = error("business_rules", "invalid_status")
                .field("status", loser)
                .says(&format!(
                    "cannot change status from '{winner}' to '{loser}'"
                ));
            assert_error(answer, StatusCode::BAD_REQUEST, &[expected]).await;
        }
    }
    assert_eq!(app.stored_status(&id).await, winner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_supplier_name_let_exactly_one_through() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = app.client.clone();
        let name = if i % 2 == 0 {
            "Acme Widgets"
        } else {
            "ACME WIDGETS"
        };
        tasks.push(tokio::spawn(async move {
            (
                name,
                client
                    .create_supplier(&json!({ "supplier_name": name }))
                    .await,
            )
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (name, answer) = task.await.expect("the request task finished");
        if answer.status() == StatusCode::OK {
            created += 1;
        } else {
            let expected = error("validation", "field_conflict")
                .field("supplier_name", name)
                .says("already exists");
            assert_error(answer, StatusCode::BAD_REQUEST, &[expected]).await;
        }
    }

    assert_eq!(created, 1);
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 1);
}
