//! `GET /openapi.json`: a 3.1 document, snapshot-tested so that every API change shows in review.

use serde_json::Value;

use crate::helpers::{ok_json, spawn_app};

const OPERATIONS: [&str; 20] = [
    "list_purchase_orders",
    "create_purchase_order",
    "get_purchase_order",
    "update_purchase_order",
    "update_purchase_order_shipping_details",
    "update_purchase_order_status",
    "list_suppliers",
    "create_supplier",
    "get_supplier",
    "update_supplier",
    "getInventoryWarehouses",
    "addNewInventoryWarehouse",
    "getInventoryWarehouseById",
    "updateInventoryWarehouse",
    "deleteInventoryWarehouse",
    "listInventoryLocations",
    "createInventoryLocation",
    "getInventoryLocationById",
    "updateInventoryLocation",
    "deleteInventoryLocationById",
];

fn operation_ids(document: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for item in document["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("a path item").values() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

#[tokio::test]
async fn the_document_is_openapi_3_1_served_without_a_key_and_lists_every_operation() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let answer = app.http.get(app.url("/openapi.json")).send().await.unwrap();

    assert_eq!(answer.headers()["content-type"], "application/json");
    let document = ok_json(answer).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        document["openapi"]
    );
    let ids = operation_ids(&document);
    for operation in OPERATIONS {
        assert_eq!(
            ids.iter().filter(|id| *id == operation).count(),
            1,
            "operationId {operation}"
        );
    }
    let envelope = &document["components"]["schemas"]["error_response_body"];
    let mut required: Vec<&str> = envelope["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["errors", "request_id"]);
    assert_eq!(
        document["components"]["securitySchemes"]["api_keys"]["name"],
        "API-Key"
    );
}

#[tokio::test]
async fn the_document_matches_the_snapshot() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let served = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");

    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, format!("{}\n", served.trim_end())).expect("the snapshot is written");
        return;
    }

    let snapshot = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; create it with `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`", path.display())
    });
    let expected: Value = serde_json::from_str(&snapshot).expect("the snapshot is JSON");
    let actual: Value = serde_json::from_str(&served).expect("the document is JSON");
    assert!(
        actual == expected,
        "the OpenAPI document differs from {}.\nIf the API change is intended, review it and run \
         `UPDATE_SNAPSHOTS=1 cargo test --test api openapi`, then commit the snapshot; `git diff` shows the change.",
        path.display()
    );
}

#[tokio::test]
async fn the_reference_page_and_its_script_are_served_from_the_binary() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let page = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<rapi-doc spec-url="/openapi.json""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<script type="module" src="/docs/rapidoc-min.js"></script>"#),
        "{html}"
    );
    assert!(
        !html.contains("http"),
        "nothing is fetched from elsewhere: {html}"
    );

    let script = app
        .http
        .get(app.url("/docs/rapidoc-min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), reqwest::StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let body = script.bytes().await.unwrap();
    let shipped = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/rapidoc/rapidoc-min.js"),
    )
    .unwrap();
    assert_eq!(body.len(), shipped.len());
    assert!(body == shipped);
}

#[tokio::test]
async fn metrics_are_prometheus_text_by_route_pattern_and_status() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let id = crate::helpers::ok_json(
        app.create_supplier(&crate::helpers::supplier_body("Acme"))
            .await,
    )
    .await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_supplier(&id).await.status(),
        reqwest::StatusCode::OK
    );
    assert_eq!(
        app.get_supplier("se-999999").await.status(),
        reqwest::StatusCode::NOT_FOUND
    );

    let answer = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    // The format itself is checked by Prometheus's own Python parser in tests/conformance; here,
    // what the lines say.
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    };
    let by_id = r#"method="GET",route="/v2/suppliers/{supplier_id}""#;
    assert!(
        value(&format!(
            "procura_http_requests_total{{{by_id},status=\"200\"}}"
        )) >= 1.0
    );
    assert!(
        value(&format!(
            "procura_http_requests_total{{{by_id},status=\"404\"}}"
        )) >= 1.0
    );
    assert!(
        value(r#"procura_http_requests_total{method="POST",route="/v2/suppliers",status="200"}"#)
            >= 1.0
    );
    assert!(text.contains("# TYPE procura_http_request_duration_seconds histogram"));
    assert!(
        value(&format!(
            "procura_http_request_duration_seconds_bucket{{{by_id},status=\"200\",le=\"+Inf\"}}"
        )) >= 1.0
    );
    assert!(
        !text.contains(&id) && !text.contains("se-999999"),
        "ids never become label values"
    );
    value("procura_http_requests_in_flight");
    if matches!(crate::DATABASE, crate::helpers::Database::Sqlite) {
        assert!(value("procura_sqlite_group_jobs_count") >= 1.0);
        value("procura_sqlite_writer_queue");
    } else {
        value(r#"procura_db_pool_connections{state="idle"}"#);
    }
}
