//! Input meant to confuse or exhaust: repeated keys and headers, dates that cannot be written
//! back, and bodies with more mistakes than any answer should list.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_error, error, ok_json, po_body, spawn_app};

#[tokio::test]
async fn a_key_given_twice_in_a_body_is_refused_and_nothing_is_stored() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .request(Method::POST, "/v2/suppliers")
        .header("content-type", "application/json")
        .body(r#"{"supplier_name": "Acme", "supplier_name": "Globex"}"#)
        .send()
        .await
        .unwrap();

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("supplier_name")
            .says("supplier_name is given more than once")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_key_given_twice_inside_a_line_is_named_by_its_path() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = format!(
        r#"{{"supplier_id": "{supplier}", "warehouse_id": "{warehouse}",
            "products": [{{"sku": "A", "quantity": 1}},
                         {{"sku": "B", "quantity": 1, "quantity": 100}}]}}"#
    );

    let refused = app
        .request(Method::POST, "/v2/purchase_orders")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("products[1].quantity")
            .says("products[1].quantity is given more than once")],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn two_api_key_headers_are_refused_even_when_one_is_valid() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for order in [
        ["not-a-key", app.api_key.as_str()],
        [app.api_key.as_str(), "not-a-key"],
    ] {
        let refused = app
            .http
            .get(app.url("/v2/suppliers"))
            .header("API-Key", order[0])
            .header("api-key", order[1])
            .send()
            .await
            .unwrap();
        assert_error(
            refused,
            StatusCode::UNAUTHORIZED,
            &[error("security", "unauthorized").says("API-Key header is given more than once")],
        )
        .await;
    }
}

#[tokio::test]
async fn dates_that_leave_years_0000_to_9999_in_utc_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let says = "must fall between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

    for (late, early) in [
        ("9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00"),
        ("9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+00:01"),
    ] {
        let mut body = po_body(&supplier, &warehouse);
        body["order_date"] = json!(late);
        body["expected_delivery_date"] = json!(early);
        assert_error(
            app.create_po(&body).await,
            StatusCode::BAD_REQUEST,
            &[
                error("validation", "invalid_field_value")
                    .field("order_date", late)
                    .says(says),
                error("validation", "invalid_field_value")
                    .field("expected_delivery_date", early)
                    .says(says),
            ],
        )
        .await;
    }
    assert_error(
        app.list_pos(&[("create_date_start", "9999-12-31T23:00:00-05:00")])
            .await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("create_date_start", "9999-12-31T23:00:00-05:00")
            .says(says)],
    )
    .await;
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);

    // The edges themselves are fine and come back as written.
    let mut body = po_body(&supplier, &warehouse);
    body["order_date"] = json!("9999-12-31T23:59:59Z");
    body["expected_delivery_date"] = json!("0000-01-01T01:00:00+01:00");
    let created = app.po(&body).await;
    assert_eq!(created["order_date"], "9999-12-31T23:59:59Z");
    assert_eq!(created["expected_delivery_date"], "0000-01-01T00:00:00Z");
}

#[tokio::test]
async fn a_megabyte_of_unknown_keys_gets_a_hundred_errors_and_a_count_of_the_rest() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let mut body = serde_json::Map::new();
    body.insert("supplier_name".into(), json!("Acme"));
    for i in 0..40_000 {
        body.insert(format!("k{i:06}"), json!(1));
    }
    let body = Value::Object(body);
    assert!(serde_json::to_vec(&body).unwrap().len() < 1024 * 1024);

    let refused = app.create_supplier(&body).await;
    let length = refused.content_length();
    let answer = assert_status_json(refused).await;

    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 101, "100 listed, one counting the rest");
    assert!(
        errors[..100]
            .iter()
            .all(|e| e["error_code"] == "invalid_field_value"
                && e["field_name"].as_str().is_some_and(|f| f.starts_with('k')))
    );
    let last = &errors[100];
    assert_eq!(last["error_type"], "validation");
    assert_eq!(last["error_code"], "invalid_object");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("39900 more problem(s) in this request are not listed"),
        "{last}"
    );
    assert!(last.get("field_name").is_none());
    assert!(
        length.unwrap_or(0) < 64 * 1024,
        "the answer stays small: {length:?}"
    );
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_thousand_bad_lines_list_a_hundred_errors_then_the_count() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut body = po_body(&supplier, &warehouse);
    body["products"] = (0..1000)
        .map(|i| json!({"sku": format!("S{i}"), "quantity": 0}))
        .collect();

    let answer = assert_status_json(app.create_po(&body).await).await;

    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 101);
    assert_eq!(errors[99]["field_name"], "products[99].quantity");
    assert!(
        errors[100]["message"]
            .as_str()
            .unwrap()
            .starts_with("900 more problem(s)"),
        "{}",
        errors[100]
    );
    assert_eq!(ok_json(app.list_pos(&[]).await).await["total"], 0);
}

async fn assert_status_json(response: reqwest::Response) -> Value {
    crate::helpers::assert_status_json(response, StatusCode::BAD_REQUEST).await
}
