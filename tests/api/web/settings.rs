//! The settings page: the account's profile, for admins, judged by the rules of `PUT /v2/account`.

use procura::domain::user::Role;

use super::signed_in;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_sets_the_company_profile_and_mistakes_are_shown_at_their_fields() {
    let Some(app) = spawn_app().await else { return };
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(buyer.get("/app/settings").await.status, 403);
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    assert_eq!(admin.get("/app/settings").await.status, 200);

    let refused = admin
        .submit(
            "/app/settings",
            "/app/settings",
            &[
                ("company_name", "Northwind Trading"),
                ("email", "not-an-email"),
                ("country_code", "Netherlands"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("id=\"email-error\" role=\"alert\">email "),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("id=\"country_code-error\" role=\"alert\">")
    );
    assert!(
        refused.body.contains("value=\"Northwind Trading\""),
        "what was typed stays"
    );
    assert_eq!(
        app.store.account_profile(app.account_id).await.unwrap(),
        Default::default(),
        "a refused form stores nothing"
    );

    let saved = admin
        .submit(
            "/app/settings",
            "/app/settings",
            &[
                ("company_name", "Northwind Trading"),
                ("email", "purchasing@northwind.example"),
                ("phone", ""),
                ("city", "Amsterdam"),
                ("country_code", "NL"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let profile = app.store.account_profile(app.account_id).await.unwrap();
    assert_eq!(profile.company_name.as_deref(), Some("Northwind Trading"));
    assert_eq!(
        profile.email.as_deref(),
        Some("purchasing@northwind.example")
    );
    assert_eq!(profile.phone, None);
    assert_eq!(profile.address.city.as_deref(), Some("Amsterdam"));
    assert_eq!(profile.address.country_code.as_deref(), Some("NL"));
    let page = admin.get("/app/settings?saved=1").await;
    assert!(page.body.contains("<p>Saved.</p>"));
    assert!(page.body.contains("value=\"purchasing@northwind.example\""));
}

#[tokio::test]
async fn an_admin_uploads_a_logo_sees_it_and_removes_it_and_a_bad_file_is_refused_at_its_field() {
    let Some(app) = spawn_app().await else { return };
    let png = include_bytes!("../../fixtures/logo.png");
    let mut admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let page = admin.get("/app/settings").await;
    assert!(page.body.contains("Upload a logo"), "{}", page.body);
    assert!(!page.body.contains("/app/settings/logo\" alt"));
    let csrf = page.csrf();

    // Not an image: refused at the file input, nothing stored.
    let refused = admin
        .post_file(
            "/app/settings/logo",
            &csrf,
            "logo",
            "image/png",
            b"GIF89a....",
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(
            "id=\"logo-error\" role=\"alert\">The logo is declared image/png but is not a PNG or JPEG image."
        ),
        "{}",
        refused.body
    );
    assert_eq!(app.store.account_logo(app.account_id).await.unwrap(), None);

    // Without the session's token: refused whatever the file.
    let forged = admin
        .post_file("/app/settings/logo", "0000", "logo", "image/png", png)
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(app.store.account_logo(app.account_id).await.unwrap(), None);

    let uploaded = admin
        .post_file("/app/settings/logo", &csrf, "logo", "image/png", png)
        .await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let stored = app
        .store
        .account_logo(app.account_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.width, stored.height), (600, 160));
    assert_eq!(stored.image.as_slice(), png);
    let page = admin.get("/app/settings?saved=1").await;
    assert!(
        page.body.contains("PNG, 600 × 160 pixels."),
        "{}",
        page.body
    );
    assert_eq!(
        admin.get_bytes("/app/settings/logo").await,
        (
            reqwest::StatusCode::OK,
            "image/png".to_owned(),
            png.to_vec()
        )
    );
    // The API sees the same logo.
    let api = app
        .send(reqwest::Method::GET, "/v2/account/logo", None)
        .await;
    assert_eq!(api.bytes().await.unwrap().as_ref(), png);

    // A buyer neither sees nor changes it.
    let mut buyer = signed_in(&app, "buyer@example.com", Role::Buyer).await;
    assert_eq!(buyer.get_bytes("/app/settings/logo").await.0, 403);

    let removed = admin
        .submit("/app/settings", "/app/settings/logo/remove", &[])
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(app.store.account_logo(app.account_id).await.unwrap(), None);
    assert_eq!(admin.get_bytes("/app/settings/logo").await.0, 404);
}
