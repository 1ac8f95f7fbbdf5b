//! `page`, `page_size`, and the keyset cursor in `links.next.href`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ApiClient, assert_error, error, ok_json, po_body, spawn_app};

/// Creates `n` orders one after the other; returns their ids, oldest first.
async fn orders(app: &ApiClient, n: usize) -> Vec<String> {
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(
            app.po(&po_body(&supplier, &warehouse)).await["purchase_order_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

fn listed(page: &Value) -> Vec<String> {
    page["purchase_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|po| po["purchase_order_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn follow(app: &ApiClient, href: &str) -> Value {
    ok_json(
        app.http
            .get(href)
            .header("API-Key", &app.api_key)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn following_next_visits_every_order_once_newest_first() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let mut ids = orders(&app, 7).await;
    ids.reverse();
    let base = format!("{}/v2/purchase_orders", app.address);

    let first = ok_json(app.list_pos(&[("page_size", "3")]).await).await;

    assert_eq!(
        (
            first["total"].clone(),
            first["page"].clone(),
            first["pages"].clone()
        ),
        (json!(7), json!(1), json!(3))
    );
    assert_eq!(listed(&first), ids[0..3]);
    assert_eq!(
        first["links"]["first"],
        json!({ "href": format!("{base}?page_size=3") })
    );
    assert_eq!(
        first["links"]["last"],
        json!({ "href": format!("{base}?page_size=3&page=3") })
    );
    assert_eq!(first["links"].get("prev"), None);
    let next = first["links"]["next"]["href"]
        .as_str()
        .expect("a next link")
        .to_owned();
    assert!(
        next.starts_with(&format!("{base}?page_size=3&cursor=")),
        "{next}"
    );

    let second = follow(&app, &next).await;
    assert_eq!(
        (
            second["total"].clone(),
            second["page"].clone(),
            second["pages"].clone()
        ),
        (json!(7), json!(2), json!(3))
    );
    assert_eq!(listed(&second), ids[3..6]);
    assert_eq!(
        second["links"]["prev"],
        json!({ "href": format!("{base}?page_size=3&page=1") })
    );

    let third = follow(
        &app,
        second["links"]["next"]["href"]
            .as_str()
            .expect("a next link"),
    )
    .await;
    assert_eq!(
        (
            third["total"].clone(),
            third["page"].clone(),
            third["pages"].clone()
        ),
        (json!(7), json!(3), json!(3))
    );
    assert_eq!(listed(&third), ids[6..7]);
    assert!(
        third["links"].get("next").is_none(),
        "no next key: {}",
        third["links"]
    );
}

#[tokio::test]
async fn following_next_keeps_the_filters_and_sees_only_matching_orders() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let ids = orders(&app, 7).await;
    for id in [&ids[1], &ids[4]] {
        app.set_status(id, "open").await;
    }
    let drafts: Vec<String> = ids
        .iter()
        .rev()
        .filter(|id| **id != ids[1] && **id != ids[4])
        .cloned()
        .collect();

    let mut page = ok_json(
        app.list_pos(&[("status", "draft"), ("page_size", "2")])
            .await,
    )
    .await;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(
            (
                page["total"].clone(),
                page["pages"].clone(),
                page["page"].clone()
            ),
            (json!(5), json!(3), json!(pages))
        );
        for link in ["first", "last"] {
            assert!(
                page["links"][link]["href"]
                    .as_str()
                    .unwrap()
                    .contains("status=draft&page_size=2"),
                "{page}"
            );
        }
        seen.extend(listed(&page));
        match page["links"]["next"]["href"].as_str() {
            Some(next) => {
                assert!(next.contains("status=draft"), "{next}");
                page = follow(&app, next).await;
            }
            None => break,
        }
    }
    assert_eq!(seen, drafts);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn a_page_can_be_asked_for_by_number() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let mut ids = orders(&app, 7).await;
    ids.reverse();

    let second = ok_json(app.list_pos(&[("page_size", "3"), ("page", "2")]).await).await;
    assert_eq!(listed(&second), ids[3..6]);
    assert_eq!(
        (
            second["total"].clone(),
            second["page"].clone(),
            second["pages"].clone()
        ),
        (json!(7), json!(2), json!(3))
    );

    let beyond = ok_json(app.list_pos(&[("page_size", "3"), ("page", "9")]).await).await;
    assert_eq!(
        (beyond["purchase_orders"].clone(), beyond["total"].clone()),
        (json!([]), json!(7))
    );
    assert!(
        beyond["links"].get("next").is_none(),
        "no next key: {}",
        beyond["links"]
    );
}

#[tokio::test]
async fn an_empty_list_is_one_empty_page() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let page = ok_json(app.list_pos(&[]).await).await;

    let base = format!("{}/v2/purchase_orders", app.address);
    assert_eq!(
        page,
        json!({
            "purchase_orders": [],
            "total": 0,
            "page": 1,
            "pages": 1,
            "links": {
                "first": { "href": format!("{base}?page_size=50") },
                "last": { "href": format!("{base}?page_size=50&page=1") },
            },
        })
    );
}

#[tokio::test]
async fn page_sizes_outside_1_to_500_and_bad_page_numbers_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for size in ["0", "501", "ten", "-1"] {
        assert_error(
            app.list_pos(&[("page_size", size)]).await,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field("page_size", size)
                .says("from 1 to 500")],
        )
        .await;
    }
    assert_error(
        app.list_pos(&[("page", "0")]).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("page", "0")
            .says("whole number from 1")],
    )
    .await;
    assert_eq!(
        ok_json(app.list_pos(&[("page_size", "500")]).await).await["total"],
        0
    );
}

#[tokio::test]
async fn a_cursor_that_did_not_come_from_a_next_link_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for cursor in ["not-a-cursor", "MS54LjIuMw", ""] {
        let answer = app.list_pos(&[("cursor", cursor)]).await;
        assert_error(
            answer,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field("cursor", cursor)
                .says("not a cursor from links.next.href")],
        )
        .await;
    }
}

#[tokio::test]
async fn a_cursor_works_only_on_its_own_list_account_and_page_size() {
    let Some(app) = spawn_app().await else {
        return;
    };
    for n in 0..3 {
        ok_json(
            app.create_supplier(&json!({"supplier_name": format!("S{n}")}))
                .await,
        )
        .await;
    }
    let first = ok_json(app.list_suppliers(&[("page_size", "1")]).await).await;
    let next = first["links"]["next"]["href"].as_str().unwrap().to_owned();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();

    // Its own list follows it.
    let second = ok_json(
        app.list_suppliers(&[("page_size", "1"), ("cursor", &cursor)])
            .await,
    )
    .await;
    assert_eq!(second["page"], 2);
    assert_eq!(second["total"], 3);

    let other = app.other_account().await;
    for answer in [
        app.list_suppliers(&[("page_size", "2"), ("cursor", &cursor)])
            .await,
        app.list_pos(&[("page_size", "1"), ("cursor", &cursor)])
            .await,
        other
            .list_suppliers(&[("page_size", "1"), ("cursor", &cursor)])
            .await,
    ] {
        assert_error(
            answer,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field("cursor", &cursor)
                .says("not a cursor from links.next.href")],
        )
        .await;
    }
}

#[tokio::test]
async fn links_never_point_at_a_host_the_client_made_up() {
    let Some(app) = spawn_app().await else {
        return;
    };
    ok_json(app.create_supplier(&json!({"supplier_name": "A"})).await).await;
    ok_json(app.create_supplier(&json!({"supplier_name": "B"})).await).await;

    let answer = app
        .request(reqwest::Method::GET, "/v2/suppliers?page_size=1")
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let page = ok_json(answer).await;
    for link in ["first", "last", "next"] {
        let href = page["links"][link]["href"].as_str().unwrap();
        assert!(href.starts_with("/v2/suppliers?"), "{link}: {href}");
    }

    // The address the server was reached at is trusted.
    let page = ok_json(app.list_suppliers(&[("page_size", "1")]).await).await;
    let href = page["links"]["next"]["href"].as_str().unwrap();
    assert!(
        href.starts_with(&format!("{}/v2/suppliers?", app.address)),
        "{href}"
    );
}
