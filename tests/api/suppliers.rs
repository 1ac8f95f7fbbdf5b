//! `/v2/suppliers`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    assert_error, assert_se_id, error, not_found, ok_json, spawn_app, supplier_body,
};

fn full_supplier() -> serde_json::Value {
    json!({
        "supplier_name": "Acme Widgets Inc",
        "supplier_email": "orders@acmewidgets.com",
        "address_line_1": "1 Main Street",
        "address_line_2": "Suite 5",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
        "country_code": "US",
        "contact_name": "Jane Doe",
        "contact_phone": "+1 512 555 0100",
    })
}

#[tokio::test]
async fn creating_a_supplier_answers_its_id_and_stores_every_field() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let created = ok_json(app.create_supplier(&full_supplier()).await).await;

    let id = assert_se_id(&created["supplier_id"]);
    assert_eq!(created, json!({ "supplier_id": id }));
    let mut expected = full_supplier();
    expected["supplier_id"] = json!(id);
    assert_eq!(ok_json(app.get_supplier(&id).await).await, expected);
}

#[tokio::test]
async fn updating_a_supplier_replaces_it_and_clears_omitted_fields() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let id = ok_json(app.create_supplier(&full_supplier()).await).await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let answer = ok_json(
        app.put_supplier(
            &id,
            &json!({ "supplier_name": "Acme Widgets", "city": "Dallas" }),
        )
        .await,
    )
    .await;

    assert_eq!(answer, json!({ "supplier_id": id }));
    let stored = ok_json(app.get_supplier(&id).await).await;
    assert_eq!(
        stored,
        json!({ "supplier_id": id, "supplier_name": "Acme Widgets", "city": "Dallas" })
    );
}

#[tokio::test]
async fn a_supplier_may_be_renamed_to_its_own_name_in_another_case() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let id = app.supplier("Acme").await;

    let answer = ok_json(app.put_supplier(&id, &supplier_body("ACME")).await).await;

    assert_eq!(answer, json!({ "supplier_id": id }));
    assert_eq!(
        ok_json(app.get_supplier(&id).await).await,
        json!({ "supplier_id": id, "supplier_name": "ACME" })
    );
}

#[tokio::test]
async fn suppliers_are_listed_newest_first_and_filtered_by_part_of_their_name_ignoring_case() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let widgets = app.supplier("Acme Widgets").await;
    let globex = app.supplier("Globex").await;
    let bolts = app.supplier("ACME Bolts").await;

    let all = ok_json(app.list_suppliers(&[]).await).await;
    let names: Vec<_> = all["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["supplier_id"].clone())
        .collect();
    assert_eq!(names, vec![json!(bolts), json!(globex), json!(widgets)]);
    assert_eq!(
        (
            all["total"].clone(),
            all["page"].clone(),
            all["pages"].clone()
        ),
        (json!(3), json!(1), json!(1))
    );

    let filtered = ok_json(app.list_suppliers(&[("supplier_name", "cMe")]).await).await;
    assert_eq!(
        filtered["suppliers"],
        json!([
            { "supplier_id": bolts, "supplier_name": "ACME Bolts" },
            { "supplier_id": widgets, "supplier_name": "Acme Widgets" },
        ])
    );
    assert_eq!(filtered["total"], 2);
    assert!(
        filtered["links"]["first"]["href"]
            .as_str()
            .unwrap()
            .contains("supplier_name=cMe"),
        "{filtered}"
    );
    assert!(
        filtered["links"].get("next").is_none(),
        "no next key: {}",
        filtered["links"]
    );
}

#[tokio::test]
async fn a_second_supplier_with_the_same_name_in_another_case_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let first = app.supplier("Acme Widgets").await;

    let refused = app.create_supplier(&supplier_body("acme WIDGETS")).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "field_conflict")
            .field("supplier_name", "acme WIDGETS")
            .says("already exists")],
    )
    .await;
    let list = ok_json(app.list_suppliers(&[]).await).await;
    assert_eq!(
        list["suppliers"],
        json!([{ "supplier_id": first, "supplier_name": "Acme Widgets" }])
    );
}

#[tokio::test]
async fn renaming_a_supplier_to_another_suppliers_name_is_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };
    app.supplier("Acme").await;
    let globex = app.supplier("Globex").await;

    let refused = app.put_supplier(&globex, &supplier_body("ACME")).await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[error("validation", "field_conflict")
            .field("supplier_name", "ACME")
            .says("already exists")],
    )
    .await;
    assert_eq!(
        ok_json(app.get_supplier(&globex).await).await["supplier_name"],
        "Globex"
    );
}

#[tokio::test]
async fn a_supplier_with_a_bad_email_a_bad_country_and_no_name_is_refused_with_every_problem() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .create_supplier(&json!({ "supplier_email": "orders.acme.com", "country_code": "XX", "city": "x".repeat(101) }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "field_value_required")
                .field_without_value("supplier_name")
                .says("supplier_name is required"),
            error("validation", "invalid_field_value")
                .field("supplier_email", "orders.acme.com")
                .says("email address"),
            error("validation", "invalid_string_length")
                .field("city", &"x".repeat(101))
                .says("at most 100 characters"),
            error("validation", "invalid_field_value")
                .field("country_code", "XX")
                .says("ISO 3166-1 alpha-2"),
        ],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 0);
}

#[tokio::test]
async fn a_three_letter_country_code_and_an_unknown_field_are_refused() {
    let Some(app) = spawn_app().await else {
        return;
    };

    let refused = app
        .create_supplier(&json!({ "supplier_name": "Acme", "country_code": "USA", "fax": "123" }))
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_string_length")
                .field("country_code", "USA")
                .says("at most 2 characters"),
            error("validation", "invalid_field_value")
                .field("fax", "123")
                .says("fax is not a known field"),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_supplier_is_not_found() {
    let Some(app) = spawn_app().await else {
        return;
    };

    for id in ["se-999999", "acme"] {
        assert_error(
            app.get_supplier(id).await,
            StatusCode::NOT_FOUND,
            &[not_found("supplier", "supplier_id", id)],
        )
        .await;
        assert_error(
            app.put_supplier(id, &supplier_body("Acme")).await,
            StatusCode::NOT_FOUND,
            &[not_found("supplier", "supplier_id", id)],
        )
        .await;
    }
}

#[tokio::test]
async fn null_in_an_optional_field_or_an_empty_email_is_refused_and_the_supplier_kept() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let id = ok_json(app.create_supplier(&full_supplier()).await).await["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let null = |field: &str| {
        error("validation", "invalid_field_value")
            .field(field, "null")
            .says("must not be null; omit the field instead")
    };

    let refused = app
        .put_supplier(
            &id,
            &json!({ "supplier_name": "Acme", "city": null, "country_code": null, "supplier_email": "" }),
        )
        .await;

    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("supplier_email", "")
                .says("must be an email address"),
            null("city"),
            null("country_code"),
        ],
    )
    .await;
    let mut expected = full_supplier();
    expected["supplier_id"] = json!(id);
    assert_eq!(ok_json(app.get_supplier(&id).await).await, expected);
    assert_error(
        app.create_supplier(&json!({ "supplier_name": "Other", "contact_phone": null }))
            .await,
        StatusCode::BAD_REQUEST,
        &[null("contact_phone")],
    )
    .await;
    assert_eq!(ok_json(app.list_suppliers(&[]).await).await["total"], 1);
}
