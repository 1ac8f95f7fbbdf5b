use procura::domain::user::Role;

use super::client::WebClient;
use super::signed_in;
use crate::helpers::spawn_app;

/// The ids the pages link to, in the order they appear.
fn linked_ids(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &html[at + prefix.len()..];
            rest[..rest.find(['"', '/']).unwrap()].to_owned()
        })
        .collect()
}

/// A supplier, a warehouse with two locations, through the pages; returns their ids.
async fn set_up(buyer: &mut WebClient) -> (String, String) {
    let made = buyer
        .submit(
            "/app/suppliers",
            "/app/suppliers",
            &[("supplier_name", "Acme Tools")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let made = buyer
        .submit("/app/warehouses", "/app/warehouses", &[("name", "Dock A")])
        .await;
    assert_eq!(made.status, 303);
    let page = buyer.get("/app/warehouses").await;
    let warehouse = linked_ids(&page.body, "/app/warehouses/")[0].clone();
    for name in ["A-01", "A-02"] {
        let made = buyer
            .submit(
                "/app/warehouses",
                &format!("/app/warehouses/{warehouse}/locations"),
                &[("name", name)],
            )
            .await;
        assert_eq!(made.status, 303);
    }
    let form = buyer.get("/app/orders/new").await;
    let supplier = form.body.split("<option value=\"se-").nth(1).unwrap();
    let supplier = format!("se-{}", &supplier[..supplier.find('"').unwrap()]);
    (supplier, warehouse)
}

#[tokio::test]
async fn a_buyer_orders_through_the_pages_and_a_receiver_receives_it_in_two_deliveries() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let (supplier, warehouse) = set_up(&mut buyer).await;
    let lines = [
        ("supplier_id", supplier.as_str()),
        ("warehouse_id", warehouse.as_str()),
        ("currency_code", "USD"),
        ("sku", "BOLT-1"),
        ("quantity", "10"),
        ("cost", "0.25"),
        ("sku", "NUT-2"),
        ("quantity", "zero"),
        ("cost", "0.10"),
        ("sku", "WASHER-3"),
        ("quantity", "4"),
        ("cost", ""),
    ];
    let refused = buyer
        .submit("/app/orders/new", "/app/orders/new", &lines)
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(
        "id=\"line-1-quantity-error\" role=\"alert\">The quantity must be a whole number from 1 to 1000000000.</span>"
    ));
    assert_eq!(
        app.store
            .list_purchase_orders(
                app.account_id,
                Default::default(),
                procura::domain::page::PageRequest::first(10)
            )
            .await
            .unwrap()
            .total,
        0
    );
    let mut fixed = lines.to_vec();
    fixed[7] = ("quantity", "6");
    let created = buyer
        .submit("/app/orders/new", "/app/orders/new", &fixed)
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let order_path = created.location.unwrap();
    let opened = buyer
        .submit(
            &order_path,
            &format!("{order_path}/status"),
            &[("to", "open")],
        )
        .await;
    assert_eq!(opened.status, 303);
    let page = buyer.get(&order_path).await;
    assert!(page.body.contains("id=\"order-status\">open<"));
    // Money in the currency's minor units; the total says which lines it leaves out.
    assert!(
        page.body
            .contains("<dt>Total</dt><dd>USD 3.10 (1 line has no cost)</dd>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td class=\"num\">0.10</td><td class=\"num\">0.60</td>")
    );
    let pdf = buyer.get(&format!("{order_path}/order_summary.pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");

    let mut clerk = signed_in(&app, "clerk@example.com", Role::Receiver).await;
    let receive = format!("{order_path}/receive");
    let start = clerk.get(&receive).await;
    assert!(
        start
            .body
            .contains("<input id=\"scan\" name=\"scan\" autofocus")
    );
    assert!(
        !start.body.contains("class=\"receive-row\""),
        "no rows before a scan"
    );
    // Two scans of one SKU make one row of two units.
    let mut csrf = clerk.get(&receive).await.csrf();
    let one = clerk
        .post(
            &receive,
            &[("csrf", &csrf), ("action", "add"), ("scan", "BOLT-1")],
        )
        .await;
    assert_eq!(one.status, 200);
    let location_a = format!("se-{}", linked_ids(&one.body, "<option value=\"se-")[0]);
    let location_b = format!("se-{}", linked_ids(&one.body, "<option value=\"se-")[1]);
    csrf = one.csrf();
    let two = clerk
        .post(
            &receive,
            &[
                ("csrf", &csrf),
                ("action", "add"),
                ("scan", "BOLT-1"),
                ("sku", "BOLT-1"),
                ("quantity", "1"),
                ("location", &location_a),
            ],
        )
        .await;
    assert!(
        two.body
            .contains("name=\"quantity\" inputmode=\"numeric\" value=\"2\"")
    );
    let over = clerk
        .post(
            &receive,
            &[
                ("csrf", &csrf),
                ("action", "record"),
                ("sku", "BOLT-1"),
                ("quantity", "11"),
                ("location", &location_a),
            ],
        )
        .await;
    assert_eq!(over.status, 422);
    assert!(over.body.contains(
        "id=\"row-0-error\">SKU &#39;BOLT-1&#39; has 10 unit(s) remaining of the 10 ordered; \
         this request receives or rejects 11 more</span>"
    ));
    // The refused row's quantity takes the focus; the scan field gives it up.
    assert!(over.body.contains(
        "value=\"11\" aria-label=\"Quantity of BOLT-1\" autofocus aria-invalid=\"true\""
    ));
    assert!(
        over.body
            .contains("<input id=\"scan\" name=\"scan\" autocomplete")
    );
    let first = clerk
        .post(
            &receive,
            &[
                ("csrf", &csrf),
                ("action", "record"),
                ("sku", "BOLT-1"),
                ("quantity", "10"),
                ("location", &location_a),
                ("lot", ""),
                ("expiry", ""),
                ("rejected", ""),
                ("sku", "NUT-2"),
                ("quantity", "2"),
                ("location", &location_b),
                ("lot", "L-7"),
                ("expiry", "2027-06-30"),
                ("rejected", ""),
            ],
        )
        .await;
    assert_eq!(first.status, 303, "{}", first.body);
    assert!(
        clerk
            .get(&order_path)
            .await
            .body
            .contains("id=\"order-status\">receiving<")
    );
    let second = clerk
        .post(
            &receive,
            &[
                ("csrf", &csrf),
                ("action", "record"),
                ("sku", "NUT-2"),
                ("quantity", "4"),
                ("location", &location_b),
                ("lot", ""),
                ("expiry", ""),
                ("rejected", ""),
                ("sku", "WASHER-3"),
                ("quantity", "3"),
                ("location", &location_a),
                ("lot", ""),
                ("expiry", ""),
                ("rejected", "1"),
            ],
        )
        .await;
    assert_eq!(second.status, 303, "{}", second.body);
    let received = clerk.get(&order_path).await;
    assert!(received.body.contains("id=\"order-status\">received<"));
    assert!(received.body.contains("L-7"));
    let closed = buyer
        .submit(
            &order_path,
            &format!("{order_path}/status"),
            &[("to", "closed")],
        )
        .await;
    assert_eq!(closed.status, 303);
    let stock = buyer.get("/app/stock").await;
    assert!(
        stock.body.contains("BOLT-1") && stock.body.contains("USD 2.50"),
        "{}",
        stock.body
    );
}

#[tokio::test]
async fn a_role_that_may_not_act_is_answered_403_and_another_accounts_order_404() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let (supplier, warehouse) = set_up(&mut buyer).await;
    let order = buyer
        .submit(
            "/app/orders/new",
            "/app/orders/new",
            &[
                ("supplier_id", &supplier),
                ("warehouse_id", &warehouse),
                ("currency_code", "USD"),
                ("sku", "BOLT-1"),
                ("quantity", "1"),
            ],
        )
        .await
        .location
        .unwrap();
    let mut clerk = signed_in(&app, "clerk@example.com", Role::Receiver).await;
    for path in [
        "/app/suppliers",
        "/app/warehouses",
        "/app/orders/new",
        "/app/users",
        "/app/keys",
    ] {
        assert_eq!(clerk.get(path).await.status, 403, "{path}");
    }
    let csrf = clerk.get("/app/stock").await.csrf();
    let made = clerk
        .post(
            "/app/suppliers",
            &[("csrf", &csrf), ("supplier_name", "Sneaky")],
        )
        .await;
    assert_eq!(made.status, 403);
    assert!(made.body.contains("Your role does not allow this."));
    // A draft is not the receiver's to see.
    assert_eq!(clerk.get(&order).await.status, 404);
    assert_eq!(buyer.get("/app/users").await.status, 403);
    assert_eq!(buyer.get("/app/keys").await.status, 403);
    let suppliers = app
        .store
        .list_suppliers(
            app.account_id,
            None,
            procura::domain::page::PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(suppliers.total, 1);

    // Another account's admin: the order is not found, not forbidden.
    let other = app.other_account().await;
    let mut stranger = WebClient::new(&app.address);
    let (_, link) = procura::web::create_user(
        app.store.as_ref(),
        other.account_id,
        &procura::domain::user::Email::parse("admin@other.example").unwrap(),
        Role::Admin,
        &app.address,
    )
    .await
    .unwrap()
    .unwrap();
    stranger.set_password(&link, super::client::PASSWORD).await;
    stranger
        .sign_in("admin@other.example", super::client::PASSWORD)
        .await;
    assert_eq!(stranger.get(&order).await.status, 404);
    assert_eq!(stranger.get(&format!("{order}/edit")).await.status, 404);
    let csrf = stranger.get("/app/orders").await.csrf();
    let cancel = stranger
        .post(
            &format!("{order}/status"),
            &[("csrf", &csrf), ("to", "cancelled")],
        )
        .await;
    assert_eq!(cancel.status, 404);
    assert!(
        buyer
            .get(&order)
            .await
            .body
            .contains("id=\"order-status\">draft<")
    );
}

#[tokio::test]
async fn the_orders_search_finds_by_order_number_reference_or_sku() {
    let Some(app) = spawn_app().await else { return };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let order = |reference: &str, sku: &str| {
        serde_json::json!({
            "supplier_id": supplier,
            "warehouse_id": warehouse,
            "reference_number": reference,
            "products": [
                { "sku": sku, "quantity": 1 },
                { "sku": "SHARED-1", "quantity": 2 },
            ],
        })
    };
    let first = app.po(&order("REF-A", "ANVIL-9")).await;
    let second = app.po(&order("REF-B", "BELLOWS-4")).await;
    let number = |o: &serde_json::Value| o["order_number"].as_str().unwrap().to_owned();
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    let shown = |html: &str| {
        [&first, &second]
            .into_iter()
            .filter(|o| html.contains(&format!(">{}</a>", number(o))))
            .map(number)
            .collect::<Vec<_>>()
    };
    for (q, expected) in [
        (number(&second), vec![number(&second)]),
        ("REF-A".to_owned(), vec![number(&first)]),
        ("BELLOWS-4".to_owned(), vec![number(&second)]),
        ("SHARED-1".to_owned(), vec![number(&first), number(&second)]),
        ("NO-SUCH-SKU".to_owned(), vec![]),
    ] {
        let page = buyer.get(&format!("/app/orders?q={q}")).await;
        assert_eq!(page.status, 200);
        assert_eq!(shown(&page.body), expected, "q={q}");
        assert!(
            page.body.contains(&format!("name=\"q\" value=\"{q}\"")),
            "q={q}"
        );
    }
}

#[tokio::test]
async fn a_buyer_reverses_a_receipt_from_the_order_page_and_the_ledger_marks_it() {
    let Some(app) = spawn_app().await else { return };
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let location = crate::receiving::location(&app, &warehouse, "A-01").await;
    let id = app
        .po_in(&crate::helpers::po_body(&supplier, &warehouse), &["open"])
        .await;
    let received = crate::receiving::receive(
        &app,
        &id,
        serde_json::json!([{ "sku": "WIDGET-001", "inventory_location_id": location, "received_quantity": 4 }]),
    )
    .await;
    assert_eq!(received.status(), 200);
    let receipt = crate::receiving::receipts(&app, &id).await["receives"][0]["receipt_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app
        .store
        .list_keys(None)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.id == app.key_id)
        .unwrap();
    let path = format!("/app/orders/{id}");
    let reverse = format!("{path}/receipts/{receipt}/reverse");

    let mut clerk = signed_in(&app, "clerk@example.com", Role::Receiver).await;
    let seen = clerk.get(&path).await;
    assert!(
        seen.body
            .contains(&format!("<td>API key {}…</td>", key.hint))
    );
    assert!(!seen.body.contains(&reverse), "a receiver may not reverse");
    assert_eq!(clerk.submit(&path, &reverse, &[]).await.status, 403);

    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert!(buyer.get(&path).await.body.contains(&reverse));
    let done = buyer.submit(&path, &reverse, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = buyer.get(&path).await;
    assert!(page.body.contains("id=\"order-status\">open<"));
    assert!(page.body.contains("<span class=\"status\">reversed</span>"));
    assert!(
        !page.body.contains(&reverse),
        "an open order has nothing to reverse"
    );
    assert!(page.body.contains(&format!(
        "<td>buyer@example.com</td><td>Receipt {receipt} reversed; status open</td>"
    )));
}
