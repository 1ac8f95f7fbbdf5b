//! Money and stock at the edges of the documented limits: quantities up to 10^9, unit costs below
//! 10^9 with six decimals. Stock value is exact at every size; a bound is refused up front.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, TestApp, assert_error, error, ok_json, spawn_app};

const BILLION: i64 = 1_000_000_000;

async fn location(client: &ApiClient, warehouse: &str, name: &str) -> String {
    let body = json!({ "name": name, "inventory_warehouse_id": warehouse });
    let location = ok_json(client.create_location(&body).await).await;
    location["inventory_location_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An open order for `quantity` x `sku` at `cost` (the JSON number exactly as written).
async fn open_order(
    app: &TestApp,
    supplier: &str,
    warehouse: &str,
    sku: &str,
    quantity: i64,
    cost: &str,
) -> String {
    let body: Value = serde_json::from_str(&format!(
        r#"{{ "supplier_id": "{supplier}", "warehouse_id": "{warehouse}",
             "products": [{{ "sku": "{sku}", "quantity": {quantity}, "cost": {cost} }}] }}"#
    ))
    .unwrap();
    let po = app.po(&body).await["purchase_order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok_json(app.set_status(&po, "open").await).await;
    po
}

async fn receive(client: &ApiClient, po: &str, sku: &str, location: &str, units: i64) -> Response {
    let body = json!({ "product_receives": [
        { "sku": sku, "inventory_location_id": location, "received_quantity": units },
    ] });
    client
        .send(
            Method::POST,
            &format!("/v2/purchase_orders/{po}/receives"),
            Some(&body),
        )
        .await
}

async fn inventory(client: &ApiClient, query: &str) -> Value {
    ok_json(
        client
            .send(Method::GET, &format!("/v2/inventory{query}"), None)
            .await,
    )
    .await
}

/// The one row `GET /v2/inventory{query}` lists: (on_hand, average cost as written).
async fn only_row(client: &ApiClient, query: &str) -> (i64, String) {
    let stock = inventory(client, query).await;
    assert_eq!(stock["total"], 1, "{stock}");
    let row = &stock["inventory"][0];
    (
        row["on_hand"].as_i64().unwrap(),
        row["average_cost"]["amount"].to_string(),
    )
}

#[tokio::test]
async fn two_receipts_of_a_billion_units_at_5000_keep_an_exact_stock_value() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc = location(&app, &warehouse, "A - 01").await;
    for _ in 0..2 {
        let po = open_order(&app, &supplier, &warehouse, "BULK-1", BILLION, "5000").await;
        let answer = receive(&app, &po, "BULK-1", &loc, BILLION).await;
        assert_eq!(
            ok_json(answer).await,
            json!({ "purchase_order_id": po, "status": "received" })
        );
    }
    let stock = inventory(&app, "?sku=BULK-1").await;
    assert_eq!(stock["total"], 1);
    assert_eq!(stock["inventory"][0]["on_hand"], 2 * BILLION);
    assert_eq!(
        stock["inventory"][0]["average_cost"],
        json!({ "amount": 5000, "currency": "USD" })
    );
    assert_eq!(
        only_row(&app, "?sku=BULK-1&group_by=warehouse").await,
        (2 * BILLION, "5000".to_owned())
    );
    // The listing without a filter includes the row too, and answers.
    assert_eq!(inventory(&app, "").await["total"], 1);
}

#[tokio::test]
async fn a_billion_units_at_the_largest_cost_average_to_that_cost() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc_a = location(&app, &warehouse, "A - 01").await;
    let loc_b = location(&app, &warehouse, "B - 01").await;
    let po = open_order(
        &app,
        &supplier,
        &warehouse,
        "DEAR-1",
        BILLION,
        "999999999.999999",
    )
    .await;
    let answer = receive(&app, &po, "DEAR-1", &loc_a, BILLION - 1).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer = receive(&app, &po, "DEAR-1", &loc_b, 1).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        only_row(&app, &format!("?sku=DEAR-1&inventory_location_id={loc_a}")).await,
        (BILLION - 1, "999999999.999999".to_owned())
    );
    assert_eq!(
        only_row(&app, "?sku=DEAR-1&group_by=warehouse").await,
        (BILLION, "999999999.999999".to_owned())
    );
}

#[tokio::test]
async fn averages_of_different_costs_round_half_up_to_micros() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc = location(&app, &warehouse, "A - 01").await;
    // (2 x 0.000001 + 1 x 0.000002) / 3 = 0.00000133.. -> 0.000001;
    // then + 1 x 0.000003: 7 / 4 = 1.75 micros -> 0.000002.
    for (cost, units) in [("0.000001", 2), ("0.000002", 1)] {
        let po = open_order(&app, &supplier, &warehouse, "TINY-1", units, cost).await;
        assert_eq!(
            receive(&app, &po, "TINY-1", &loc, units).await.status(),
            200
        );
    }
    assert_eq!(
        only_row(&app, "?sku=TINY-1").await,
        (3, "0.000001".to_owned())
    );
    let po = open_order(&app, &supplier, &warehouse, "TINY-1", 1, "0.000003").await;
    assert_eq!(receive(&app, &po, "TINY-1", &loc, 1).await.status(), 200);
    assert_eq!(
        only_row(&app, "?sku=TINY-1").await,
        (4, "0.000002".to_owned())
    );
}

/// Sets the stock of `sku` at its one row straight in the database: no request can bring that
/// many units in a test's time.
async fn set_on_hand(app: &TestApp, sku: &str, on_hand: i64) {
    let sql = "UPDATE inventory_levels SET on_hand = $1 WHERE sku = $2";
    if app.db.postgres().is_some() {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        let n = sqlx::query(sql)
            .bind(on_hand)
            .bind(sku)
            .execute(&mut conn)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(n, 1);
    } else {
        let conn = rusqlite::Connection::open(&app.db.url).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let n = conn
            .execute(&sql.replace('$', "?"), rusqlite::params![on_hand, sku])
            .unwrap();
        assert_eq!(n, 1);
    }
}

#[tokio::test]
async fn a_receipt_past_the_most_one_warehouse_may_hold_is_refused_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let loc_a = location(&app, &warehouse, "A - 01").await;
    let loc_b = location(&app, &warehouse, "B - 01").await;
    let po = open_order(&app, &supplier, &warehouse, "FULL-1", 100, "1.5").await;
    assert_eq!(receive(&app, &po, "FULL-1", &loc_a, 1).await.status(), 200);
    set_on_hand(&app, "FULL-1", i64::MAX - 7).await;
    let before = ok_json(app.get_po(&po).await).await;

    // Into another location of the same warehouse: the warehouse total is what is bounded.
    let refused = receive(&app, &po, "FULL-1", &loc_b, 8).await;
    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_field_value")
            .field("product_receives[0].received_quantity", "8")
            .says("9223372036854775800 unit(s) on hand")
            .says("9223372036854775807")],
    )
    .await;
    assert_eq!(ok_json(app.get_po(&po).await).await, before);
    let stock = inventory(&app, "?sku=FULL-1").await;
    assert_eq!(stock["total"], 1, "no row was added: {stock}");
    assert_eq!(stock["inventory"][0]["on_hand"], i64::MAX - 7);

    // Up to the limit exactly is fine, and still averages exactly.
    assert_eq!(receive(&app, &po, "FULL-1", &loc_b, 7).await.status(), 200);
    assert_eq!(
        only_row(&app, "?sku=FULL-1&group_by=warehouse").await,
        (i64::MAX, "1.5".to_owned())
    );
    let refused = receive(&app, &po, "FULL-1", &loc_a, 1).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

/// A create body with `products` written out as raw JSON, so that numbers arrive digit for digit.
fn raw_order(supplier: &str, warehouse: &str, products: &str) -> Value {
    serde_json::from_str(&format!(
        r#"{{ "supplier_id": "{supplier}", "warehouse_id": "{warehouse}", "products": [{products}] }}"#
    ))
    .unwrap()
}

fn invalid(field: &str, value: &str, says: &str) -> crate::helpers::Expected {
    error("validation", "invalid_field_value")
        .field(field, value)
        .says(says)
}

#[tokio::test]
async fn costs_with_more_than_six_decimals_are_refused_however_they_are_written() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = raw_order(
        &supplier,
        &warehouse,
        r#"{ "sku": "A", "quantity": 1, "cost": 0.000000000000000000000000000001 },
           { "sku": "B", "quantity": 1, "cost": 1e-30 },
           { "sku": "C", "quantity": 1, "cost": 1.0000000000000000000000000001 },
           { "sku": "D", "quantity": 1, "cost": 2.5E-7 },
           { "sku": "E", "quantity": 1, "cost": 1e9 },
           { "sku": "F", "quantity": 1, "cost": 1.50000000 }"#,
    );
    let places = "must have at most 6 decimal places";
    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[
            invalid(
                "products[0].cost",
                "0.000000000000000000000000000001",
                places,
            ),
            invalid("products[1].cost", "1e-30", places),
            invalid("products[2].cost", "1.0000000000000000000000000001", places),
            invalid("products[3].cost", "2.5e-7", places),
            invalid("products[4].cost", "1e+9", "less than 1000000000"),
        ],
    )
    .await;
    let listed = ok_json(app.list_pos(&[]).await).await;
    assert_eq!(
        listed["total"], 0,
        "a refused order is not stored: {listed}"
    );
}

#[tokio::test]
async fn exact_costs_and_whole_quantities_keep_their_value_in_any_notation() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = raw_order(
        &supplier,
        &warehouse,
        r#"{ "sku": "A", "quantity": 1e3, "cost": 1.50000000 },
           { "sku": "B", "quantity": 2.0, "cost": 1.5e-5 },
           { "sku": "C", "quantity": 3, "cost": 999999999.999999 }"#,
    );
    let created = app.po(&body).await;
    let lines: Vec<(String, String)> = created["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["quantity"].to_string(), p["cost"].to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("1000".to_owned(), "1.5".to_owned()),
            ("2".to_owned(), "0.000015".to_owned()),
            ("3".to_owned(), "999999999.999999".to_owned()),
        ]
    );
}

#[tokio::test]
async fn quantities_that_are_not_exact_whole_numbers_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = raw_order(
        &supplier,
        &warehouse,
        r#"{ "sku": "A", "quantity": 99999999999999999999 },
           { "sku": "B", "quantity": 1.0000000000000000000000000001 },
           { "sku": "C", "quantity": 1e-30 }"#,
    );
    assert_error(
        app.create_po(&body).await,
        StatusCode::BAD_REQUEST,
        &[
            invalid(
                "products[0].quantity",
                "99999999999999999999",
                "from -9223372036854775808 to 9223372036854775807",
            ),
            invalid(
                "products[1].quantity",
                "1.0000000000000000000000000001",
                "whole number",
            ),
            invalid("products[2].quantity", "1e-30", "whole number"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);

    // And in a receipt, where a huge count must not wrap into a small one either.
    let loc = location(&app, &warehouse, "A - 01").await;
    let po = open_order(&app, &supplier, &warehouse, "A", 10, "1").await;
    let body: Value = serde_json::from_str(&format!(
        r#"{{ "product_receives": [{{ "sku": "A", "inventory_location_id": "{loc}",
             "received_quantity": 18446744073709551617, "rejected_quantity": 2.0 }}] }}"#
    ))
    .unwrap();
    let refused = app
        .send(
            Method::POST,
            &format!("/v2/purchase_orders/{po}/receives"),
            Some(&body),
        )
        .await;
    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[invalid(
            "product_receives[0].received_quantity",
            "18446744073709551617",
            "from -9223372036854775808 to 9223372036854775807",
        )],
    )
    .await;
    assert_eq!(inventory(&app, "").await["total"], 0);
}

#[tokio::test]
async fn racing_receipts_of_several_orders_never_pass_the_warehouse_limit_together() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut locations = Vec::new();
    for name in ["A - 01", "B - 01", "C - 01", "D - 01"] {
        locations.push(location(&app, &warehouse, name).await);
    }
    let first = open_order(&app, &supplier, &warehouse, "RACE-1", 1, "2").await;
    assert_eq!(
        receive(&app, &first, "RACE-1", &locations[0], 1)
            .await
            .status(),
        200
    );
    set_on_hand(&app, "RACE-1", i64::MAX - 10).await;
    let mut orders = Vec::new();
    for _ in 0..8 {
        orders.push(open_order(&app, &supplier, &warehouse, "RACE-1", 6, "2").await);
    }
    // Eight orders at once, two into each location (its row exists already or not): one fits.
    let mut tasks = Vec::new();
    for (i, po) in orders.into_iter().enumerate() {
        let client = app.client.clone();
        let location = locations[i % 4].clone();
        tasks.push(tokio::spawn(async move {
            receive(&client, &po, "RACE-1", &location, 6)
                .await
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
    assert_eq!(
        only_row(&app, "?sku=RACE-1&group_by=warehouse").await.0,
        i64::MAX - 4
    );
}
