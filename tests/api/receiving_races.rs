//! Receipts racing each other: a line never passes its ordered quantity, and on-hand stock always
//! equals the units the ledger received.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ok_json, spawn_app};
use crate::receiving::{counters, inventory, location, receipts, receive, setup};

#[tokio::test]
async fn racing_receipts_never_push_a_line_past_its_ordered_quantity() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    // Complete the other line first, so that the last widget completes the order.
    let gadgets = receive(
        &app,
        &s.po,
        json!([{ "sku": "GADGET-002", "inventory_location_id": s.loc_b, "received_quantity": 5 }]),
    );
    ok_json(gadgets.await).await;

    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let client = app.client.clone();
            let po = s.po.clone();
            let loc = s.loc_a.clone();
            tokio::spawn(async move {
                let body = json!([{ "sku": "WIDGET-001", "inventory_location_id": loc, "received_quantity": 1 }]);
                receive(&client, &po, body).await
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.status() {
            StatusCode::OK => accepted += 1,
            StatusCode::BAD_REQUEST => {
                let body: Value = response.json().await.unwrap();
                let code = body["errors"][0]["error_code"].as_str().unwrap().to_owned();
                assert!(
                    code == "invalid_field_value" || code == "invalid_status",
                    "{body}"
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(accepted, 10);
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (10, 0));
    let stock = inventory(
        &app,
        &format!("?sku=WIDGET-001&inventory_location_id={}", s.loc_a),
    )
    .await;
    assert_eq!(stock["inventory"][0]["on_hand"], 10);
    assert_eq!(app.stored_status(&s.po).await, "received");
    assert_eq!(
        receipts(&app, &s.po).await["receives"]
            .as_array()
            .unwrap()
            .len(),
        11
    );
}

#[tokio::test]
async fn on_hand_always_equals_the_sum_of_received_units_in_the_ledger() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let locations = [
        location(&app, &warehouse, "L1").await,
        location(&app, &warehouse, "L2").await,
        location(&app, &warehouse, "L3").await,
    ];
    let skus = ["S-1", "S-2", "S-3", "S-4"];
    let products: Vec<Value> = skus
        .iter()
        .map(|sku| json!({ "sku": sku, "quantity": 60, "cost": 1.25 }))
        .collect();
    let po = app
        .po(&json!({ "supplier_id": supplier, "warehouse_id": warehouse, "products": products }))
        .await;
    let po = po["purchase_order_id"].as_str().unwrap().to_owned();
    ok_json(app.set_status(&po, "open").await).await;

    // A fixed pseudo-random sequence of receipts: SKUs, locations, lots, rejections.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..30 {
        let entries: Vec<Value> = (0..1 + next(3))
            .map(|_| {
                let mut entry = json!({
                    "sku": skus[next(4) as usize],
                    "inventory_location_id": locations[next(3) as usize],
                    "received_quantity": 1 + next(3),
                });
                if next(2) == 0 {
                    entry["lot"] = json!(format!("LOT-{}", next(2)));
                }
                if next(4) == 0 {
                    entry["rejected_quantity"] = json!(1);
                }
                entry
            })
            .collect();
        ok_json(receive(&app, &po, Value::Array(entries)).await).await;
    }

    let mut from_ledger: HashMap<(String, String), i64> = HashMap::new();
    for receipt in receipts(&app, &po).await["receives"].as_array().unwrap() {
        for line in receipt["product_receives"].as_array().unwrap() {
            let key = (
                line["sku"].as_str().unwrap().to_owned(),
                line["inventory_location_id"].as_str().unwrap().to_owned(),
            );
            *from_ledger.entry(key).or_default() += line["received_quantity"].as_i64().unwrap();
        }
    }
    from_ledger.retain(|_, units| *units > 0);
    let stock = inventory(&app, "?page_size=500").await;
    let from_stock: HashMap<(String, String), i64> = stock["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = (
                r["sku"].as_str().unwrap().to_owned(),
                r["inventory_location_id"].as_str().unwrap().to_owned(),
            );
            (key, r["on_hand"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(from_stock, from_ledger);
    for row in stock["inventory"].as_array().unwrap() {
        assert_eq!(
            row["average_cost"],
            json!({ "amount": 1.25, "currency": "USD" })
        );
    }
    let counts = counters(&app, &po).await;
    for sku in skus {
        let received: i64 = from_ledger
            .iter()
            .filter(|((s, _), _)| s == sku)
            .map(|(_, units)| units)
            .sum();
        assert_eq!(counts[sku].0, received, "{sku}");
    }
}
