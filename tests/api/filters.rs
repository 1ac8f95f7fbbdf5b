//! The filters of `GET /v2/purchase_orders`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ApiClient, assert_error, error, ok_json, po_body, spawn_app};

struct Orders {
    s1: String,
    w2: String,
    /// The four orders as created, oldest first.
    o: Vec<Value>,
}

/// o1: S1 W1 REF-1 draft; o2: S2 W1 REF-2 open; o3: S1 W2 cancelled; o4: S2 W2 REF-1 draft.
async fn four_orders(app: &ApiClient) -> Orders {
    let (s1, s2) = (app.supplier("Acme").await, app.supplier("Globex").await);
    let (w1, w2) = (app.warehouse("North").await, app.warehouse("South").await);
    let mut o = Vec::new();
    for (supplier, warehouse, reference) in [
        (&s1, &w1, Some("REF-1")),
        (&s2, &w1, Some("REF-2")),
        (&s1, &w2, None),
        (&s2, &w2, Some("REF-1")),
    ] {
        let mut body = po_body(supplier, warehouse);
        if let Some(reference) = reference {
            body["reference_number"] = json!(reference);
        }
        o.push(app.po(&body).await);
    }
    app.set_status(o[1]["purchase_order_id"].as_str().unwrap(), "open")
        .await;
    app.set_status(o[2]["purchase_order_id"].as_str().unwrap(), "cancelled")
        .await;
    Orders { s1, w2, o }
}

fn id(order: &Value) -> String {
    order["purchase_order_id"].as_str().unwrap().to_owned()
}

async fn listed(app: &ApiClient, query: &[(&str, &str)]) -> Vec<String> {
    let page = ok_json(app.list_pos(query).await).await;
    let ids: Vec<String> = page["purchase_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(page["total"], ids.len(), "{query:?}");
    ids
}

#[tokio::test]
async fn each_filter_keeps_only_the_matching_orders() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let Orders { s1, w2, o } = four_orders(&app).await;
    let number = o[1]["order_number"].as_str().unwrap();
    let third_created = o[2]["create_date"].as_str().unwrap();
    let second_created = o[1]["create_date"].as_str().unwrap();

    assert_eq!(
        listed(&app, &[]).await,
        [id(&o[3]), id(&o[2]), id(&o[1]), id(&o[0])]
    );
    assert_eq!(listed(&app, &[("order_number", number)]).await, [id(&o[1])]);
    assert_eq!(listed(&app, &[("status", "open")]).await, [id(&o[1])]);
    assert_eq!(
        listed(&app, &[("status", "draft")]).await,
        [id(&o[3]), id(&o[0])]
    );
    assert_eq!(
        listed(&app, &[("status", "received")]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&app, &[("warehouse_id", &w2)]).await,
        [id(&o[3]), id(&o[2])]
    );
    assert_eq!(
        listed(&app, &[("reference_number", "REF-1")]).await,
        [id(&o[3]), id(&o[0])]
    );
    assert_eq!(
        listed(&app, &[("supplier_id", &s1)]).await,
        [id(&o[2]), id(&o[0])]
    );
    assert_eq!(
        listed(&app, &[("create_date_start", third_created)]).await,
        [id(&o[3]), id(&o[2])]
    );
    assert_eq!(
        listed(&app, &[("create_date_end", second_created)]).await,
        [id(&o[1]), id(&o[0])]
    );
    assert_eq!(
        listed(
            &app,
            &[
                ("supplier_id", &s1),
                ("warehouse_id", &w2),
                ("status", "cancelled")
            ]
        )
        .await,
        [id(&o[2])]
    );
}

#[tokio::test]
async fn modify_date_start_finds_the_orders_changed_since() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let Orders { o, .. } = four_orders(&app).await;
    let mut body = o[0].clone();
    body["note_to_supplier"] = json!("changed");

    let changed = ok_json(app.put_po(&id(&o[0]), &body).await).await;

    let since = changed["modify_date"].as_str().unwrap();
    assert_eq!(
        listed(&app, &[("modify_date_start", since)]).await,
        [id(&o[0])]
    );
    let before_everything = o[0]["create_date"].as_str().unwrap();
    assert_eq!(
        listed(&app, &[("modify_date_start", before_everything)])
            .await
            .len(),
        4
    );
}

#[tokio::test]
async fn a_listed_order_is_the_order_without_its_details_and_products() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let Orders { o, .. } = four_orders(&app).await;
    let full = ok_json(app.get_po(&id(&o[1])).await).await;

    let page = ok_json(
        app.list_pos(&[("order_number", full["order_number"].as_str().unwrap())])
            .await,
    )
    .await;

    let keys = [
        "purchase_order_id",
        "order_number",
        "supplier_id",
        "supplier_name",
        "status",
        "create_date",
        "modify_date",
        "reference_number",
        "warehouse_id",
    ];
    let expected: serde_json::Map<String, Value> = keys
        .iter()
        .map(|k| (k.to_string(), full[*k].clone()))
        .collect();
    assert_eq!(page["purchase_orders"], json!([expected]));
    assert_eq!(page["purchase_orders"][0]["status"], "open");
}

#[tokio::test]
async fn bad_filter_values_and_unknown_parameters_are_refused_naming_them() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .list_pos(&[
            ("status", "pending"),
            ("warehouse_id", "north"),
            ("create_date_start", "yesterday"),
            ("colour", "red"),
        ])
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("status", "pending")
                .says("must be one of: draft, open"),
            error("validation", "invalid_identifier")
                .field("warehouse_id", "north")
                .says("not a valid id"),
            error("validation", "invalid_field_value")
                .field("create_date_start", "yesterday")
                .says("RFC 3339"),
            error("validation", "invalid_field_value")
                .field("colour", "red")
                .says("colour is not a known field"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_parameter_given_twice_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .list_pos(&[("status", "open"), ("status", "draft")])
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("status")
            .says("given more than once")],
    )
    .await;
}
