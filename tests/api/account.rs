//! `GET/PUT /v2/account`: the buying company's profile, and the buyer block it fills in on the
//! order summary.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, assert_no_content, error, ok_json, spawn_app};

#[tokio::test]
async fn a_new_account_has_an_empty_profile_until_one_is_put_and_then_reads_it_back() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let empty = ok_json(app.send(Method::GET, "/v2/account", None).await).await;
    assert_eq!(empty, json!({ "address": {} }));

    let profile = json!({
        "company_name": "Northwind Trading B.V.", "email": "purchasing@northwind.example",
        "phone": "+31 20 555 0199", "tax_id": "NL123456789B01",
        "address": { "address_line_1": "Keizersgracht 100", "city": "Amsterdam",
                     "postal_code": "1015 AA", "country_code": "NL" },
    });
    let put = ok_json(app.send(Method::PUT, "/v2/account", Some(&profile)).await).await;
    assert_eq!(put, profile);
    let read = ok_json(app.send(Method::GET, "/v2/account", None).await).await;
    assert_eq!(read, profile);

    // A full replacement: what is left out is cleared.
    let smaller = json!({ "company_name": "Northwind", "address": { "country_code": "BE" } });
    ok_json(app.send(Method::PUT, "/v2/account", Some(&smaller)).await).await;
    let read = ok_json(app.send(Method::GET, "/v2/account", None).await).await;
    assert_eq!(read, smaller);
}

#[tokio::test]
async fn a_profile_with_a_bad_email_country_or_unknown_field_is_refused_and_not_stored() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let refused = app
        .send(
            Method::PUT,
            "/v2/account",
            Some(&json!({ "email": "purchasing.northwind", "address": { "country_code": "XX", "planet": "Earth" } })),
        )
        .await;
    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("address.country_code", "XX")
                .says("ISO 3166-1 alpha-2"),
            error("validation", "invalid_field_value")
                .field("address.planet", "Earth")
                .says("not a known field"),
            error("validation", "invalid_field_value")
                .field("email", "purchasing.northwind")
                .says("email address"),
        ],
    )
    .await;
    let read = ok_json(app.send(Method::GET, "/v2/account", None).await).await;
    assert_eq!(read, json!({ "address": {} }));
}

#[tokio::test]
async fn the_order_summary_names_the_buyer_from_the_profile() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let profile = json!({
        "company_name": "Northwind Trading B.V.", "email": "purchasing@northwind.example",
        "tax_id": "NL123456789B01",
        "address": { "address_line_1": "Keizersgracht 100", "city": "Amsterdam", "country_code": "NL" },
    });
    ok_json(app.send(Method::PUT, "/v2/account", Some(&profile)).await).await;
    let text = crate::documents::open_order_summary(&app).await;
    for expected in [
        "Buyer",
        "Northwind Trading B.V.",
        "Keizersgracht 100",
        "Amsterdam, NL",
        "purchasing@northwind.example",
        "NL123456789B01",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_warehouse_keeps_its_address_and_the_order_summary_ships_to_it() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (po, _, _, _) = crate::documents::order(&app, 1).await;
    ok_json(app.set_status(&po, "open").await).await;
    let order = ok_json(app.get_po(&po).await).await;
    let warehouse = order["warehouse_id"].as_str().unwrap().to_owned();
    let address = json!({ "address_line_1": "4500 Logistics Pkwy", "address_line_2": "Dock 7",
                          "city": "Austin", "state": "TX", "postal_code": "78744", "country_code": "US" });
    assert_no_content(
        app.put_warehouse(
            &warehouse,
            &json!({ "name": "Austin DC", "address": address }),
        )
        .await,
    )
    .await;
    let stored = ok_json(app.get_warehouse(&warehouse).await).await;
    assert_eq!(stored["name"], "Austin DC");
    assert_eq!(stored["address"], address);

    let text = crate::documents::pdf(&app, &po, "order_summary")
        .await
        .join("\n");
    for expected in [
        "Ship to",
        "Austin DC",
        "4500 Logistics Pkwy",
        "Dock 7",
        "Austin, TX, 78744, US",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    // A full replacement: a name alone clears the address.
    assert_no_content(
        app.put_warehouse(&warehouse, &json!({ "name": "Austin DC" }))
            .await,
    )
    .await;
    let stored = ok_json(app.get_warehouse(&warehouse).await).await;
    assert_eq!(stored.get("address"), None, "{stored}");
    let created = ok_json(
        app.create_warehouse(
            &json!({ "name": "Dallas", "address": { "city": "Dallas", "country_code": "US" } }),
        )
        .await,
    )
    .await;
    assert_eq!(
        created["address"],
        json!({ "city": "Dallas", "country_code": "US" })
    );
}
