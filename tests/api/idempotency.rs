//! `Idempotency-Key`: a retry replays the first answer and changes nothing, on one server under
//! concurrency; refusals are kept too; a key reused with another request is refused.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A request with `Idempotency-Key: key`.
async fn keyed(
    client: &ApiClient,
    method: Method,
    path: &str,
    key: &str,
    body: &Value,
) -> Response {
    client
        .request(method, path)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("the request is answered")
}

/// Status, `ETag`, `Idempotent-Replayed` and body of an answer.
async fn parts(response: Response) -> (StatusCode, Option<String>, bool, String) {
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let etag = header("etag");
    let replayed = match header("idempotent-replayed").as_deref() {
        None => false,
        Some("true") => true,
        Some(other) => panic!("Idempotent-Replayed: {other}"),
    };
    (status, etag, replayed, response.text().await.unwrap())
}

/// Sends the same keyed request `n` times at once; asserts that every answer is the same 200 and
/// that exactly one of them was written now (the others replayed).
async fn all_at_once(client: &ApiClient, path: &str, key: &'static str, body: &Value, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, path, body) = (client.clone(), path.to_owned(), body.clone());
            tokio::spawn(async move {
                parts(keyed(&client, Method::POST, &path, key, &body).await).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(
        answers.iter().all(|(status, ..)| *status == StatusCode::OK),
        "{answers:?}"
    );
    let written = answers
        .iter()
        .filter(|(_, _, replayed, _)| !replayed)
        .count();
    assert_eq!(written, 1, "{answers:?}");
    assert!(answers.iter().all(|(_, _, _, body)| *body == answers[0].3));
}

async fn order_count(app: &TestApp) -> u64 {
    ok_json(app.list_pos(&[]).await).await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_retried_create_replays_its_answer_and_creates_nothing_more() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let body = po_body(&s, &w);

    let (status, etag, replayed, first) =
        parts(keyed(&app, Method::POST, "/v2/purchase_orders", "order-1", &body).await).await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    assert_eq!(etag.as_deref(), Some("\"1.1\""));
    let order: Value = serde_json::from_str(&first).unwrap();

    for _ in 0..3 {
        let (status, again_etag, replayed, again) =
            parts(keyed(&app, Method::POST, "/v2/purchase_orders", "order-1", &body).await).await;
        assert_eq!((status, replayed), (StatusCode::OK, true));
        assert_eq!(
            again, first,
            "the replay is the first answer, byte for byte"
        );
        assert_eq!(again_etag, etag);
    }
    // The same JSON spaced and ordered differently is the same request.
    let respaced: Value =
        serde_json::from_str(&serde_json::to_string_pretty(&body).unwrap()).unwrap();
    let (_, _, replayed, _) = parts(
        keyed(
            &app,
            Method::POST,
            "/v2/purchase_orders",
            "order-1",
            &respaced,
        )
        .await,
    )
    .await;
    assert!(replayed);

    assert_eq!(order_count(&app).await, 1);
    let stored = ok_json(
        app.get_po(order["purchase_order_id"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(stored, order);
}

#[tokio::test]
async fn a_key_used_with_another_request_is_refused_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let body = po_body(&s, &w);
    ok_json(keyed(&app, Method::POST, "/v2/purchase_orders", "k", &body).await).await;

    let mut other = body.clone();
    other["reference_number"] = json!("R-2");
    let reused = [
        keyed(&app, Method::POST, "/v2/purchase_orders", "k", &other).await,
        keyed(
            &app,
            Method::POST,
            "/v2/suppliers",
            "k",
            &supplier_body("Other"),
        )
        .await,
    ];
    for answer in reused {
        assert_error(
            answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            &[error("validation", "invalid_field_value")
                .field_without_value("Idempotency-Key")
                .says("already used with another request")],
        )
        .await;
    }
    assert_eq!(order_count(&app).await, 1);
    let suppliers = ok_json(app.list_suppliers(&[]).await).await;
    assert_eq!(suppliers["total"], 1, "{suppliers}");
}

#[tokio::test]
async fn keys_belong_to_their_account() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let other = app.other_account().await;
    let (s, w) = app.supplier_and_warehouse().await;
    let (s2, w2) = other.supplier_and_warehouse().await;
    let mine = ok_json(
        keyed(
            &app,
            Method::POST,
            "/v2/purchase_orders",
            "shared",
            &po_body(&s, &w),
        )
        .await,
    )
    .await;
    let (status, _, replayed, theirs) = parts(
        keyed(
            &other,
            Method::POST,
            "/v2/purchase_orders",
            "shared",
            &po_body(&s2, &w2),
        )
        .await,
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{theirs}");
    let theirs: Value = serde_json::from_str(&theirs).unwrap();
    assert_ne!(theirs["purchase_order_id"], mine["purchase_order_id"]);
}

#[tokio::test]
async fn a_refusal_by_the_stored_state_is_kept_and_replayed() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&s, &w), &[]).await;
    // A draft cannot be received: refused by the store, so kept.
    let location = app.location_in(&w, "Bin").await;
    let receipt = json!({ "product_receives": [
        { "sku": "WIDGET-001", "received_quantity": 2, "inventory_location_id": location }] });
    let path = format!("/v2/purchase_orders/{id}/receives");
    let (status, _, replayed, refused) =
        parts(keyed(&app, Method::POST, &path, "rcv", &receipt).await).await;
    assert_eq!(
        (status, replayed),
        (StatusCode::BAD_REQUEST, false),
        "{refused}"
    );
    assert!(refused.contains("invalid_status"), "{refused}");

    // Even once the order is open, the retry gets the kept refusal: the key's request was
    // answered, and a retry must not change what it did.
    ok_json(app.set_status(&id, "open").await).await;
    let (status, _, replayed, again) =
        parts(keyed(&app, Method::POST, &path, "rcv", &receipt).await).await;
    assert_eq!((status, replayed), (StatusCode::BAD_REQUEST, true));
    assert_eq!(again, refused);
    let order = ok_json(app.get_po(&id).await).await;
    assert_eq!(order["products"][0]["received_quantity"], 0, "{order}");

    // A new key records the receipt.
    let (status, _, replayed, _) =
        parts(keyed(&app, Method::POST, &path, "rcv-2", &receipt).await).await;
    assert_eq!((status, replayed), (StatusCode::OK, false));
}

#[tokio::test]
async fn a_body_refused_before_it_is_written_keeps_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let mut bad = po_body(&s, &w);
    bad["products"][0]["quantity"] = json!(0);
    let answer = keyed(&app, Method::POST, "/v2/purchase_orders", "fix-me", &bad).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    // The corrected request may use the same key.
    let (status, _, replayed, _) = parts(
        keyed(
            &app,
            Method::POST,
            "/v2/purchase_orders",
            "fix-me",
            &po_body(&s, &w),
        )
        .await,
    )
    .await;
    assert_eq!((status, replayed), (StatusCode::OK, false));
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn a_malformed_key_is_refused_by_name_and_nothing_is_written() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    for key in ["two words", &"k".repeat(256)] {
        let answer = keyed(
            &app,
            Method::POST,
            "/v2/purchase_orders",
            key,
            &po_body(&s, &w),
        )
        .await;
        assert_error(
            answer,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field_without_value("Idempotency-Key")
                .says("1 to 255 visible ASCII characters")],
        )
        .await;
    }
    assert_eq!(order_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_retries_of_one_create_make_one_order() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    all_at_once(&app, "/v2/purchase_orders", "storm", &po_body(&s, &w), 20).await;
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_retries_of_one_receipt_receive_once() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&s, &w), &["open"]).await;
    let location = app.location_in(&w, "Dock").await;
    let receipt = json!({ "product_receives": [
        { "sku": "WIDGET-001", "received_quantity": 4, "inventory_location_id": location }] });
    let path = format!("/v2/purchase_orders/{id}/receives");
    all_at_once(&app, &path, "dock-scan-1", &receipt, 10).await;
    let order = ok_json(app.get_po(&id).await).await;
    assert_eq!(order["products"][0]["received_quantity"], 4, "{order}");
    assert_eq!(order["status"], "receiving");
    let ledger = ok_json(app.send(Method::GET, &path, None).await).await;
    assert_eq!(ledger["total"], 1, "{ledger}");
}
