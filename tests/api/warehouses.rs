//! `/v2/inventory_warehouses`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    assert_error, assert_no_content, assert_se_id, assert_timestamp, error, not_found, ok_json,
    po_body, spawn_app,
};

#[tokio::test]
async fn creating_a_warehouse_answers_it_whole_and_get_returns_the_same() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let created = ok_json(
        app.create_warehouse(&json!({ "name": "  Main warehouse " }))
            .await,
    )
    .await;

    let id = assert_se_id(&created["inventory_warehouse_id"]);
    let created_at = assert_timestamp(&created["created_at"]);
    assert!(
        (chrono::Utc::now() - created_at).num_seconds().abs() < 60,
        "{created}"
    );
    assert_eq!(
        created,
        json!({
            "inventory_warehouse_id": id,
            "name": "Main warehouse",
            "created_at": created["created_at"],
            "updated_at": created["created_at"],
        })
    );
    assert_eq!(ok_json(app.get_warehouse(&id).await).await, created);
}

#[tokio::test]
async fn warehouses_are_listed_newest_first() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let east = app.warehouse("East").await;
    let west = app.warehouse("West").await;

    let list = ok_json(app.list_warehouses(&[]).await).await;

    let ids: Vec<_> = list["inventory_warehouses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["inventory_warehouse_id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(west), json!(east)]);
    assert_eq!(list["inventory_warehouses"][1]["name"], "East");
    assert_eq!(
        (
            list["total"].clone(),
            list["page"].clone(),
            list["pages"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    assert!(
        list["links"].get("next").is_none(),
        "no next key: {}",
        list["links"]
    );
}

#[tokio::test]
async fn renaming_a_warehouse_answers_204_and_changes_only_its_name() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let created = ok_json(app.create_warehouse(&json!({ "name": "Main" })).await).await;
    let id = created["inventory_warehouse_id"].as_str().unwrap();

    assert_no_content(
        app.put_warehouse(id, &json!({ "name": "Main (north)" }))
            .await,
    )
    .await;

    let stored = ok_json(app.get_warehouse(id).await).await;
    assert_eq!(stored["name"], "Main (north)");
    assert_eq!(stored["created_at"], created["created_at"]);
    assert!(assert_timestamp(&stored["updated_at"]) >= assert_timestamp(&created["updated_at"]));
}

#[tokio::test]
async fn a_warehouse_without_a_name_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .create_warehouse(&json!({ "name": " ", "city": "Austin" }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_string_length")
                .field("name", " ")
                .says("1 to 200 characters"),
            error("validation", "invalid_field_value")
                .field("city", "Austin")
                .says("not a known field"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.list_warehouses(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn deleting_a_warehouse_answers_204_and_takes_its_locations_with_it() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let id = app.warehouse("Main").await;
    let location = ok_json(
        app.create_location(&json!({ "name": "A-01", "inventory_warehouse_id": id }))
            .await,
    )
    .await;
    let location_id = location["inventory_location_id"].as_str().unwrap();

    assert_no_content(app.delete_warehouse(&id).await).await;

    assert_error(
        app.get_warehouse(&id).await,
        StatusCode::NOT_FOUND,
        &[not_found(
            "inventory warehouse",
            "inventory_warehouse_id",
            &id,
        )],
    )
    .await;
    assert_error(
        app.get_location(location_id).await,
        StatusCode::NOT_FOUND,
        &[not_found(
            "inventory location",
            "inventory_location_id",
            location_id,
        )],
    )
    .await;
    assert_eq!(ok_json(app.list_warehouses(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_warehouse_that_a_purchase_order_refers_to_cannot_be_deleted() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let supplier = app.supplier("Acme").await;
    let warehouse = ok_json(app.create_warehouse(&json!({ "name": "Main" })).await).await;
    let id = warehouse["inventory_warehouse_id"].as_str().unwrap();
    let location = ok_json(
        app.create_location(&json!({ "name": "A-01", "inventory_warehouse_id": id }))
            .await,
    )
    .await;
    app.po(&po_body(&supplier, id)).await;

    let refused = app.delete_warehouse(id).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "identifier_conflict")
            .field("inventory_warehouse_id", id)
            .says("1 purchase order(s) refer to it")],
    )
    .await;
    assert_eq!(ok_json(app.get_warehouse(id).await).await, warehouse);
    let location_id = location["inventory_location_id"].as_str().unwrap();
    assert_eq!(ok_json(app.get_location(location_id).await).await, location);
}

#[tokio::test]
async fn an_unknown_or_malformed_warehouse_id_is_not_found_on_every_route() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for id in ["se-424242", "main", "se-0"] {
        let expected = [not_found(
            "inventory warehouse",
            "inventory_warehouse_id",
            id,
        )];
        assert_error(
            app.get_warehouse(id).await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
        assert_error(
            app.put_warehouse(id, &json!({ "name": "x" })).await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
        assert_error(
            app.delete_warehouse(id).await,
            StatusCode::NOT_FOUND,
            &expected,
        )
        .await;
    }
}
