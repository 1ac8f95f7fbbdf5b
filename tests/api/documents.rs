//! `GET .../documents/order_summary` and `.../received_summary`: real PDFs over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ApiClient, TestApp, assert_error, error, not_found, ok_json, spawn_app};

/// The text of each page, as a viewer would extract it.
fn pages_of(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let count = document.get_pages().len() as u32;
    (1..=count)
        .map(|page| document.extract_text(&[page]).unwrap())
        .collect()
}

async fn document(client: &ApiClient, po: &str, kind: &str) -> reqwest::Response {
    client
        .send(
            Method::GET,
            &format!("/v2/purchase_orders/{po}/documents/{kind}"),
            None,
        )
        .await
}

pub async fn pdf(client: &ApiClient, po: &str, kind: &str) -> Vec<String> {
    let response = document(client, po, kind).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".pdf")
    );
    pages_of(&response.bytes().await.unwrap())
}

/// An order from a supplier with a full address, with two locations to receive into.
pub async fn order(app: &TestApp, lines: usize) -> (String, String, String, String) {
    let supplier = json!({
        "supplier_name": "Acme Widgets Inc", "supplier_email": "orders@acme.example", "address_line_1": "123 Main St",
        "city": "Austin", "state": "TX", "postal_code": "78701", "country_code": "US",
        "contact_name": "John Doe", "contact_phone": "512-555-0100",
    });
    let supplier = ok_json(app.create_supplier(&supplier).await).await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let warehouse = app.warehouse("Austin DC").await;
    let mut locations = Vec::new();
    for name in ["Bin A-01", "Bin B-02"] {
        let body = json!({ "name": name, "inventory_warehouse_id": warehouse });
        locations.push(
            ok_json(app.create_location(&body).await).await["inventory_location_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let products: Vec<_> = (0..lines)
        .map(|i| json!({ "sku": format!("SKU-{i:03}"), "supplier_sku": format!("ACME-{i}"), "quantity": 10, "cost": 2.5 }))
        .collect();
    let body = json!({ "supplier_id": supplier, "warehouse_id": warehouse, "payment_terms": "net_30",
                       "currency_code": "EUR", "products": products });
    let po = app.po(&body).await;
    (
        po["purchase_order_id"].as_str().unwrap().to_owned(),
        po["order_number"].as_str().unwrap().to_owned(),
        locations[0].clone(),
        locations[1].clone(),
    )
}

/// The text of the order summary of a new two-line order, once it is open.
pub async fn open_order_summary(app: &TestApp) -> String {
    let (po, _, _, _) = order(app, 2).await;
    ok_json(app.set_status(&po, "open").await).await;
    pdf(app, &po, "order_summary").await.join("\n")
}

#[tokio::test]
async fn the_order_summary_prints_supplier_lines_and_total() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, number, _, _) = order(&app, 2).await;
    ok_json(app.set_status(&po, "open").await).await;
    let text = pdf(&app, &po, "order_summary").await.join("\n");
    for expected in [
        number.as_str(),
        "Acme Widgets Inc",
        "orders@acme.example",
        "123 Main St",
        "John Doe",
        "Austin DC",
        "SKU-000",
        "ACME-0",
        "SKU-001",
        "2.50",
        "25.00",
        "50.00 EUR",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_received_summary_lists_every_receipt_with_lots_and_locations() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, number, bin_a, bin_b) = order(&app, 2).await;
    ok_json(app.set_status(&po, "open").await).await;
    let body = json!({ "product_receives": [
        { "sku": "SKU-000", "inventory_location_id": bin_a, "received_quantity": 7, "lot": "LOT-77",
          "expiration_date": "2027-03-31T00:00:00Z" },
        { "sku": "SKU-000", "inventory_location_id": bin_b, "received_quantity": 2, "rejected_quantity": 1 },
    ]});
    ok_json(
        app.send(
            Method::POST,
            &format!("/v2/purchase_orders/{po}/receives"),
            Some(&body),
        )
        .await,
    )
    .await;
    let text = pdf(&app, &po, "received_summary").await.join("\n");
    let key = app
        .store
        .list_keys(None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == app.key_id)
        .unwrap();
    // Who recorded the receipt: the test's key, named by its first characters (it has no label).
    let recorded_by = format!("recorded by API key {}…", key.hint);
    for expected in [
        number.as_str(),
        recorded_by.as_str(),
        "Acme Widgets Inc",
        "SKU-000",
        "Bin A-01",
        "Bin B-02",
        "LOT-77",
        "2027-03-31",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // And the order summary is still available while receiving.
    assert!(
        pdf(&app, &po, "order_summary")
            .await
            .join("\n")
            .contains(&number)
    );
}

#[tokio::test]
async fn a_two_hundred_line_order_renders_on_several_pages() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, _, _, _) = order(&app, 200).await;
    ok_json(app.set_status(&po, "open").await).await;
    let pages = pdf(&app, &po, "order_summary").await;
    assert!(pages.len() > 1, "{} page(s)", pages.len());
    let text = pages.join("\n");
    for i in 0..200 {
        assert!(text.contains(&format!("SKU-{i:03}")), "SKU-{i:03} missing");
    }
    assert!(text.contains("5,000.00 EUR"), "{text}");
}

#[tokio::test]
async fn documents_outside_their_statuses_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, _, _, _) = order(&app, 1).await;
    for kind in ["order_summary", "received_summary"] {
        assert_error(
            document(&app, &po, kind).await,
            StatusCode::BAD_REQUEST,
            &[error("business_rules", "invalid_status")
                .says("'draft'")
                .says(kind)],
        )
        .await;
    }
    ok_json(app.set_status(&po, "open").await).await;
    assert_error(
        document(&app, &po, "received_summary").await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .says("'open'")
            .says("'receiving', 'received', 'closed'")],
    )
    .await;
    ok_json(app.set_status(&po, "cancelled").await).await;
    assert_error(
        document(&app, &po, "order_summary").await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status").says("'cancelled'")],
    )
    .await;
}

#[tokio::test]
async fn another_accounts_documents_are_not_found() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, _, _, _) = order(&app, 1).await;
    ok_json(app.set_status(&po, "open").await).await;
    let other = app.other_account().await;
    for kind in ["order_summary", "received_summary"] {
        assert_error(
            document(&other, &po, kind).await,
            StatusCode::NOT_FOUND,
            &[not_found("purchase order", "purchase_order_id", &po)],
        )
        .await;
    }
}

#[tokio::test]
async fn a_ledger_too_long_for_the_received_summary_shows_its_latest_receipts_and_says_so() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let location = ok_json(
        app.create_location(&json!({ "name": "Dock", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await["inventory_location_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let po = app
        .po(&json!({ "supplier_id": supplier, "warehouse_id": warehouse,
                     "products": [{ "sku": "SKU-000", "quantity": 3000 }] }))
        .await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(app.set_status(&po, "open").await).await;
    // Two receipts of 1,000 lines with lots LOT-A and LOT-B, then one line with LOT-C: the
    // document keeps the latest 2,000 lines at most, so the first receipt is left out.
    for (lot, lines) in [("LOT-A", 1000), ("LOT-B", 1000), ("LOT-C", 1)] {
        let entries: Vec<_> = (0..lines)
            .map(|_| {
                json!({ "sku": "SKU-000", "inventory_location_id": location,
                             "received_quantity": 1, "lot": lot })
            })
            .collect();
        let path = format!("/v2/purchase_orders/{po}/receives");
        let body = json!({ "product_receives": entries });
        ok_json(app.send(Method::POST, &path, Some(&body)).await).await;
    }
    let text = pdf(&app, &po, "received_summary").await.join("\n");
    assert!(
        text.contains("Receipt 1 is left out (1000 lines)"),
        "{text:.2000}"
    );
    assert!(text.contains("LOT-B") && text.contains("LOT-C"));
    assert!(
        !text.contains("LOT-A"),
        "the first receipt's lines are left out"
    );
    // The ledger itself still has every receipt.
    let ledger = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/purchase_orders/{po}/receives"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(ledger["total"], 3);
}
