//! `POST /v2/purchase_orders/{id}/status`: the whole status machine, pair by pair, over HTTP.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, error, ok_json, path_to, po_body, spawn_app};

const STATUSES: [&str; 6] = [
    "draft",
    "open",
    "receiving",
    "received",
    "closed",
    "cancelled",
];

/// DECISIONS.md section 2, written out independently of the code.
fn allowed_next(from: &str) -> &'static [&'static str] {
    match from {
        "draft" => &["open", "cancelled"],
        "open" => &["receiving", "received", "cancelled"],
        "receiving" => &["received", "closed"],
        "received" => &["receiving", "closed"],
        "closed" | "cancelled" => &[],
        other => panic!("unknown status {other}"),
    }
}

#[tokio::test]
async fn every_pair_of_statuses_follows_the_table_of_decisions() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let body = po_body(&supplier, &warehouse);

    for from in STATUSES {
        for to in STATUSES.iter().copied().filter(|s| *s != "draft") {
            let id = app.po_in(&body, path_to(from)).await;
            assert_eq!(app.stored_status(&id).await, from);
            let before = ok_json(app.get_po(&id).await).await;

            let answer = app.set_status(&id, to).await;

            if from == to || allowed_next(from).contains(&to) {
                assert_eq!(
                    ok_json(answer).await,
                    json!({ "purchase_order_id": id, "status": to }),
                    "{from} -> {to}"
                );
                assert_eq!(app.stored_status(&id).await, to, "{from} -> {to}");
            } else {
                let mut expected = error("business_rules", "invalid_status")
                    .field("status", to)
                    .says(&format!("from '{from}' to '{to}'"));
                if allowed_next(from).is_empty() {
                    expected = expected.says(&format!("'{from}' is final"));
                }
                for allowed in allowed_next(from) {
                    expected = expected.says(&format!("'{allowed}'"));
                }
                assert_error(answer, StatusCode::BAD_REQUEST, &[expected]).await;
                assert_eq!(
                    ok_json(app.get_po(&id).await).await,
                    before,
                    "{from} -> {to} changed the order"
                );
            }
        }
    }
}

#[tokio::test]
async fn asking_for_the_current_status_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&supplier, &warehouse), &["open"]).await;
    let before = ok_json(app.get_po(&id).await).await;

    for _ in 0..2 {
        let answer = ok_json(app.set_status(&id, "open").await).await;
        assert_eq!(answer, json!({ "purchase_order_id": id, "status": "open" }));
    }

    assert_eq!(ok_json(app.get_po(&id).await).await, before);
}

#[tokio::test]
async fn draft_is_not_a_status_one_can_ask_for() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;

    for from in ["draft", "open"] {
        let id = app
            .po_in(&po_body(&supplier, &warehouse), path_to(from))
            .await;

        let refused = app.set_status(&id, "draft").await;

        assert_error(
            refused,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field("status", "draft")
                .says("must be one of: open, receiving, received, cancelled, closed")],
        )
        .await;
        assert_eq!(app.stored_status(&id).await, from);
    }
}

#[tokio::test]
async fn an_unknown_or_missing_status_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&supplier, &warehouse), &[]).await;

    assert_error(
        app.set_status(&id, "Open").await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("status", "Open")
            .says("must be one of")],
    )
    .await;
    let missing = app
        .request(
            reqwest::Method::POST,
            &format!("/v2/purchase_orders/{id}/status"),
        )
        .json(&json!({ "state": "open" }));
    assert_error(
        missing.send().await.unwrap(),
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "field_value_required")
                .field_without_value("status")
                .says("status is required"),
            error("validation", "invalid_field_value")
                .field("state", "open")
                .says("state is not a known field"),
        ],
    )
    .await;
    assert_eq!(app.stored_status(&id).await, "draft");
}
