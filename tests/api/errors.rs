//! Refusals below the handlers (bad bodies, routes, methods) and the request id on every answer.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, error, ok_json, spawn_app};

#[tokio::test]
async fn malformed_json_is_refused_saying_so() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .request(Method::POST, "/v2/suppliers")
        .header("content-type", "application/json")
        .body(r#"{"supplier_name": "Acme""#)
        .send()
        .await
        .unwrap();

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_object").says("not valid JSON")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_body_that_is_not_sent_as_json_is_refused_saying_so() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let body = r#"{"supplier_name": "Acme"}"#;

    let as_text = app
        .request(Method::POST, "/v2/suppliers")
        .header("content-type", "text/plain")
        .body(body);
    assert_error(
        as_text.send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .says("Content-Type must be application/json, not 'text/plain'")],
    )
    .await;

    let without_type = app.request(Method::POST, "/v2/suppliers").body(body);
    assert_error(
        without_type.send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value").says("Content-Type header is missing")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn json_with_a_charset_parameter_is_accepted() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let accepted = app
        .request(Method::POST, "/v2/suppliers")
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"supplier_name": "Acme"}"#)
        .send()
        .await
        .unwrap();

    let id = ok_json(accepted).await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        ok_json(app.get_supplier(&id).await).await,
        json!({ "supplier_id": id, "supplier_name": "Acme" })
    );
}

#[tokio::test]
async fn an_empty_body_is_refused_as_required() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for body in ["", "  \n"] {
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
            &[error("validation", "request_body_required").says("request body is empty")],
        )
        .await;
    }
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused_with_413_in_the_envelope() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let body = json!({ "supplier_name": "Acme", "city": "x".repeat(1024 * 1024) });

    let refused = app.create_supplier(&body).await;

    assert_error(
        refused,
        StatusCode::PAYLOAD_TOO_LARGE,
        &[error("validation", "invalid_object").says("larger than the limit of 1048576 bytes")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn an_unknown_route_is_a_404_in_the_envelope() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let answer = app.send(Method::GET, "/v2/shipments", None).await;

    assert_error(
        answer,
        StatusCode::NOT_FOUND,
        &[error("validation", "unspecified").says("no route for GET /v2/shipments")],
    )
    .await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_in_the_envelope_with_the_allowed_methods() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for (method, path, allowed) in [
        (Method::DELETE, "/v2/suppliers", "GET,HEAD,POST"),
        (Method::PATCH, "/v2/purchase_orders/se-1", "GET,HEAD,PUT"),
        (Method::GET, "/v2/purchase_orders/se-1/status", "POST"),
    ] {
        let answer = app.send(method.clone(), path, None).await;

        let allow = answer
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allow.as_deref(), Some(allowed), "{method} {path}");
        assert_error(
            answer,
            StatusCode::METHOD_NOT_ALLOWED,
            &[error("validation", "unspecified")
                .says(&format!("{method} is not allowed on {path}"))],
        )
        .await;
    }
}

#[tokio::test]
async fn every_answer_carries_a_fresh_request_id() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let answers = [
        app.healthz().await,
        app.create_supplier(&json!({ "supplier_name": "Acme" }))
            .await,
        app.list_suppliers(&[]).await,
        app.get_supplier("se-404").await,
        app.http.get(app.url("/v2/suppliers")).send().await.unwrap(),
        app.send(Method::GET, "/nowhere", None).await,
    ];

    let mut seen = std::collections::HashSet::new();
    for answer in answers {
        let id = answer
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("no X-Request-Id on {}", answer.url()));
        let id = uuid::Uuid::parse_str(id.to_str().unwrap()).expect("X-Request-Id is a UUID");
        assert_eq!(id.get_version(), Some(uuid::Version::Random), "{id}");
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
        assert!(seen.insert(id), "request id {id} given twice");
    }
}

#[tokio::test]
async fn a_client_request_id_that_is_a_uuid_is_echoed_in_the_header_and_the_envelope() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let mine = uuid::Uuid::new_v4().to_string();

    let success = app
        .request(Method::GET, "/v2/suppliers")
        .header("X-Request-Id", &mine)
        .send()
        .await
        .unwrap();
    assert_eq!(success.headers()["x-request-id"].to_str().unwrap(), mine);
    assert_eq!(success.status(), StatusCode::OK);

    let failure = app
        .request(Method::GET, "/v2/suppliers/se-404")
        .header("X-Request-Id", &mine)
        .send()
        .await
        .unwrap();
    let body = assert_error(
        failure,
        StatusCode::NOT_FOUND,
        &[crate::helpers::not_found(
            "supplier",
            "supplier_id",
            "se-404",
        )],
    )
    .await;
    assert_eq!(body["request_id"], mine.as_str());
}

#[tokio::test]
async fn a_client_request_id_that_is_not_a_uuid_is_replaced() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let answer = app
        .request(Method::GET, "/v2/suppliers")
        .header("X-Request-Id", "my-trace-1")
        .send()
        .await
        .unwrap();

    let id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(id, "my-trace-1");
    uuid::Uuid::parse_str(&id).expect("a UUID");
}
