//! `/v2/inventory_locations`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    assert_error, assert_no_content, assert_se_id, assert_timestamp, error, not_found, ok_json,
    spawn_app,
};

#[tokio::test]
async fn creating_a_location_answers_it_whole_and_get_returns_the_same() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let warehouse = app.warehouse("Main").await;

    let created = ok_json(
        app.create_location(&json!({ "name": "A - 01 - 02 - 03", "inventory_warehouse_id": warehouse, "barcode": "LOC-1" }))
            .await,
    )
    .await;

    let id = assert_se_id(&created["inventory_location_id"]);
    assert_timestamp(&created["created_at"]);
    assert_eq!(
        created,
        json!({
            "inventory_location_id": id,
            "name": "A - 01 - 02 - 03",
            "inventory_warehouse_id": warehouse,
            "created_at": created["created_at"],
            "updated_at": created["created_at"],
            "barcode": "LOC-1",
        })
    );
    assert_eq!(ok_json(app.get_location(&id).await).await, created);
}

#[tokio::test]
async fn a_location_without_a_barcode_has_no_barcode_field() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let warehouse = app.warehouse("Main").await;

    let created = ok_json(
        app.create_location(&json!({ "name": "A-01", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await;

    let mut keys: Vec<_> = created.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "inventory_location_id",
            "inventory_warehouse_id",
            "name",
            "updated_at"
        ]
    );
}

#[tokio::test]
async fn a_location_in_an_unknown_warehouse_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .create_location(&json!({ "name": "A-01", "inventory_warehouse_id": "se-777" }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_identifier")
            .field("inventory_warehouse_id", "se-777")
            .says("se-777 does not exist")],
    )
    .await;
    assert_eq!(ok_json(app.list_locations(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_location_with_a_malformed_warehouse_id_and_no_name_is_refused_with_both_problems() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .create_location(&json!({ "inventory_warehouse_id": "main" }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "field_value_required")
                .field_without_value("name")
                .says("name is required"),
            error("validation", "invalid_identifier")
                .field("inventory_warehouse_id", "main")
                .says("not a valid id"),
        ],
    )
    .await;
}

#[tokio::test]
async fn updating_a_location_changes_only_the_fields_sent_and_an_empty_barcode_clears_it() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let warehouse = app.warehouse("Main").await;
    let created = ok_json(
        app.create_location(
            &json!({ "name": "A-01", "inventory_warehouse_id": warehouse, "barcode": "B1" }),
        )
        .await,
    )
    .await;
    let id = created["inventory_location_id"].as_str().unwrap();

    assert_no_content(app.put_location(id, &json!({ "name": "A-02" })).await).await;
    let renamed = ok_json(app.get_location(id).await).await;
    assert_eq!(
        (renamed["name"].clone(), renamed["barcode"].clone()),
        (json!("A-02"), json!("B1"))
    );

    assert_error(
        app.put_location(id, &json!({ "barcode": null, "name": null }))
            .await,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("name", "null")
                .says("must not be null; omit the field instead"),
            error("validation", "invalid_field_value")
                .field("barcode", "null")
                .says("must not be null; omit the field instead"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.get_location(id).await).await, renamed);

    assert_no_content(app.put_location(id, &json!({ "barcode": "" })).await).await;
    let cleared = ok_json(app.get_location(id).await).await;
    let mut expected = created.clone();
    expected["name"] = json!("A-02");
    expected.as_object_mut().unwrap().remove("barcode");
    expected["updated_at"] = cleared["updated_at"].clone();
    assert_eq!(cleared, expected);
    assert!(assert_timestamp(&cleared["updated_at"]) >= assert_timestamp(&created["updated_at"]));
}

#[tokio::test]
async fn a_location_keeps_its_warehouse_and_a_put_of_its_own_representation_works() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let warehouse = app.warehouse("Main").await;
    let other = app.warehouse("Other").await;
    let created = ok_json(
        app.create_location(&json!({ "name": "A-01", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await;
    let id = created["inventory_location_id"].as_str().unwrap();

    // GET, edit, PUT: the location's own warehouse id is accepted.
    let mut edited = created.clone();
    edited["name"] = json!("A-09");
    assert_no_content(app.put_location(id, &edited).await).await;
    assert_eq!(ok_json(app.get_location(id).await).await["name"], "A-09");

    // Another warehouse is refused, and nothing changes.
    assert_error(
        app.put_location(
            id,
            &json!({ "name": "B-01", "inventory_warehouse_id": other }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("inventory_warehouse_id", &other)
            .says(&format!("belongs to warehouse {warehouse}"))],
    )
    .await;
    let stored = ok_json(app.get_location(id).await).await;
    assert_eq!(
        (
            stored["name"].clone(),
            stored["inventory_warehouse_id"].clone()
        ),
        (json!("A-09"), json!(warehouse))
    );
}

#[tokio::test]
async fn locations_are_listed_newest_first_and_filtered_by_warehouse() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let main = app.warehouse("Main").await;
    let annex = app.warehouse("Annex").await;
    let mut ids = Vec::new();
    for (name, warehouse) in [("M-1", &main), ("A-1", &annex), ("M-2", &main)] {
        let location = ok_json(
            app.create_location(&json!({ "name": name, "inventory_warehouse_id": warehouse }))
                .await,
        )
        .await;
        ids.push(location["inventory_location_id"].clone());
    }

    let all = ok_json(app.list_locations(&[]).await).await;
    let listed: Vec<_> = all["inventory_locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["inventory_location_id"].clone())
        .collect();
    assert_eq!(listed, vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    assert_eq!(all["total"], 3);

    let in_main = ok_json(
        app.list_locations(&[("inventory_warehouse_id", &main)])
            .await,
    )
    .await;
    let listed: Vec<_> = in_main["inventory_locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["inventory_location_id"].clone())
        .collect();
    assert_eq!(listed, vec![ids[2].clone(), ids[0].clone()]);
    assert_eq!(in_main["total"], 2);
}

#[tokio::test]
async fn deleting_a_location_answers_204_and_it_is_gone() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let warehouse = app.warehouse("Main").await;
    let created = ok_json(
        app.create_location(&json!({ "name": "A-01", "inventory_warehouse_id": warehouse }))
            .await,
    )
    .await;
    let id = created["inventory_location_id"].as_str().unwrap();

    assert_no_content(app.delete_location(id).await).await;

    let expected = [not_found("inventory location", "inventory_location_id", id)];
    assert_error(app.get_location(id).await, StatusCode::NOT_FOUND, &expected).await;
    assert_error(
        app.delete_location(id).await,
        StatusCode::NOT_FOUND,
        &expected,
    )
    .await;
    assert_error(
        app.put_location(id, &json!({ "name": "x" })).await,
        StatusCode::NOT_FOUND,
        &expected,
    )
    .await;
    assert_eq!(ok_json(app.list_locations(&[]).await).await["total"], 0);
}
