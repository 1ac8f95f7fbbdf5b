//! `GET /v2/purchase_orders/{id}/receives`: the receipt ledger, oldest first, paged like every
//! list, its page size bounded so that a large order's ledger never comes back in one answer.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, TestApp, assert_error, error, not_found, ok_json, spawn_app};

/// A supplier, a warehouse and a location in it to receive into.
struct Setup {
    supplier: String,
    warehouse: String,
    location: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = json!({ "name": "A", "inventory_warehouse_id": warehouse });
    let location = ok_json(app.create_location(&body).await).await["inventory_location_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        supplier,
        warehouse,
        location,
    }
}

/// An open order of 100 x `S-1`.
async fn open_order(app: &TestApp, s: &Setup) -> String {
    let po = app
        .po(&json!({
            "supplier_id": s.supplier,
            "warehouse_id": s.warehouse,
            "products": [{ "sku": "S-1", "quantity": 100 }],
        }))
        .await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(app.set_status(&po, "open").await).await;
    po
}

/// Records a receipt of `units` and returns nothing: the ledger tells its id.
async fn receive(app: &ApiClient, po: &str, location: &str, units: i64) {
    let body = json!({ "product_receives": [
        { "sku": "S-1", "inventory_location_id": location, "received_quantity": units },
    ] });
    let path = format!("/v2/purchase_orders/{po}/receives");
    ok_json(app.send(Method::POST, &path, Some(&body)).await).await;
}

async fn ledger(app: &ApiClient, href: &str) -> reqwest::Response {
    let url = if href.starts_with('/') {
        app.url(href)
    } else {
        href.to_owned()
    };
    app.http
        .get(url)
        .header("API-Key", &app.api_key)
        .send()
        .await
        .unwrap()
}

/// The receipts' `(receipt_id, received_quantity)` on a page.
fn listed(page: &Value) -> Vec<(String, i64)> {
    page["receives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["receipt_id"].as_str().unwrap().to_owned(),
                r["product_receives"][0]["received_quantity"]
                    .as_i64()
                    .unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn following_next_visits_every_receipt_once_oldest_first_and_sees_later_ones() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let (po, location) = (open_order(&app, &s).await, s.location.clone());
    // Receipt n receives n units, so the quantities tell the order: 1, 2, ..., 12.
    for units in 1..=12 {
        receive(&app, &po, &location, units).await;
    }

    let first = ok_json(
        ledger(
            &app,
            &format!("/v2/purchase_orders/{po}/receives?page_size=5"),
        )
        .await,
    )
    .await;
    assert_eq!(
        (&first["total"], &first["page"], &first["pages"]),
        (&json!(12), &json!(1), &json!(3)),
        "{first}"
    );
    assert!(first["links"].get("prev").is_none(), "{first}");
    let mut seen = listed(&first);
    let mut page = first;
    let mut pages = 1;
    // A receipt recorded while the ledger is being read comes at its end, still counted once.
    receive(&app, &po, &location, 13).await;
    while let Some(next) = page["links"]["next"]["href"].as_str() {
        page = ok_json(ledger(&app, next).await).await;
        pages += 1;
        assert_eq!(page["page"], pages, "{page}");
        seen.extend(listed(&page));
    }
    let quantities: Vec<i64> = seen.iter().map(|(_, q)| *q).collect();
    assert_eq!(quantities, (1..=13).collect::<Vec<_>>());
    let mut ids: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 13, "every receipt once: {seen:?}");

    // By number: the third page of five holds the 11th receipt onwards.
    let third = ok_json(
        ledger(
            &app,
            &format!("/v2/purchase_orders/{po}/receives?page_size=5&page=3"),
        )
        .await,
    )
    .await;
    assert_eq!(
        listed(&third).iter().map(|(_, q)| *q).collect::<Vec<_>>(),
        [11, 12, 13]
    );
    assert_eq!(third["total"], 13);
    assert!(third["links"].get("next").is_none(), "{third}");

    // Without page_size: 50 at most, here all of them.
    let all = ok_json(ledger(&app, &format!("/v2/purchase_orders/{po}/receives")).await).await;
    assert_eq!(listed(&all).len(), 13);
    assert_eq!((&all["page"], &all["pages"]), (&json!(1), &json!(1)));
}

#[tokio::test]
async fn an_order_without_receipts_has_one_empty_page() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let po = open_order(&app, &setup(&app).await).await;
    let page = ok_json(ledger(&app, &format!("/v2/purchase_orders/{po}/receives")).await).await;
    assert_eq!(page["receives"], json!([]));
    assert_eq!(
        (&page["total"], &page["page"], &page["pages"]),
        (&json!(0), &json!(1), &json!(1))
    );
    assert!(page["links"].get("next").is_none(), "{page}");
}

#[tokio::test]
async fn the_page_size_is_bounded_and_unknown_parameters_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let po = open_order(&app, &setup(&app).await).await;
    let path = format!("/v2/purchase_orders/{po}/receives");
    assert_error(
        ledger(&app, &format!("{path}?page_size=101")).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("page_size", "101")
            .says("from 1 to 100")],
    )
    .await;
    assert_error(
        ledger(&app, &format!("{path}?sku=S-1")).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value").field("sku", "S-1")],
    )
    .await;
    let page = ok_json(ledger(&app, &format!("{path}?page_size=100")).await).await;
    assert_eq!(page["receives"], json!([]));
}

#[tokio::test]
async fn a_cursor_of_one_orders_ledger_does_not_page_another() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let s = setup(&app).await;
    let (po, location) = (open_order(&app, &s).await, s.location.clone());
    let (other_po, other_location) = (open_order(&app, &s).await, location.clone());
    for _ in 0..3 {
        receive(&app, &po, &location, 1).await;
        receive(&app, &other_po, &other_location, 1).await;
    }
    let first = ok_json(
        ledger(
            &app,
            &format!("/v2/purchase_orders/{po}/receives?page_size=1"),
        )
        .await,
    )
    .await;
    let next = first["links"]["next"]["href"].as_str().unwrap();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();
    assert_error(
        ledger(
            &app,
            &format!("/v2/purchase_orders/{other_po}/receives?page_size=1&cursor={cursor}"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("cursor", &cursor)
            .says("not a cursor from links.next.href")],
    )
    .await;

    // Another account sees neither the ledger nor, through the cursor, a page of it.
    let stranger = app.other_account().await;
    assert_error(
        ledger(&stranger, &format!("/v2/purchase_orders/{po}/receives")).await,
        StatusCode::NOT_FOUND,
        &[not_found("purchase order", "purchase_order_id", &po)],
    )
    .await;
    assert_error(
        ledger(&stranger, next).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("cursor", &cursor)
            .says("not a cursor from links.next.href")],
    )
    .await;
}
