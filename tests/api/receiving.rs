//! Receiving: `POST/GET /v2/purchase_orders/{id}/receives` and `GET /v2/inventory`.

use std::collections::HashMap;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, TestApp, assert_error, error, not_found, ok_json, spawn_app};

/// An open order for 10 x `WIDGET-001` at 9.99 and 5 x `GADGET-002` (no cost), received into a
/// warehouse with two locations; plus a location in another warehouse.
pub(crate) struct Setup {
    pub(crate) po: String,
    pub(crate) warehouse: String,
    pub(crate) loc_a: String,
    pub(crate) loc_b: String,
    pub(crate) foreign_loc: String,
}

pub(crate) async fn location(client: &ApiClient, warehouse: &str, name: &str) -> String {
    let body = json!({ "name": name, "inventory_warehouse_id": warehouse });
    let location = ok_json(client.create_location(&body).await).await;
    location["inventory_location_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn setup(app: &TestApp) -> Setup {
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc_a = location(app, &warehouse, "A - 01").await;
    let loc_b = location(app, &warehouse, "B - 01").await;
    let other = app.warehouse("Elsewhere").await;
    let foreign_loc = location(app, &other, "X - 01").await;
    let body = json!({
        "supplier_id": supplier,
        "warehouse_id": warehouse,
        "currency_code": "EUR",
        "products": [
            { "sku": "WIDGET-001", "quantity": 10, "cost": 9.99 },
            { "sku": "GADGET-002", "quantity": 5 },
        ],
    });
    let po = app.po(&body).await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(app.set_status(&po, "open").await).await;
    Setup {
        po,
        warehouse,
        loc_a,
        loc_b,
        foreign_loc,
    }
}

pub(crate) async fn receive(client: &ApiClient, po: &str, entries: Value) -> Response {
    let body = json!({ "product_receives": entries });
    client
        .send(
            Method::POST,
            &format!("/v2/purchase_orders/{po}/receives"),
            Some(&body),
        )
        .await
}

pub(crate) async fn receipts(client: &ApiClient, po: &str) -> Value {
    ok_json(
        client
            .send(
                Method::GET,
                &format!("/v2/purchase_orders/{po}/receives"),
                None,
            )
            .await,
    )
    .await
}

pub(crate) async fn inventory(client: &ApiClient, query: &str) -> Value {
    ok_json(
        client
            .send(Method::GET, &format!("/v2/inventory{query}"), None)
            .await,
    )
    .await
}

/// (received, rejected) per SKU as the order shows them.
pub(crate) async fn counters(client: &ApiClient, po: &str) -> HashMap<String, (i64, i64)> {
    let order = ok_json(client.get_po(po).await).await;
    order["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let sku = p["sku"].as_str().unwrap().to_owned();
            (
                sku,
                (
                    p["received_quantity"].as_i64().unwrap(),
                    p["rejected_quantity"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn partial_deliveries_across_two_locations_move_the_order_to_received() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;

    let first = receive(
        &app,
        &s.po,
        json!([
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4,
              "lot": "LOT-1", "expiration_date": "2027-01-31T00:00:00Z" },
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 2, "rejected_quantity": 1 },
        ]),
    )
    .await;
    assert_eq!(
        ok_json(first).await,
        json!({ "purchase_order_id": s.po, "status": "receiving" })
    );
    assert_eq!(app.stored_status(&s.po).await, "receiving");

    let second = receive(
        &app,
        &s.po,
        json!([
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 3 },
            { "sku": "GADGET-002", "inventory_location_id": s.loc_b, "received_quantity": 5 },
        ]),
    )
    .await;
    assert_eq!(
        ok_json(second).await,
        json!({ "purchase_order_id": s.po, "status": "received" })
    );

    let counts = counters(&app, &s.po).await;
    assert_eq!(counts["WIDGET-001"], (9, 1));
    assert_eq!(counts["GADGET-002"], (5, 0));

    let ledger = receipts(&app, &s.po).await;
    let list = ledger["receives"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["purchase_order_id"], s.po);
    assert_eq!(
        list[0]["product_receives"],
        json!([
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 4, "rejected_quantity": 0,
              "lot": "LOT-1", "expiration_date": "2027-01-31T00:00:00Z" },
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 2, "rejected_quantity": 1 },
        ])
    );
    assert!(uuid::Uuid::parse_str(list[1]["request_id"].as_str().unwrap()).is_ok());

    let stock = inventory(&app, "?sku=WIDGET-001").await;
    let mut rows: Vec<(String, i64)> = stock["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["inventory_location_id"].as_str().unwrap().to_owned(),
                r["on_hand"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    let mut expected = vec![(s.loc_a.clone(), 7), (s.loc_b.clone(), 2)];
    expected.sort();
    assert_eq!(rows, expected);
    let first_row = &stock["inventory"][0];
    assert_eq!(
        first_row["average_cost"],
        json!({ "amount": 9.99, "currency": "EUR" })
    );
    assert_eq!(first_row["available"], first_row["on_hand"]);
    assert_eq!(first_row["allocated"], 0);
    assert_eq!(first_row["inventory_warehouse_id"], s.warehouse);

    let by_warehouse = inventory(&app, "?group_by=warehouse&sku=GADGET-002").await;
    assert_eq!(by_warehouse["total"], 1);
    let row = &by_warehouse["inventory"][0];
    assert_eq!(row["on_hand"], 5);
    assert!(row.get("inventory_location_id").is_none());
    assert!(
        row.get("average_cost").is_none(),
        "no cost was given for GADGET-002"
    );

    // Received: no more receipts, and closing works.
    let late = receive(
        &app,
        &s.po,
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1 }]),
    );
    assert_error(
        late.await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status").says("'received'")],
    )
    .await;
    ok_json(app.set_status(&s.po, "closed").await).await;
}

#[tokio::test]
async fn receipts_are_refused_outside_open_and_receiving() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc = location(&app, &warehouse, "A").await;
    for path in [
        &[][..],
        &["cancelled"][..],
        &["open", "received"][..],
        &["open", "receiving", "closed"][..],
    ] {
        let po = app
            .po_in(&crate::helpers::po_body(&supplier, &warehouse), path)
            .await;
        let response = receive(
            &app,
            &po,
            json!([{ "sku": "WIDGET-001", "inventory_location_id": loc, "received_quantity": 1 }]),
        );
        let status = path.last().copied().unwrap_or("draft");
        assert_error(
            response.await,
            StatusCode::BAD_REQUEST,
            &[error("business_rules", "invalid_status")
                .says(&format!("'{status}'"))
                .says("'open' or 'receiving'")],
        )
        .await;
        assert_eq!(receipts(&app, &po).await["receives"], json!([]));
    }
}

#[tokio::test]
async fn every_broken_rule_is_reported_and_nothing_is_applied() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let response = receive(
        &app,
        &s.po,
        json!([
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 3 },
            { "sku": "NOPE", "inventory_location_id": s.loc_a, "received_quantity": 1 },
            { "sku": "GADGET-002", "inventory_location_id": s.foreign_loc, "received_quantity": 1 },
            { "sku": "GADGET-002", "inventory_location_id": "se-999999", "received_quantity": 1 },
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_b, "received_quantity": 6, "rejected_quantity": 2 },
        ]),
    )
    .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        &[
            error("business_rules", "invalid_field_value")
                .field("product_receives[1].sku", "NOPE")
                .says("not a line"),
            error("business_rules", "warehouse_conflict")
                .field("product_receives[2].inventory_location_id", &s.foreign_loc)
                .says(&s.warehouse),
            error("validation", "invalid_identifier")
                .field("product_receives[3].inventory_location_id", "se-999999")
                .says("does not exist"),
            error("business_rules", "invalid_field_value")
                .field("product_receives[4].received_quantity", "8")
                .says("7 unit(s) remaining of the 10 ordered"),
        ],
    )
    .await;
    // The valid first entry was not applied either.
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (0, 0));
    assert_eq!(receipts(&app, &s.po).await["receives"], json!([]));
    assert_eq!(inventory(&app, "").await["total"], 0);
    assert_eq!(app.stored_status(&s.po).await, "open");
}

#[tokio::test]
async fn malformed_receive_bodies_name_each_field() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let response = receive(
        &app,
        &s.po,
        json!([
            { "sku": "WIDGET-001", "inventory_location_id": s.loc_a },
            { "sku": "WIDGET-001", "inventory_location_id": "loc-1", "received_quantity": 0, "expiration_date": "soon" },
            { "inventory_location_id": s.loc_a, "rejected_quantity": 1, "colour": "red" },
        ]),
    )
    .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field_without_value("product_receives[0].received_quantity")
                .says("rejected_quantity"),
            error("validation", "invalid_identifier")
                .field("product_receives[1].inventory_location_id", "loc-1"),
            error("validation", "invalid_field_value")
                .field("product_receives[1].received_quantity", "0"),
            error("validation", "invalid_field_value")
                .field("product_receives[1].expiration_date", "soon"),
            error("validation", "field_value_required")
                .field_without_value("product_receives[2].sku"),
            error("validation", "invalid_field_value").field("product_receives[2].colour", "red"),
        ],
    )
    .await;
    let empty = receive(&app, &s.po, json!([]));
    assert_error(
        empty.await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value").field_without_value("product_receives")],
    )
    .await;
}

#[tokio::test]
async fn a_location_with_receipts_cannot_be_deleted() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let response = receive(
        &app,
        &s.po,
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1 }]),
    );
    ok_json(response.await).await;
    assert_error(
        app.delete_location(&s.loc_a).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "identifier_conflict")
            .field("inventory_location_id", &s.loc_a)
            .says("receipt")],
    )
    .await;
    ok_json(app.get_location(&s.loc_a).await).await;
}

#[tokio::test]
async fn another_accounts_orders_and_stock_are_invisible() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let response = receive(
        &app,
        &s.po,
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1 }]),
    );
    ok_json(response.await).await;

    let other = app.other_account().await;
    let body =
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1 }]);
    assert_error(
        receive(&other, &s.po, body).await,
        StatusCode::NOT_FOUND,
        &[not_found("purchase order", "purchase_order_id", &s.po)],
    )
    .await;
    let ledger = other
        .send(
            Method::GET,
            &format!("/v2/purchase_orders/{}/receives", s.po),
            None,
        )
        .await;
    assert_error(
        ledger,
        StatusCode::NOT_FOUND,
        &[not_found("purchase order", "purchase_order_id", &s.po)],
    )
    .await;
    assert_eq!(inventory(&other, "").await["total"], 0);
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (1, 0));
}

#[tokio::test]
async fn inventory_filters_are_checked() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let response = app
        .send(
            Method::GET,
            "/v2/inventory?group_by=bin&inventory_location_id=x&limit=3",
            None,
        )
        .await;
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_identifier").field("inventory_location_id", "x"),
            error("validation", "invalid_field_value").field("group_by", "bin"),
            error("validation", "invalid_field_value").field("limit", "3"),
        ],
    )
    .await;
}

#[tokio::test]
async fn null_in_a_receive_entry_is_refused_like_any_value_the_document_does_not_allow() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let response = receive(
        &app,
        &s.po,
        json!([{ "sku": "WIDGET-001", "inventory_location_id": s.loc_a, "received_quantity": 1,
                 "rejected_quantity": null, "lot": null, "expiration_date": null }]),
    )
    .await;
    let says = "must not be null; omit the field instead";
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("product_receives[0].rejected_quantity", "null")
                .says(says),
            error("validation", "invalid_field_value")
                .field("product_receives[0].lot", "null")
                .says(says),
            error("validation", "invalid_field_value")
                .field("product_receives[0].expiration_date", "null")
                .says(says),
        ],
    )
    .await;
    assert_eq!(app.stored_status(&s.po).await, "open");
    assert_eq!(counters(&app, &s.po).await["WIDGET-001"], (0, 0));
}
