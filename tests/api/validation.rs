//! Request bodies of purchase orders: every problem is reported at once, with its path and value.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, error, ok_json, po_body, spawn_app};

fn invalid(field: &str, value: &str, says: &str) -> crate::helpers::Expected {
    error("validation", "invalid_field_value")
        .field(field, value)
        .says(says)
}

#[tokio::test]
async fn a_body_with_many_mistakes_gets_one_entry_for_each() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let long_reference = "R".repeat(101);

    let refused = app
        .create_po(&json!({
            "supplier_id": "acme",
            "order_date": "2025-13-45T00:00:00Z",
            "expected_delivery_date": "2025-02-01",
            "payment_terms": "net_31",
            "payment_status": "late",
            "currency_code": "XYZ",
            "reference_number": long_reference,
            "products": [
                { "sku": "A", "quantity": 1 },
                { "sku": "B", "quantity": 1.5 },
                { "sku": "C", "quantity": 0 },
                { "sku": "D", "quantity": "3" },
                { "sku": "E", "quantity": 1, "cost": -1 },
                { "sku": "F", "quantity": 1, "cost": 0.1234567 },
                { "quantity": 1000000001, "colour": "red" },
            ],
            "priority": "high",
        }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_identifier")
                .field("supplier_id", "acme")
                .says("not a valid id"),
            error("validation", "field_value_required")
                .field_without_value("warehouse_id")
                .says("warehouse_id is required"),
            invalid("order_date", "2025-13-45T00:00:00Z", "RFC 3339"),
            invalid("expected_delivery_date", "2025-02-01", "RFC 3339"),
            invalid(
                "payment_terms",
                "net_31",
                "must be one of: none, cash_on_delivery",
            ),
            invalid("payment_status", "late", "must be one of: none, unpaid"),
            invalid("currency_code", "XYZ", "ISO 4217"),
            error("validation", "invalid_string_length")
                .field("reference_number", &long_reference)
                .says("at most 100 characters"),
            invalid("products[1].quantity", "1.5", "whole number"),
            invalid("products[2].quantity", "0", "from 1 to 1000000000"),
            invalid("products[3].quantity", "3", "not a string"),
            invalid("products[4].cost", "-1", "0 or more"),
            invalid("products[5].cost", "0.1234567", "at most 6 decimal places"),
            error("validation", "field_value_required")
                .field_without_value("products[6].sku")
                .says("products[6].sku is required"),
            invalid("products[6].quantity", "1000000001", "from 1 to 1000000000"),
            invalid(
                "products[6].colour",
                "red",
                "products[6].colour is not a known field",
            ),
            invalid("priority", "high", "priority is not a known field"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn an_empty_object_is_missing_every_required_field() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app.create_po(&json!({})).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "field_value_required")
                .field_without_value("supplier_id")
                .says("is required"),
            error("validation", "field_value_required")
                .field_without_value("warehouse_id")
                .says("is required"),
            error("validation", "field_value_required")
                .field_without_value("products")
                .says("is required"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app.create_po(&json!([{ "sku": "A" }])).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_object").says("must be a JSON object, not an array")],
    )
    .await;
}

/// A valid body whose `products` are replaced.
async fn with_products(products: Value) -> Option<(crate::helpers::TestApp, Value)> {
    let app = spawn_app().await?;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut body = po_body(&supplier, &warehouse);
    body["products"] = products;
    Some((app, body))
}

#[tokio::test]
async fn a_sku_twice_in_one_order_is_refused_pointing_at_the_repeat() {
    let products = json!([{ "sku": "A", "quantity": 1 }, { "sku": "B", "quantity": 1 }, { "sku": "A", "quantity": 2 }]);
    let Some((app, body)) = with_products(products).await else {
        return;
    };

    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[invalid(
            "products[2].sku",
            "A",
            "SKU 'A' already appears in products[0]",
        )],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn an_order_needs_at_least_one_product() {
    let Some((app, body)) = with_products(json!([])).await else {
        return;
    };

    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("products")
            .says("at least one product")],
    )
    .await;
}

#[tokio::test]
async fn an_order_may_have_1000_products_but_not_1001() {
    let lines = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({ "sku": format!("SKU-{i}"), "quantity": 1 }))
                .collect(),
        )
    };
    let Some((app, mut body)) = with_products(lines(1001)).await else {
        return;
    };

    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("products")
            .says("at most 1000 products")],
    )
    .await;

    body["products"] = lines(1000);
    let created = ok_json(app.create_po(&body).await).await;
    assert_eq!(created["products"].as_array().unwrap().len(), 1000);
    assert_eq!(created["products"][999]["sku"], "SKU-999");
}

#[tokio::test]
async fn products_that_are_not_an_array_of_objects_are_refused() {
    let Some((app, body)) = with_products(json!("WIDGET")).await else {
        return;
    };
    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[invalid("products", "WIDGET", "must be an array")],
    )
    .await;

    let Some((app, body)) = with_products(json!([{ "sku": "A", "quantity": 1 }, 7])).await else {
        return;
    };
    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[invalid("products[1]", "7", "must be an object")],
    )
    .await;
}

#[tokio::test]
async fn strings_over_their_limit_are_refused_with_the_value_cut_short() {
    let Some((app, mut body)) =
        with_products(json!([{ "sku": "S".repeat(101), "quantity": 1, "cost": "9.99" }])).await
    else {
        return;
    };
    body["note_to_supplier"] = json!("n".repeat(2001));

    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_string_length")
                .field("note_to_supplier", &format!("{}...", "n".repeat(200)))
                .says("at most 2000 characters"),
            error("validation", "invalid_string_length")
                .field("products[0].sku", &"S".repeat(101))
                .says("1 to 100 characters"),
            invalid("products[0].cost", "9.99", "must be a number, not a string"),
        ],
    )
    .await;
}

#[tokio::test]
async fn currency_codes_must_be_iso_4217_in_upper_case() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut body = po_body(&supplier, &warehouse);

    for code in ["usd", "EURO", "ABC"] {
        body["currency_code"] = json!(code);
        assert_error(
            app.create_po(&body).await,
            StatusCode::BAD_REQUEST,
            &[invalid("currency_code", code, "ISO 4217")],
        )
        .await;
    }
    body["currency_code"] = json!("JPY");
    assert_eq!(
        ok_json(app.create_po(&body).await).await["currency_code"],
        "JPY"
    );
}

#[tokio::test]
async fn put_reports_body_mistakes_like_create_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let created = app.po(&po_body(&supplier, &warehouse)).await;
    let id = created["purchase_order_id"].as_str().unwrap();
    let mut body = po_body(&supplier, &warehouse);
    body["products"][1]["quantity"] = json!(0);
    body["payment_terms"] = json!("net_31");

    assert_error(
        app.put_po(id, &body).await,
        StatusCode::BAD_REQUEST,
        &[
            invalid("payment_terms", "net_31", "must be one of"),
            invalid("products[1].quantity", "0", "from 1"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.get_po(id).await).await, created);
}

#[tokio::test]
async fn null_in_an_optional_field_of_create_or_put_is_refused_naming_each_field() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let created = app.po(&po_body(&supplier, &warehouse)).await;
    let id = created["purchase_order_id"].as_str().unwrap();
    let mut body = po_body(&supplier, &warehouse);
    body["payment_terms"] = json!(null);
    body["note_to_supplier"] = json!(null);
    body["products"][0]["cost"] = json!(null);
    body["products"][1]["supplier_sku"] = json!(null);
    let null = |field: &str| invalid(field, "null", "must not be null; omit the field instead");
    let expected = [
        null("payment_terms"),
        null("note_to_supplier"),
        null("products[0].cost"),
        null("products[1].supplier_sku"),
    ];

    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &expected,
    )
    .await;
    assert_error(
        app.put_po(id, &body).await,
        StatusCode::BAD_REQUEST,
        &expected,
    )
    .await;
    assert_eq!(ok_json(app.get_po(id).await).await, created);
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 1);
}
