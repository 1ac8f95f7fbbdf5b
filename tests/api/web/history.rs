//! A change made in the pages is recorded in the order's history under the person who made it,
//! as a change through the API is under its key.

use procura::domain::user::Role;

use super::signed_in;
use crate::helpers::{po_body, spawn_app};
use crate::history::history;

#[tokio::test]
async fn a_change_made_in_the_pages_names_its_user_in_the_history() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let created = buyer
        .submit(
            "/app/orders/new",
            "/app/orders/new",
            &[
                ("supplier_id", supplier.as_str()),
                ("warehouse_id", warehouse.as_str()),
                ("currency_code", "USD"),
                ("sku", "BOLT-1"),
                ("quantity", "10"),
                ("cost", "0.25"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let order_path = created.location.unwrap();
    let id = order_path.rsplit('/').next().unwrap().to_owned();
    let opened = buyer
        .submit(
            &order_path,
            &format!("{order_path}/status"),
            &[("to", "open")],
        )
        .await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    // And one change through the API, for contrast.
    let api_order = app.po_in(&po_body(&supplier, &warehouse), &[]).await;

    let events = history(&app, &id).await;
    let actors: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors.len(), 2, "{events}");
    assert!(actors[0].starts_with("user:se-"), "{actors:?}");
    assert_eq!(actors[0], actors[1]);
    let api_events = history(&app, &api_order).await;
    assert_eq!(
        api_events["events"][0]["actor"],
        format!("api_key:{}", app.key_id).as_str()
    );

    // The order page says the same in words, oldest first, naming the user by email.
    let page = buyer.get(&order_path).await;
    let number = page
        .body
        .split("<h1>Order ")
        .nth(1)
        .and_then(|rest| rest.split([' ', '<']).next())
        .expect("the order number in the heading");
    let history_table = page.body.split("<table id=\"history\">").nth(1).unwrap();
    let whats: Vec<&str> = history_table
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split("</td><td>").collect();
            assert_eq!(cells[1], "buyer@example.com", "{row}");
            cells[2].split("</td>").next().unwrap()
        })
        .collect();
    assert_eq!(
        whats,
        [
            format!("Created {number} as a draft"),
            "Status draft → open".to_owned()
        ]
    );
    // An API key is named by its label, or its first characters.
    let api_page = buyer.get(&format!("/app/orders/{api_order}")).await;
    let key = app
        .store
        .list_keys(None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == app.key_id)
        .unwrap();
    assert!(
        api_page
            .body
            .contains(&format!("<td>API key {}…</td><td>Created ", key.hint)),
        "{}",
        api_page.body
    );
}
