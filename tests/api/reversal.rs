//! `POST /v2/purchase_orders/{id}/receives/{receipt_id}/reversal`: a receipt recorded in error is
//! taken back whole, from the order's lines and from the stock, and stays in the ledger marked.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, assert_error, error, not_found, ok_json, spawn_app};
use crate::history::history;
use crate::receiving::{counters, inventory, receipts, receive, setup};

async fn reverse(client: &ApiClient, po: &str, receipt: &str) -> Response {
    client
        .send(
            Method::POST,
            &format!("/v2/purchase_orders/{po}/receives/{receipt}/reversal"),
            None,
        )
        .await
}

/// On hand and average cost per (location, lot) of a SKU.
async fn stock(client: &ApiClient, sku: &str) -> Vec<(String, i64, Value)> {
    let mut rows: Vec<(String, i64, Value)> =
        inventory(client, &format!("?sku={sku}")).await["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["inventory_location_id"].as_str().unwrap().to_owned(),
                    r["on_hand"].as_i64().unwrap(),
                    r["average_cost"].clone(),
                )
            })
            .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[tokio::test]
async fn a_reversed_receipt_gives_back_its_units_to_the_lines_and_takes_them_from_stock() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    ok_json(
        receive(
            &app,
            &s.po,
            json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 6 }]),
        )
        .await,
    )
    .await;
    let second = ok_json(
        receive(
            &app,
            &s.po,
            json!([
                { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 3,
                  "rejected_quantity": 1 },
                { "sku": "GADGET-002", "inventory_location_id": s.loc_b, "received_quantity": 4,
                  "rejected_quantity": 1, "lot": "L-9" },
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(second["status"], "received");
    let ledger = receipts(&app, &s.po).await;
    let first_id = ledger["receives"][0]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second_id = ledger["receives"][1]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let widget_before = stock(&app, "WIDGET-001").await;
    assert_eq!(widget_before[0].1, 9);

    // The second delivery was recorded in error.
    let reversed = reverse(&app, &s.po, &second_id).await;
    let tag = reversed.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        ok_json(reversed).await,
        json!({ "purchase_order_id": s.po, "status": "receiving" })
    );
    assert_eq!(app.stored_status(&s.po).await, "receiving");
    let counts = counters(&app, &s.po).await;
    assert_eq!(counts["WIDGET-001"], (6, 0));
    assert_eq!(counts["GADGET-002"], (0, 0));
    let widget = stock(&app, "WIDGET-001").await;
    assert_eq!(widget.len(), 1);
    assert_eq!(
        (widget[0].1, &widget[0].2),
        (6, &json!({ "amount": 9.99, "currency": "EUR" }))
    );
    let gadget = stock(&app, "GADGET-002").await;
    assert!(gadget.iter().all(|row| row.1 == 0), "{gadget:?}");
    // The get answers the tag the reversal answered.
    let order = app.get_po(&s.po).await;
    assert_eq!(order.headers()["etag"], tag.as_str());

    // Both receipts stay in the ledger; the reversed one says when.
    let ledger = receipts(&app, &s.po).await;
    let list = ledger["receives"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list[0].get("reversed_at").is_none());
    let recorder = format!("api_key:{}", app.key_id);
    assert_eq!(list[0]["recorded_by"], recorder.as_str());
    let at = list[1]["reversed_at"].as_str().unwrap();
    assert!(at.ends_with('Z'), "{at}");

    // Once only.
    assert_error(
        reverse(&app, &s.po, &second_id).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .field("receipt_id", &second_id)
            .says(&format!("receipt {second_id} was reversed at"))],
    )
    .await;
    assert_error(
        reverse(&app, &s.po, "se-999999").await,
        StatusCode::NOT_FOUND,
        &[error("validation", "invalid_identifier")
            .field("receipt_id", "se-999999")
            .says(&format!("purchase order {} has no receipt se-999999", s.po))],
    )
    .await;
    assert_error(
        reverse(&app, "se-999999", &first_id).await,
        StatusCode::NOT_FOUND,
        &[not_found(
            "purchase order",
            "purchase_order_id",
            "se-999999",
        )],
    )
    .await;
    assert_error(
        reverse(&app, &s.po, "receipt-1").await,
        StatusCode::NOT_FOUND,
        &[not_found("receipt", "receipt_id", "receipt-1")],
    )
    .await;

    // The last receipt reversed: nothing received is left, and the order is open again.
    assert_eq!(
        ok_json(reverse(&app, &s.po, &first_id).await).await,
        json!({ "purchase_order_id": s.po, "status": "open" })
    );
    assert!(stock(&app, "WIDGET-001").await.iter().all(|row| row.1 == 0));
    assert_error(
        reverse(&app, &s.po, &first_id).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .says("receipts can be reversed only while 'receiving' or 'received'")],
    )
    .await;

    // What was taken back may be received again, in full.
    assert_eq!(
        ok_json(
            receive(
                &app,
                &s.po,
                json!([
                    { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 10 },
                    { "sku": "GADGET-002", "inventory_location_id": s.loc_b, "received_quantity": 5 },
                ]),
            )
            .await,
        )
        .await["status"],
        "received"
    );

    // The history tells it all, in order; a reversal's entries are the receipt's, negated.
    let events = history(&app, &s.po).await;
    let reversal = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "purchase_order.receipt_reversed")
        .unwrap();
    assert_eq!(
        reversal["data"],
        json!({
            "receipt_id": second_id, "status": "receiving", "reversal": true,
            "product_receives": [
                { "sku": "WIDGET-001", "inventory_location_id": s.loc_a,
                  "received_quantity": -3, "rejected_quantity": -1 },
                { "sku": "GADGET-002", "inventory_location_id": s.loc_b,
                  "received_quantity": -4, "rejected_quantity": -1 },
            ],
        })
    );
    let kinds: Vec<(String, Value)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] != "purchase_order.created")
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"]["status"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = [
        ("purchase_order.status_changed", "open"),
        ("purchase_order.products_received", "receiving"),
        ("purchase_order.status_changed", "receiving"),
        ("purchase_order.products_received", "received"),
        ("purchase_order.status_changed", "received"),
        ("purchase_order.receipt_reversed", "receiving"),
        ("purchase_order.status_changed", "receiving"),
        ("purchase_order.receipt_reversed", "open"),
        ("purchase_order.status_changed", "open"),
        ("purchase_order.products_received", "received"),
        ("purchase_order.status_changed", "received"),
    ]
    .iter()
    .map(|(kind, status)| ((*kind).to_owned(), json!(status)))
    .collect();
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn a_reversal_with_a_stale_if_match_or_on_a_closed_order_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let received = receive(
        &app,
        &s.po,
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 2 }]),
    )
    .await;
    let tag = received.headers()["etag"].to_str().unwrap().to_owned();
    ok_json(received).await;
    let receipt = receipts(&app, &s.po).await["receives"][0]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(
        app.send(
            Method::PUT,
            &format!("/v2/suppliers/{}", supplier_of(&app, &s.po).await),
            Some(&json!({ "supplier_name": "Renamed" })),
        )
        .await,
    )
    .await;
    let stale = app
        .request(
            Method::POST,
            &format!("/v2/purchase_orders/{}/receives/{receipt}/reversal", s.po),
        )
        .header("If-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (2, 0));

    ok_json(app.set_status(&s.po, "closed").await).await;
    assert_error(
        reverse(&app, &s.po, &receipt).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status").says("is 'closed'")],
    )
    .await;
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (2, 0));
    assert_eq!(stock(&app, "WIDGET-001").await[0].1, 2);
}

async fn supplier_of(client: &ApiClient, po: &str) -> String {
    ok_json(client.get_po(po).await).await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn racing_reversals_of_one_receipt_take_its_units_back_once() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    for units in [3, 4] {
        ok_json(
            receive(
                &app,
                &s.po,
                json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": units }]),
            )
            .await,
        )
        .await;
    }
    let receipt = receipts(&app, &s.po).await["receives"][1]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let (po, receipt) = (s.po.clone(), receipt.clone());
            tokio::spawn(async move { reverse(&client, &po, &receipt).await.status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST),
        "{statuses:?}"
    );
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (3, 0));
    assert_eq!(stock(&app, "WIDGET-001").await[0].1, 3);
}

/// Runs `sql` on the app's database directly, behind the store's back.
async fn behind_the_back(app: &crate::helpers::TestApp, sql: &str) {
    if app.db.postgres().is_some() {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db.url)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let path = app.db.url.trim_start_matches("sqlite:").to_owned();
        let sql = sql.to_owned();
        tokio::task::spawn_blocking(move || {
            let conn = rusqlite::Connection::open(path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(5))
                .unwrap();
            conn.execute_batch(&sql).unwrap();
        })
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_receipt_whose_stock_has_since_gone_is_not_reversed() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    ok_json(
        receive(
            &app,
            &s.po,
            json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4 }]),
        )
        .await,
    )
    .await;
    let receipt = receipts(&app, &s.po).await["receives"][0]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Three of the four units left the shelf (a stock move Procura does not make yet).
    behind_the_back(
        &app,
        "UPDATE inventory_levels SET on_hand = 1 WHERE sku = 'WIDGET-001'",
    )
    .await;
    assert_error(
        reverse(&app, &s.po, &receipt).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_field_value")
            .field_without_value("receipt_id")
            .says(&format!(
                "the receipt put 4 unit(s) of SKU 'WIDGET-001' at inventory location {}, which now holds 1; it cannot be reversed",
                s.loc_a
            ))],
    )
    .await;
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (4, 0));
    assert_eq!(stock(&app, "WIDGET-001").await[0].1, 1);
    assert_eq!(app.stored_status(&s.po).await, "receiving");
    assert!(
        receipts(&app, &s.po).await["receives"][0]
            .get("reversed_at")
            .is_none()
    );
}
