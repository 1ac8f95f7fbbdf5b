//! The `API-Key` header, tenant isolation on every route, and the per-account rate limit.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ApiClient, assert_error, error, not_found, ok_json, po_body, spawn_app,
    spawn_app_with_rate_limit, supplier_body,
};

fn unauthorized(says: &str) -> crate::helpers::Expected {
    error("security", "unauthorized").says(says)
}

#[tokio::test]
async fn a_request_without_a_key_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let answer = app
        .http
        .post(app.url("/v2/suppliers"))
        .json(&supplier_body("Acme"))
        .send()
        .await
        .unwrap();

    assert_error(
        answer,
        StatusCode::UNAUTHORIZED,
        &[unauthorized("API-Key header is missing")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for key in [
        "pk_0000000000000000000000000000000000000000000000000000000000000000",
        "",
        &app.api_key[1..],
    ] {
        let answer = app
            .http
            .get(app.url("/v2/purchase_orders"))
            .header("API-Key", key)
            .send()
            .await
            .unwrap();

        assert_error(
            answer,
            StatusCode::UNAUTHORIZED,
            &[unauthorized("not valid")],
        )
        .await;
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_and_the_accounts_other_keys_still_work() {
    let Some(app) = spawn_app().await else {
        return;
    };
    assert_eq!(app.list_suppliers(&[]).await.status(), StatusCode::OK);
    let second_key = procura::domain::account::NewApiKey::generate();
    let second_secret = second_key.secret.clone();
    app.store
        .create_key(app.account_id, second_key)
        .await
        .unwrap();

    app.store.revoke_key(app.key_id).await.unwrap();

    assert_error(
        app.list_suppliers(&[]).await,
        StatusCode::UNAUTHORIZED,
        &[unauthorized("revoked")],
    )
    .await;
    let other_key = app
        .http
        .get(app.url("/v2/suppliers"))
        .header("API-Key", &second_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(other_key).await["total"], 0);
}

/// Sends a request over a bare TCP connection, so that the header name goes out exactly as written.
async fn raw_get(address: &str, path: &str, header_line: &str) -> String {
    use std::io::{Read, Write};
    let host = address.trim_start_matches("http://").to_owned();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{header_line}\r\nConnection: close\r\n\r\n"
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_key_header_name_is_case_insensitive() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for name in ["API-Key", "api-key", "API-KEY", "aPi-kEy"] {
        let answer = raw_get(
            &app.address,
            "/v2/suppliers",
            &format!("{name}: {}", app.api_key),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\n"),
            "{name}: {answer}"
        );
        assert!(answer.contains(r#""suppliers":[]"#), "{name}: {answer}");
    }
    let without = raw_get(&app.address, "/v2/suppliers", "X-Other: 1").await;
    assert!(
        without.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{without}"
    );
}

#[tokio::test]
async fn health_and_readiness_need_no_key() {
    let Some(app) = spawn_app().await else {
        return;
    };

    assert_eq!(
        ok_json(app.healthz().await).await,
        json!({ "status": "ok" })
    );
    assert_eq!(
        ok_json(app.http.get(app.url("/readyz")).send().await.unwrap()).await,
        json!({ "status": "ready" })
    );
}

/// What account A owns; account B tries every route against it.
struct Owned {
    supplier: String,
    warehouse: String,
    location: String,
    order: String,
}

async fn everything_of(client: &ApiClient) -> Owned {
    let (supplier, warehouse) = client.supplier_and_warehouse().await;
    let location = ok_json(
        client
            .create_location(&json!({ "name": "A-01", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await;
    let order = client
        .po_in(&po_body(&supplier, &warehouse), &["open"])
        .await;
    let location = location["inventory_location_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Owned {
        supplier,
        warehouse,
        location,
        order,
    }
}

#[tokio::test]
async fn another_accounts_objects_are_not_found_on_every_route() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let a = everything_of(&app).await;
    let a_before = (
        ok_json(app.get_supplier(&a.supplier).await).await,
        ok_json(app.get_warehouse(&a.warehouse).await).await,
        ok_json(app.get_location(&a.location).await).await,
        ok_json(app.get_po(&a.order).await).await,
    );
    let b = app.other_account().await;
    let own = everything_of(&b).await;
    let supplier_404 = [not_found("supplier", "supplier_id", &a.supplier)];
    let warehouse_404 = [not_found(
        "inventory warehouse",
        "inventory_warehouse_id",
        &a.warehouse,
    )];
    let location_404 = [not_found(
        "inventory location",
        "inventory_location_id",
        &a.location,
    )];
    let order_404 = [not_found("purchase order", "purchase_order_id", &a.order)];

    assert_error(
        b.get_supplier(&a.supplier).await,
        StatusCode::NOT_FOUND,
        &supplier_404,
    )
    .await;
    assert_error(
        b.put_supplier(&a.supplier, &supplier_body("Mine")).await,
        StatusCode::NOT_FOUND,
        &supplier_404,
    )
    .await;
    assert_error(
        b.get_warehouse(&a.warehouse).await,
        StatusCode::NOT_FOUND,
        &warehouse_404,
    )
    .await;
    assert_error(
        b.put_warehouse(&a.warehouse, &json!({ "name": "Mine" }))
            .await,
        StatusCode::NOT_FOUND,
        &warehouse_404,
    )
    .await;
    assert_error(
        b.delete_warehouse(&a.warehouse).await,
        StatusCode::NOT_FOUND,
        &warehouse_404,
    )
    .await;
    assert_error(
        b.get_location(&a.location).await,
        StatusCode::NOT_FOUND,
        &location_404,
    )
    .await;
    assert_error(
        b.put_location(&a.location, &json!({ "name": "Mine" }))
            .await,
        StatusCode::NOT_FOUND,
        &location_404,
    )
    .await;
    assert_error(
        b.delete_location(&a.location).await,
        StatusCode::NOT_FOUND,
        &location_404,
    )
    .await;
    assert_error(b.get_po(&a.order).await, StatusCode::NOT_FOUND, &order_404).await;
    assert_error(
        b.put_po(&a.order, &po_body(&own.supplier, &own.warehouse))
            .await,
        StatusCode::NOT_FOUND,
        &order_404,
    )
    .await;
    assert_error(
        b.shipping_details(&a.order, &json!({ "tracking_number": "1Z" }))
            .await,
        StatusCode::NOT_FOUND,
        &order_404,
    )
    .await;
    assert_error(
        b.set_status(&a.order, "cancelled").await,
        StatusCode::NOT_FOUND,
        &order_404,
    )
    .await;

    let a_after = (
        ok_json(app.get_supplier(&a.supplier).await).await,
        ok_json(app.get_warehouse(&a.warehouse).await).await,
        ok_json(app.get_location(&a.location).await).await,
        ok_json(app.get_po(&a.order).await).await,
    );
    assert_eq!(a_after, a_before);
}

fn ids(list: &serde_json::Value, key: &str, id: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[id].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_show_only_the_callers_own_objects() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let a = everything_of(&app).await;
    let b = app.other_account().await;
    let own = everything_of(&b).await;

    let suppliers = ok_json(b.list_suppliers(&[]).await).await;
    assert_eq!(
        (
            ids(&suppliers, "suppliers", "supplier_id"),
            suppliers["total"].clone()
        ),
        (vec![own.supplier.clone()], json!(1))
    );
    let warehouses = ok_json(b.list_warehouses(&[]).await).await;
    assert_eq!(
        ids(
            &warehouses,
            "inventory_warehouses",
            "inventory_warehouse_id"
        ),
        vec![own.warehouse.clone()]
    );
    let locations = ok_json(b.list_locations(&[]).await).await;
    assert_eq!(
        ids(&locations, "inventory_locations", "inventory_location_id"),
        vec![own.location.clone()]
    );
    let orders = ok_json(b.list_pos(&[]).await).await;
    assert_eq!(
        (
            ids(&orders, "purchase_orders", "purchase_order_id"),
            orders["total"].clone()
        ),
        (vec![own.order.clone()], json!(1))
    );

    let by_foreign_warehouse = ok_json(
        b.list_locations(&[("inventory_warehouse_id", &a.warehouse)])
            .await,
    )
    .await;
    assert_eq!(by_foreign_warehouse["total"], 0);
    for (key, value) in [("supplier_id", &a.supplier), ("warehouse_id", &a.warehouse)] {
        let filtered = ok_json(b.list_pos(&[(key, value)]).await).await;
        assert_eq!(
            (
                filtered["total"].clone(),
                filtered["purchase_orders"].clone()
            ),
            (json!(0), json!([])),
            "{key}"
        );
    }
    let same_number = ok_json(app.get_po(&a.order).await).await["order_number"].clone();
    let by_number = ok_json(
        b.list_pos(&[("order_number", same_number.as_str().unwrap())])
            .await,
    )
    .await;
    assert_eq!(
        ids(&by_number, "purchase_orders", "purchase_order_id"),
        vec![own.order.clone()]
    );
}

#[tokio::test]
async fn past_the_rate_limit_an_account_gets_429_with_retry_after_and_others_are_not_affected() {
    let Some(app) = spawn_app_with_rate_limit(3).await else {
        return;
    };
    let other = app.other_account().await;

    for _ in 0..3 {
        assert_eq!(app.list_suppliers(&[]).await.status(), StatusCode::OK);
    }
    let limited = app.send(Method::GET, "/v2/suppliers", None).await;

    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        &[error("system", "rate_limit_exceeded").says("rate limit exceeded; retry after")],
    )
    .await;
    assert_eq!(ok_json(other.list_suppliers(&[]).await).await["total"], 0);
    assert_eq!(
        ok_json(app.healthz().await).await,
        json!({ "status": "ok" })
    );
}
