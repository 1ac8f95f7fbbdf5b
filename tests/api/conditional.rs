//! `ETag`, `If-None-Match` and `If-Match`: reads say which version they show, writes go ahead
//! only from the version the client read, and two racing edits cannot both win.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn etag(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .unwrap_or_else(|| panic!("no ETag on a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn with_header(
    client: &ApiClient,
    method: Method,
    path: &str,
    header: (&str, &str),
    body: Option<&Value>,
) -> Response {
    let mut request = client.request(method, path).header(header.0, header.1);
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("the request is answered")
}

async fn assert_stale(response: Response, now: &str) {
    assert_error(
        response,
        StatusCode::PRECONDITION_FAILED,
        &[error("validation", "field_conflict")
            .field("If-Match", now)
            .says("changed since If-Match's entity tag was read")],
    )
    .await;
}

#[tokio::test]
async fn an_order_read_says_its_version_and_a_current_copy_is_not_sent_again() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&s, &w), &[]).await;
    let path = format!("/v2/purchase_orders/{id}");
    let read = app.get_po(&id).await;
    let tag = etag(&read);
    assert_eq!(tag, "\"1.1\"");

    for current in [tag.as_str(), "W/\"1.1\"", "\"9\", \"1.1\"", "*"] {
        let answer = with_header(&app, Method::GET, &path, ("If-None-Match", current), None).await;
        assert_eq!(answer.status(), StatusCode::NOT_MODIFIED, "{current}");
        assert_eq!(etag(&answer), tag);
        assert_eq!(answer.text().await.unwrap(), "");
    }
    let stale = with_header(&app, Method::GET, &path, ("If-None-Match", "\"0.1\""), None).await;
    assert_eq!(stale.status(), StatusCode::OK);

    // Renaming the supplier changes the order's answer (it carries the name), so its tag.
    ok_json(
        app.put_supplier(&s, &supplier_body("Renamed Supplier"))
            .await,
    )
    .await;
    let after = app.get_po(&id).await;
    assert_eq!(etag(&after), "\"1.2\"");
    assert_eq!(ok_json(after).await["supplier_name"], "Renamed Supplier");
}

#[tokio::test]
async fn a_write_from_a_stale_version_is_refused_and_changes_nothing() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&s, &w), &[]).await;
    let path = format!("/v2/purchase_orders/{id}");
    let read = etag(&app.get_po(&id).await);

    // Another client's edit moves the order on.
    let mut edited = po_body(&s, &w);
    edited["reference_number"] = json!("FIRST-EDIT");
    let first = with_header(&app, Method::PUT, &path, ("If-Match", &read), Some(&edited)).await;
    let now = etag(&first);
    assert_eq!(now, "\"2.1\"");
    assert_eq!(ok_json(first).await["reference_number"], "FIRST-EDIT");
    assert_eq!(
        etag(&app.get_po(&id).await),
        now,
        "the write answers the tag a read gives"
    );

    // Every kind of write from the old version is refused.
    let mut late = po_body(&s, &w);
    late["reference_number"] = json!("LATE-EDIT");
    let status_path = format!("{path}/status");
    let refused = [
        with_header(&app, Method::PUT, &path, ("If-Match", &read), Some(&late)).await,
        with_header(
            &app,
            Method::POST,
            &status_path,
            ("If-Match", &read),
            Some(&json!({"status": "open"})),
        )
        .await,
        with_header(
            &app,
            Method::PUT,
            &path,
            ("If-Match", "W/\"2.1\""),
            Some(&late),
        )
        .await,
    ];
    for answer in refused {
        assert_stale(answer, &now).await;
    }
    let stored = ok_json(app.get_po(&id).await).await;
    assert_eq!(stored["reference_number"], "FIRST-EDIT");
    assert_eq!(stored["status"], "draft");

    // From the current version it goes ahead, and the answer names the next.
    let opened = with_header(
        &app,
        Method::POST,
        &status_path,
        ("If-Match", &now),
        Some(&json!({"status": "open"})),
    )
    .await;
    let opened_tag = etag(&opened);
    assert_eq!(ok_json(opened).await["status"], "open");
    assert_eq!(opened_tag, "\"3.1\"");
    let shipped = with_header(
        &app,
        Method::POST,
        &format!("{path}/shipping_details"),
        ("If-Match", &opened_tag),
        Some(&json!({ "tracking_number": "1Z" })),
    )
    .await;
    assert_eq!(etag(&shipped), "\"4.1\"");
    assert_eq!(ok_json(shipped).await["tracking_number"], "1Z");

    // A receipt checks it too.
    let location = app.location_in(&w, "Dock").await;
    let receipt = json!({ "product_receives": [
        { "sku": "WIDGET-001", "received_quantity": 1, "inventory_location_id": location }] });
    let receives = format!("{path}/receives");
    assert_stale(
        with_header(
            &app,
            Method::POST,
            &receives,
            ("If-Match", &opened_tag),
            Some(&receipt),
        )
        .await,
        "\"4.1\"",
    )
    .await;
    let received = with_header(
        &app,
        Method::POST,
        &receives,
        ("If-Match", "\"4.1\""),
        Some(&receipt),
    )
    .await;
    assert_eq!(etag(&received), "\"5.1\"");
    assert_eq!(ok_json(received).await["status"], "receiving");
}

#[tokio::test]
async fn a_malformed_if_match_is_refused_by_name() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let id = app.po_in(&po_body(&s, &w), &[]).await;
    let answer = with_header(
        &app,
        Method::PUT,
        &format!("/v2/purchase_orders/{id}"),
        ("If-Match", "1.1"),
        Some(&po_body(&s, &w)),
    )
    .await;
    assert_error(
        answer,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("If-Match")
            .says("list of entity tags")],
    )
    .await;
    assert_eq!(etag(&app.get_po(&id).await), "\"1.1\"");
}

#[tokio::test]
async fn suppliers_warehouses_and_locations_carry_versions_too() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    let location = app.location_in(&w, "Bin").await;
    let cases = [
        (format!("/v2/suppliers/{s}"), supplier_body("Acme Renamed")),
        (
            format!("/v2/inventory_warehouses/{w}"),
            json!({ "name": "DC Renamed" }),
        ),
        (
            format!("/v2/inventory_locations/{location}"),
            json!({ "name": "Bin Renamed" }),
        ),
    ];
    for (path, body) in cases {
        let read = app.send(Method::GET, &path, None).await;
        assert_eq!(etag(&read), "\"1\"", "{path}");
        assert_stale(
            with_header(&app, Method::PUT, &path, ("If-Match", "\"7\""), Some(&body)).await,
            "\"1\"",
        )
        .await;
        let written =
            with_header(&app, Method::PUT, &path, ("If-Match", "\"1\""), Some(&body)).await;
        assert!(
            written.status().is_success(),
            "{path}: {}",
            written.status()
        );
        assert_eq!(etag(&written), "\"2\"", "{path}");
        let read = app.send(Method::GET, &path, None).await;
        assert_eq!(etag(&read), "\"2\"", "{path}");
        let not_modified =
            with_header(&app, Method::GET, &path, ("If-None-Match", "\"2\""), None).await;
        assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_edits_from_one_version_exactly_one_wins() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (s, w) = app.supplier_and_warehouse().await;
    for round in 0..5 {
        let id = app.po_in(&po_body(&s, &w), &[]).await;
        let path = format!("/v2/purchase_orders/{id}");
        let read = etag(&app.get_po(&id).await);
        let tasks: Vec<_> = (0..4)
            .map(|n| {
                let (client, path, read) = (app.client.clone(), path.clone(), read.clone());
                let mut body = po_body(&s, &w);
                body["reference_number"] = json!(format!("EDIT-{n}"));
                tokio::spawn(async move {
                    with_header(
                        &client,
                        Method::PUT,
                        &path,
                        ("If-Match", &read),
                        Some(&body),
                    )
                    .await
                    .status()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        let lost = statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count();
        assert_eq!((won, lost), (1, 3), "round {round}: {statuses:?}");
        assert_eq!(etag(&app.get_po(&id).await), "\"2.1\"");
    }
}
