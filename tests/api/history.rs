//! What happened to an order: `GET /v2/purchase_orders/{id}/history` and the feed `GET /v2/events`.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, assert_error, not_found, ok_json, spawn_app};
use crate::receiving::{receive, setup};

/// The answer's `X-Request-Id`.
fn request_id(answer: &Response) -> String {
    answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn history(client: &ApiClient, po: &str) -> Value {
    ok_json(
        client
            .send(
                Method::GET,
                &format!("/v2/purchase_orders/{po}/history"),
                None,
            )
            .await,
    )
    .await
}

/// Each event without the fields that vary from run to run (ids, times), checked apart.
fn summary(events: &Value) -> Vec<Value> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!({ "type": e["type"], "data": e["data"] }))
        .collect()
}

#[tokio::test]
async fn every_change_to_an_order_appends_an_event_naming_its_key_request_and_changes() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let shipped = app
        .shipping_details(&s.po, &json!({ "tracking_number": "1Z999" }))
        .await;
    let shipped_request = request_id(&shipped);
    ok_json(shipped).await;
    ok_json(receive(&app, &s.po, json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4 }])).await).await;
    ok_json(
        receive(
            &app,
            &s.po,
            json!([
                { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 6 },
                { "sku": "GADGET-002", "inventory_location_id": s.loc_a, "rejected_quantity": 5 },
            ]),
        )
        .await,
    )
    .await;

    let body = history(&app, &s.po).await;
    let order = ok_json(app.get_po(&s.po).await).await;
    let receipts = crate::receiving::receipts(&app, &s.po).await;
    let receipt = |i: usize| receipts["receives"][i]["receipt_id"].clone();
    assert_eq!(
        summary(&body),
        vec![
            json!({ "type": "purchase_order.created", "data": { "order_number": order["order_number"], "status": "draft" } }),
            json!({ "type": "purchase_order.status_changed", "data": { "from": "draft", "status": "open" } }),
            json!({ "type": "purchase_order.shipping_details_changed", "data": { "changes": { "tracking_number": { "before": null, "after": "1Z999" } } } }),
            json!({ "type": "purchase_order.products_received", "data": { "receipt_id": receipt(0), "status": "receiving", "product_receives": [
                { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4, "rejected_quantity": 0 },
            ] } }),
            json!({ "type": "purchase_order.status_changed", "data": { "from": "open", "status": "receiving" } }),
            json!({ "type": "purchase_order.products_received", "data": { "receipt_id": receipt(1), "status": "received", "product_receives": [
                { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 6, "rejected_quantity": 0 },
                { "sku": "GADGET-002", "inventory_location_id": s.loc_a, "received_quantity": 0, "rejected_quantity": 5 },
            ] } }),
            json!({ "type": "purchase_order.status_changed", "data": { "from": "receiving", "status": "received" } }),
        ]
    );
    assert_eq!(body["total"], 7);
    assert_eq!(body["pages"], 1);
    let events = body["events"].as_array().unwrap();
    let actor = format!("api_key:{}", app.key_id);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["purchase_order_id"], s.po.as_str());
        assert_eq!(event["actor"], actor.as_str());
        assert!(event["event_id"].as_str().unwrap().starts_with("ev-"));
        assert!(event["request_id"].as_str().is_some());
        if i > 0 {
            assert!(event["position"].as_i64() > events[i - 1]["position"].as_i64());
            assert!(event["occurred_at"].as_str() >= events[i - 1]["occurred_at"].as_str());
        }
    }
    assert_eq!(events[2]["request_id"], shipped_request.as_str());
    assert_eq!(
        events[3]["request_id"],
        receipts["receives"][0]["request_id"]
    );
    assert_eq!(
        events[4]["request_id"], events[3]["request_id"],
        "one request, two events"
    );
}

#[tokio::test]
async fn a_replacement_records_each_changed_field_before_and_after() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = crate::helpers::po_body(&supplier, &warehouse);
    let po = app.po(&body).await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut changed = body.clone();
    changed["reference_number"] = json!("REF-7");
    changed["products"][0]["quantity"] = json!(12);
    ok_json(app.put_po(&po, &changed).await).await;

    let events = history(&app, &po).await;
    assert_eq!(events["events"][1]["type"], "purchase_order.replaced");
    assert_eq!(
        events["events"][1]["data"],
        json!({ "changes": {
            "reference_number": { "before": null, "after": "REF-7" },
            "products": {
                "before": [
                    { "sku": "WIDGET-001", "supplier_sku": null, "quantity": 10, "cost": "9.99" },
                    { "sku": "GADGET-002", "supplier_sku": "SUP-G2", "quantity": 5, "cost": null },
                ],
                "after": [
                    { "sku": "WIDGET-001", "supplier_sku": null, "quantity": 12, "cost": "9.99" },
                    { "sku": "GADGET-002", "supplier_sku": "SUP-G2", "quantity": 5, "cost": null },
                ],
            },
        } })
    );
}

#[tokio::test]
async fn a_refused_change_appends_nothing_and_another_accounts_history_is_a_404() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let refused = receive(
        &app,
        &s.po,
        json!([{ "sku": "NOPE", "inventory_location_id": s.loc_a, "received_quantity": 1 }]),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.set_status(&s.po, "draft").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(history(&app, &s.po).await["total"], 2);

    let other = app.other_account().await;
    assert_error(
        other
            .send(
                Method::GET,
                &format!("/v2/purchase_orders/{}/history", s.po),
                None,
            )
            .await,
        StatusCode::NOT_FOUND,
        &[not_found("purchase order", "purchase_order_id", &s.po)],
    )
    .await;
    let feed = ok_json(other.send(Method::GET, "/v2/events", None).await).await;
    assert_eq!(feed["events"], json!([]));
}

/// Follows `links.next.href` from `href` until a page comes back empty; returns the events seen
/// and the last `next`, to follow again later.
pub(crate) async fn follow(client: &ApiClient, mut href: String) -> (Vec<Value>, String) {
    let mut seen = Vec::new();
    loop {
        let page = ok_json(
            client
                .http
                .get(client.url(&href))
                .header("API-Key", &client.api_key)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let events = page["events"].as_array().unwrap().clone();
        let next = page["links"]["next"]["href"]
            .as_str()
            .expect("every page of the feed has a next link")
            .to_owned();
        let next = next.trim_start_matches(&client.address).to_owned();
        if events.is_empty() {
            return (seen, next);
        }
        seen.extend(events);
        href = next;
    }
}

#[tokio::test]
async fn the_feed_followed_to_its_end_and_again_later_shows_each_event_once() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let (first, next) = follow(&app, "/v2/events?page_size=2".to_owned()).await;
    let types: Vec<&str> = first.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["purchase_order.created", "purchase_order.status_changed"]
    );

    let (nothing, _) = follow(&app, next.clone()).await;
    assert!(nothing.is_empty(), "nothing new");

    ok_json(receive(&app, &s.po, json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1 }])).await).await;
    ok_json(app.set_status(&s.po, "received").await).await;
    let (later, _) = follow(&app, next).await;
    let types: Vec<&str> = later.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "purchase_order.products_received",
            "purchase_order.status_changed",
            "purchase_order.status_changed"
        ]
    );
    let positions: Vec<i64> = first
        .iter()
        .chain(&later)
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn the_feed_under_concurrent_writers_misses_and_repeats_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = crate::helpers::po_body(&supplier, &warehouse);
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let client = app.client.clone();
            let body = body.clone();
            tokio::spawn(async move {
                for _ in 0..15 {
                    ok_json(client.create_po(&body).await).await;
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    let mut next = "/v2/events?page_size=7".to_owned();
    while !writers.iter().all(|w| w.is_finished()) {
        let (events, after) = follow(&app, next).await;
        seen.extend(events);
        next = after;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let (rest, _) = follow(&app, next).await;
    seen.extend(rest);
    let positions: Vec<i64> = seen
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (1..=60).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_order_set_received_by_hand_goes_back_to_receiving_and_takes_receipts_again() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    ok_json(receive(&app, &s.po, json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4 }])).await).await;
    ok_json(app.set_status(&s.po, "received").await).await;
    assert_eq!(
        ok_json(app.set_status(&s.po, "receiving").await).await,
        json!({ "purchase_order_id": s.po, "status": "receiving" })
    );
    assert_eq!(
        ok_json(receive(&app, &s.po, json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 6 }])).await).await["status"],
        "receiving"
    );
    let changes: Vec<Value> = history(&app, &s.po).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "purchase_order.status_changed")
        .map(|e| e["data"].clone())
        .collect();
    assert_eq!(
        changes,
        [
            json!({ "from": "draft", "status": "open" }),
            json!({ "from": "open", "status": "receiving" }),
            json!({ "from": "receiving", "status": "received" }),
            json!({ "from": "received", "status": "receiving" }),
        ]
    );
}
