//! `/v2/purchase_orders`: create, get, replace and shipping details.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    assert_error, assert_se_id, assert_timestamp, error, not_found, ok_json, po_body, spawn_app,
    today,
};

#[tokio::test]
async fn a_new_order_is_a_draft_with_defaults_exact_costs_and_no_null_fields() {
    loop {
        let day = today();
        let Some(app) = spawn_app().await else {
            return;
        };
        let (supplier, warehouse) = app.supplier_and_warehouse().await;

        let first = ok_json(app.create_po(&po_body(&supplier, &warehouse)).await).await;
        let second = ok_json(app.create_po(&po_body(&supplier, &warehouse)).await).await;
        if today() != day {
            continue; // Midnight UTC passed between the two orders; try again on the new day.
        }

        let id = assert_se_id(&first["purchase_order_id"]);
        let created = assert_timestamp(&first["create_date"]);
        assert!((chrono::Utc::now() - created).num_seconds().abs() < 60);
        assert_eq!(
            first,
            json!({
                "purchase_order_id": id,
                "order_number": format!("{day}-01"),
                "supplier_id": supplier,
                "supplier_name": "Acme Widgets Inc",
                "status": "draft",
                "create_date": first["create_date"],
                "modify_date": first["create_date"],
                "payment_terms": "none",
                "payment_status": "none",
                "currency_code": "USD",
                "warehouse_id": warehouse,
                "products": [
                    { "sku": "WIDGET-001", "quantity": 10, "cost": 9.99, "received_quantity": 0, "rejected_quantity": 0 },
                    { "sku": "GADGET-002", "supplier_sku": "SUP-G2", "quantity": 5, "received_quantity": 0, "rejected_quantity": 0 },
                ],
            })
        );
        assert_eq!(second["order_number"], format!("{day}-02"));
        assert_ne!(second["purchase_order_id"], first["purchase_order_id"]);
        assert_eq!(ok_json(app.get_po(&id).await).await, first);
        return;
    }
}

#[tokio::test]
async fn costs_come_back_with_exactly_the_digits_sent() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut body = po_body(&supplier, &warehouse);
    body["products"] = json!([
        { "sku": "A", "quantity": 1, "cost": 0.1 },
        { "sku": "B", "quantity": 1, "cost": 0.1 },
        { "sku": "C", "quantity": 1, "cost": 0.1 },
        { "sku": "D", "quantity": 3, "cost": 123456.654321 },
        { "sku": "E", "quantity": 2, "cost": 0 },
    ]);

    let created = app.po(&body).await;

    let id = created["purchase_order_id"].as_str().unwrap();
    let text = app.get_po(id).await.text().await.unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    let costs: Vec<String> = stored["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["cost"].to_string())
        .collect();
    assert_eq!(costs, ["0.1", "0.1", "0.1", "123456.654321", "0"]);
    assert!(text.contains(r#""cost":0.1,"#), "{text}");
    assert_eq!(created["products"], stored["products"]);
}

fn full_body(supplier: &str, warehouse: &str) -> Value {
    json!({
        "supplier_id": supplier,
        "warehouse_id": warehouse,
        "order_date": "2025-01-15T00:00:00Z",
        "expected_delivery_date": "2025-02-01T09:30:00+02:00",
        "payment_terms": "net_30",
        "payment_status": "unpaid",
        "currency_code": "EUR",
        "shipping_carrier": "UPS",
        "tracking_number": "1Z12345E1234567890",
        "reference_number": "REF-12345",
        "note_to_supplier": "Please expedite\ndelivery",
        "products": [{ "sku": "WIDGET-001", "supplier_sku": "SUP-1", "quantity": 100, "cost": 9.99 }],
    })
}

#[tokio::test]
async fn every_optional_field_is_stored_and_dates_come_back_in_utc() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;

    let created = app.po(&full_body(&supplier, &warehouse)).await;

    let mut expected = full_body(&supplier, &warehouse);
    expected["expected_delivery_date"] = json!("2025-02-01T07:30:00Z");
    expected["products"][0]["received_quantity"] = json!(0);
    expected["products"][0]["rejected_quantity"] = json!(0);
    for key in [
        "purchase_order_id",
        "order_number",
        "supplier_name",
        "status",
        "create_date",
        "modify_date",
    ] {
        expected[key] = created[key].clone();
    }
    assert_eq!(created, expected);
    assert_eq!(
        ok_json(
            app.get_po(created["purchase_order_id"].as_str().unwrap())
                .await
        )
        .await,
        created
    );
}

#[tokio::test]
async fn put_replaces_a_draft_wholly_and_clears_omitted_fields() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let other_supplier = app.supplier("Globex").await;
    let created = app.po(&full_body(&supplier, &warehouse)).await;
    let id = created["purchase_order_id"].as_str().unwrap();

    let replacement = json!({
        "supplier_id": other_supplier,
        "warehouse_id": warehouse,
        "reference_number": "REF-2",
        "products": [{ "sku": "NEW-1", "quantity": 7, "cost": 1.5 }],
    });
    let replaced = ok_json(app.put_po(id, &replacement).await).await;

    assert_eq!(
        replaced,
        json!({
            "purchase_order_id": id,
            "order_number": created["order_number"],
            "supplier_id": other_supplier,
            "supplier_name": "Globex",
            "status": "draft",
            "create_date": created["create_date"],
            "modify_date": replaced["modify_date"],
            "payment_terms": "none",
            "payment_status": "none",
            "currency_code": "USD",
            "reference_number": "REF-2",
            "warehouse_id": warehouse,
            "products": [{ "sku": "NEW-1", "quantity": 7, "cost": 1.5, "received_quantity": 0, "rejected_quantity": 0 }],
        })
    );
    assert!(
        assert_timestamp(&replaced["modify_date"]) >= assert_timestamp(&created["modify_date"])
    );
    assert_eq!(ok_json(app.get_po(id).await).await, replaced);
}

#[tokio::test]
async fn a_body_read_with_get_and_edited_can_be_put_back() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po(&full_body(&supplier, &warehouse)).await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = ok_json(app.get_po(&id).await).await;

    body["note_to_supplier"] = json!("Changed note");
    body["products"][0]["quantity"] = json!(120);
    let replaced = ok_json(app.put_po(&id, &body).await).await;

    let mut expected = body.clone();
    expected["modify_date"] = replaced["modify_date"].clone();
    assert_eq!(replaced, expected);
    assert_eq!(ok_json(app.get_po(&id).await).await, expected);
}

#[tokio::test]
async fn put_on_an_open_order_is_refused_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&supplier, &warehouse), &["open"]).await;
    let before = ok_json(app.get_po(&id).await).await;

    let refused = app.put_po(&id, &full_body(&supplier, &warehouse)).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .says("is 'open'")
            .says("only while 'draft'")
            .says("shipping_details")],
    )
    .await;
    assert_eq!(ok_json(app.get_po(&id).await).await, before);
}

#[tokio::test]
async fn shipping_details_patch_an_open_order_keeping_omitted_fields_and_clearing_nulls() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app
        .po_in(&full_body(&supplier, &warehouse), &["open"])
        .await;
    let before = ok_json(app.get_po(&id).await).await;

    let patched = ok_json(
        app.shipping_details(
            &id,
            &json!({ "tracking_number": "2Z999", "shipping_carrier": null, "payment_terms": null, "status": "draft" }),
        )
        .await,
    )
    .await;

    let mut expected = before.clone();
    expected["tracking_number"] = json!("2Z999");
    expected["payment_terms"] = json!("none");
    expected.as_object_mut().unwrap().remove("shipping_carrier");
    expected["modify_date"] = patched["modify_date"].clone();
    assert_eq!(patched, expected);
    assert!(assert_timestamp(&patched["modify_date"]) >= assert_timestamp(&before["modify_date"]));
    assert_eq!(ok_json(app.get_po(&id).await).await, expected);
}

#[tokio::test]
async fn shipping_details_refuse_products_and_supplier_as_unknown_fields() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&supplier, &warehouse), &["open"]).await;
    let before = ok_json(app.get_po(&id).await).await;

    let refused = app
        .shipping_details(
            &id,
            &json!({ "supplier_id": supplier, "products": [], "tracking_number": "1Z" }),
        )
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("products", "[]")
                .says("products is not a known field"),
            error("validation", "invalid_field_value")
                .field("supplier_id", &supplier)
                .says("supplier_id is not a known field"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.get_po(&id).await).await, before);
}

#[tokio::test]
async fn shipping_details_of_a_draft_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let created = app.po(&po_body(&supplier, &warehouse)).await;
    let id = created["purchase_order_id"].as_str().unwrap();

    let refused = app
        .shipping_details(id, &json!({ "tracking_number": "1Z" }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .says("is 'draft'")
            .says("only while 'open'")
            .says("PUT")],
    )
    .await;
    assert_eq!(ok_json(app.get_po(id).await).await, created);
}

#[tokio::test]
async fn an_unknown_supplier_and_warehouse_are_both_reported() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app.create_po(&po_body("se-9999", "se-8888")).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_identifier")
                .field("supplier_id", "se-9999")
                .says("supplier se-9999 does not exist"),
            error("validation", "invalid_identifier")
                .field("warehouse_id", "se-8888")
                .says("se-8888 does not exist"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn another_accounts_supplier_and_warehouse_are_unknown_identifiers() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let other = app.other_account().await;
    let (own_supplier, own_warehouse) = other.supplier_and_warehouse().await;

    let with_foreign_supplier = other.create_po(&po_body(&supplier, &own_warehouse)).await;
    assert_error(
        with_foreign_supplier,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_identifier")
            .field("supplier_id", &supplier)
            .says("does not exist")],
    )
    .await;

    let with_foreign_warehouse = other.create_po(&po_body(&own_supplier, &warehouse)).await;
    assert_error(
        with_foreign_warehouse,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_identifier")
            .field("warehouse_id", &warehouse)
            .says("does not exist")],
    )
    .await;

    let draft = other.po(&po_body(&own_supplier, &own_warehouse)).await;
    let id = draft["purchase_order_id"].as_str().unwrap();
    let replace_with_foreign = other.put_po(id, &po_body(&supplier, &own_warehouse)).await;
    assert_error(
        replace_with_foreign,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_identifier")
            .field("supplier_id", &supplier)
            .says("does not exist")],
    )
    .await;
    assert_eq!(ok_json(other.get_po(id).await).await, draft);
    assert_eq!(ok_json(other.list_pos(&[]).await).await["total"], 1);
}

#[tokio::test]
async fn an_unknown_or_malformed_order_id_is_not_found_on_every_route() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;

    for id in ["se-31337", "PO-1", "se-1x"] {
        let expected = [not_found("purchase order", "purchase_order_id", id)];
        assert_error(app.get_po(id).await, StatusCode::NOT_FOUND, &expected).await;
        assert_error(
            app.put_po(id, &po_body(&supplier, &warehouse)).await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
        assert_error(
            app.shipping_details(id, &json!({ "tracking_number": "1Z" }))
                .await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
        assert_error(
            app.set_status(id, "open").await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
    }
}
